#!/usr/bin/env bash
# Builds the benchmarks in release for this CPU (scripts/target-cpu.sh: FMA, AVX-512) and runs
# them; arguments go to descent-benchmarks (--quick, --epochs N, --no-peers, --no-training, --json PATH).
# Peers run when `python3 -c "import numpy"` (torch, jax + optax) works: pip install numpy torch "jax[cpu]" optax
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh libclblast1  # CLBlast: the OpenCL GEMM peer
DESCENT_TARGET_CPU="$(scripts/target-cpu.sh)"
export DESCENT_TARGET_CPU
swift build -c release --product descent-benchmarks
.build/release/descent-benchmarks "$@"
