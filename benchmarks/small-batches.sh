#!/usr/bin/env bash
# Training steps at batch 1, 8 and 32 (the Fashion-MNIST MLP, Adam): Descent's CPU backend and
# every OpenCL device beside PyTorch (eager, CPU) in one run; median ms per step with the 10th and
# 90th percentiles. PyTorch needs `pip install torch numpy` for python3.
# Built for this CPU (Package.swift) unless DESCENT_TARGET_CPU names another (haswell).
# usage: benchmarks/small-batches.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product descent-benchmarks >/dev/null
swift build -c release --product descent >/dev/null
echo "CPU: $(benchmarks/cpu.sh);" \
  "built for ${DESCENT_TARGET_CPU:-this CPU}"
{
  .build/release/descent-benchmarks small-batches cpu
  devices=$(.build/release/descent devices 2>/dev/null | grep -c '^opencl [0-9]*:' || true)
  for ((device = 0; device < devices; device++)); do
    .build/release/descent-benchmarks small-batches "$device"
  done
  (cd benchmarks/peers && python3 small_batches.py) || echo '{"backend": "pytorch", "not run": true}'
} | python3 benchmarks/peers/small_batches.py --table
