#!/usr/bin/env bash
# Inference on the Fashion-MNIST MLP (784-256-128-10 ReLU, descent train's default): batch-1
# latency (median, p99) and 10 000-row throughput, on the CPU backend and every OpenCL device,
# beside PyTorch (eager, torch.inference_mode) and ONNX Runtime on the exported model, one run.
# Peers need `pip install torch onnxruntime safetensors numpy` for python3.
# usage: benchmarks/inference.sh [EPOCHS]   (the model trains EPOCHS epochs first, default 2)
# The CPU kernels run at this CPU's best level unless DESCENT_CPU_LEVEL names a lower one, e.g.
# avx2 on an AVX-512 machine to measure the AVX2 path.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product descent-benchmarks >/dev/null
swift build -c release --product descent >/dev/null
work=$(mktemp -d /tmp/descent-inference.XXXXXX)
trap 'rm -rf "$work"' EXIT
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
.build/release/descent train --backend cpu --epochs "${1:-2}" --quiet --output "$work"
.build/release/descent export --model "$work/weights.safetensors" --output "$work/model.onnx" >/dev/null
echo "CPU: $(benchmarks/cpu.sh);" \
  "CPU kernels: ${DESCENT_CPU_LEVEL:-this CPU's best level}"
{
  .build/release/descent-benchmarks inference "$work/weights.safetensors" "$images" cpu
  devices=$(.build/release/descent devices 2>/dev/null | grep -c '^opencl [0-9]*:' || true)
  for ((device = 0; device < devices; device++)); do
    .build/release/descent-benchmarks inference "$work/weights.safetensors" "$images" "$device"
  done
  python3 benchmarks/peers/inference.py "$work/weights.safetensors" "$work/model.onnx" "$images"
} | python3 benchmarks/peers/inference.py --table
