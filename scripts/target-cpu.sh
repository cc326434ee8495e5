#!/usr/bin/env bash
# Prints the DESCENT_TARGET_CPU value for this machine (see Package.swift), or nothing:
#   skylake-avx512  AVX-512 F/BW/DQ/VL present: the FMA build with the 8×32 zmm GEMM micro-kernel
#   haswell         AVX2 and FMA present: the FMA build with the 6×16 ymm micro-kernel
#   (nothing)       anything else, or not x86-64: the portable baseline build
# Usage: export DESCENT_TARGET_CPU="$(scripts/target-cpu.sh)"
set -euo pipefail
[ "$(uname -m)" = x86_64 ] || exit 0
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { for flag in "$@"; do grep -qw "$flag" <<<"$flags" || return 1; done; }
if has avx512f avx512bw avx512dq avx512vl fma; then
  echo skylake-avx512
elif has avx2 fma; then
  echo haswell
fi
