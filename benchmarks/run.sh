#!/usr/bin/env bash
# Builds the benchmarks in release (the CPU kernels of this CPU's best level: Package.swift) and runs
# them; arguments go to descent-benchmarks (--quick, --epochs N, --no-peers, --no-training, --json PATH).
# Peers run when `python3 -c "import numpy"` (torch, jax + optax) works: pip install numpy torch "jax[cpu]" optax
# DESCENT_CPU_LEVEL=avx2 measures the AVX2 kernels on an AVX-512 machine; OpenBLAS is then held to
# its Haswell kernels too (OPENBLAS_CORETYPE=Haswell, unless set), so the two compare like for like.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh libclblast1  # CLBlast: the OpenCL GEMM peer
if [ "${DESCENT_CPU_LEVEL:-}" = avx2 ] && grep -qw avx512f /proc/cpuinfo && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  export OPENBLAS_CORETYPE=Haswell
fi
swift build -c release --product descent-benchmarks
.build/release/descent-benchmarks "$@"
