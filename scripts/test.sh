#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: CPU and OpenCL parity, unit and CLI tests.
# With CI=true a missing OpenCL device fails the run instead of skipping the OpenCL cases.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh
swift build --build-tests
swift test --disable-xctest
# The FMA build (what scripts/main.sh and the benchmarks use on CPUs with AVX2 and FMA) compiles a
# different GEMM micro-kernel: run the CPU parity, gradient and training suites against it too.
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  DESCENT_TARGET_CPU=haswell swift test --disable-xctest --scratch-path .build-fma \
    --filter 'Parity.cpu|GradientChecks.cpu|TrainingParity|FitTests'
fi
