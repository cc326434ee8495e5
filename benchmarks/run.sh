#!/usr/bin/env bash
# Builds the benchmarks in release (the CPU kernels of this CPU's best level: Package.swift) and runs
# them; arguments go to descent-benchmarks (--quick, --epochs N, --no-peers, --no-training, --json PATH).
# Peers run when `python3 -c "import numpy"` (torch, jax + optax) works: pip install numpy torch "jax[cpu]" optax
# DESCENT_CPU_LEVEL=avx2 measures the AVX2 kernels on an AVX-512 machine; OpenBLAS is then held to
# its Haswell kernels too (OPENBLAS_CORETYPE=Haswell, unless set), so the two compare like for like.
# The other way round, an OPENBLAS_CORETYPE left in the environment that holds OpenBLAS to AVX2 while
# Descent runs its AVX-512 kernels gets a warning: such ratios flatter Descent (1.6-2.1x instead of
# 0.93-1.2x on the MLP products of a Zen 5).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh libclblast1  # CLBlast: the OpenCL GEMM peer
if [ "${DESCENT_CPU_LEVEL:-}" = avx2 ] && grep -qw avx512f /proc/cpuinfo && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  export OPENBLAS_CORETYPE=Haswell
fi
case "${DESCENT_CPU_LEVEL:-}:${OPENBLAS_CORETYPE:-}" in
  avx2:* | baseline:* | *: | *:SkylakeX | *:Cooperlake | *:SapphireRapids) ;;
  *) if grep -qw avx512f /proc/cpuinfo; then
    echo "warning: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE holds OpenBLAS to kernels without AVX-512" \
      "while Descent runs its AVX-512 ones; unset it (or set SkylakeX) for like-for-like ratios" >&2
  fi ;;
esac
swift build -c release --product descent-benchmarks
.build/release/descent-benchmarks "$@"
