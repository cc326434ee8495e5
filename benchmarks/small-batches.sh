#!/usr/bin/env bash
# Training steps at batch 1, 8 and 32 (the Fashion-MNIST MLP, Adam): Descent's CPU backend and
# every OpenCL device beside PyTorch (eager, CPU) in one run; median ms per step with the 10th and
# 90th percentiles. PyTorch needs `pip install torch numpy` for python3.
# The CPU kernels run at this CPU's best level unless DESCENT_CPU_LEVEL names a lower one (avx2).
# usage: benchmarks/small-batches.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product descent-benchmarks >/dev/null
swift build -c release --product descent >/dev/null
echo "CPU: $(benchmarks/cpu.sh);" \
  "CPU kernels: ${DESCENT_CPU_LEVEL:-this CPU's best level}"
{
  .build/release/descent-benchmarks small-batches cpu
  devices=$(.build/release/descent devices 2>/dev/null | grep -c '^opencl [0-9]*:' || true)
  for ((device = 0; device < devices; device++)); do
    .build/release/descent-benchmarks small-batches "$device"
  done
  (cd benchmarks/peers && python3 small_batches.py) || echo '{"backend": "pytorch", "not run": true}'
} | python3 benchmarks/peers/small_batches.py --table
