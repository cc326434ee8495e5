#!/usr/bin/env bash
# Builds the benchmarks in release for this CPU (FMA when /proc/cpuinfo shows avx2 and fma) and runs
# them; arguments go to descent-benchmarks (--quick, --epochs N, --no-peers, --no-training, --json PATH).
# Peers run when `python3 -c "import numpy"` (torch, jax + optax) works: pip install numpy torch "jax[cpu]" optax
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh libclblast1  # CLBlast: the OpenCL GEMM peer
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then export DESCENT_TARGET_CPU=haswell; fi
swift build -c release --product descent-benchmarks
.build/release/descent-benchmarks "$@"
