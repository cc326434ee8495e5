#!/usr/bin/env bash
# Prints the CPU level Package.swift compiles the core for on this machine (the same rule as its
# hostCPU()), or nothing:
#   skylake-avx512  AVX-512 F/BW/DQ/VL present: the FMA build with the 8×32 zmm GEMM micro-kernel
#   haswell         AVX2 and FMA present: the FMA build with the 6×16 ymm micro-kernel
#   (nothing)       anything else, or not x86-64: the portable baseline build
# scripts/test.sh uses it to rerun the CPU suites at the other levels this CPU can run.
# CPUINFO=FILE reads another /proc/cpuinfo (TargetCPUTests checks the rule on real CPUs' flags).
set -euo pipefail
[ "$(uname -m)" = x86_64 ] || exit 0
flags=$(grep -m1 '^flags' "${CPUINFO:-/proc/cpuinfo}" || true)
has() { for flag in "$@"; do grep -qw "$flag" <<<"$flags" || return 1; done; }
haswell=(avx2 fma bmi1 bmi2 f16c movbe)
if has "${haswell[@]}" avx512f avx512bw avx512dq avx512vl avx512cd; then
  echo skylake-avx512
elif has "${haswell[@]}"; then
  echo haswell
fi
