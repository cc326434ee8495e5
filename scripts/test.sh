#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: CPU and OpenCL parity, unit and CLI tests.
#   scripts/test.sh           everything, as CI runs it (~12 minutes on 2 cores; docs/TESTING.md)
#   scripts/test.sh --quick   for iterating (~2 minutes once built): the unit, CPU and PoCL suites,
#                             without rusticl, PostgreSQL, the fuzzers, the command-line process
#                             tests, the interop checks, the other CPU levels and Oclgrind
# OpenCL suites run on every device found: PoCL's and rusticl's llvmpipe (enabled here); PoCL runs
# every suite with its own kernel choices and again with the GPU profile, rusticl the parity cases
# that found its bugs (TestBackends.runsEverySuite), and every GEMM and launch variant on each.
# With CI=true a missing PoCL or rusticl device fails the run instead of skipping.
# The interop checks (scripts/interop.sh) need Python 3 and PyPI for onnxruntime, numpy, safetensors.
# The study-storage suites run on SQLite and on a throw-away PostgreSQL server started here on
# 127.0.0.1 (scripts/postgres.sh) and stopped and deleted at exit, also when a test fails.
# The tests are built optimized (-O, in the debug configuration so @testable imports work): the
# CPU backend and the float64 references then run ~4× faster, 617 → 161 s of tests on a Zen 3.
# The tests' files (study stores, models, CSVs: a few hundred MB a run) go under a temporary folder
# of this run (TMPDIR), deleted at exit, also when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
optimized=(-Xswiftc -O)  # scripts/oclgrind.sh builds with the same flags, sharing the build
case "${1:-}" in
  --quick | "") ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 64 ;;
esac
TMPDIR=$(mktemp -d /tmp/descent-tests.XXXXXX)
chmod 755 "$TMPDIR"  # the read-only-store test reads it as nobody
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
if [ "${1:-}" = --quick ]; then
  scripts/install-system-packages.sh
  swift build --build-tests "${optimized[@]}"
  swift test "${optimized[@]}" --disable-xctest \
    --skip 'StudyChaosTests|FuzzTests|ConfigFuzzTests|TuneCommandTests|TrainCommandTests|PublishCommandTests'
  exit
fi
scripts/install-system-packages.sh postgresql python3 python3-venv
export RUSTICL_ENABLE="${RUSTICL_ENABLE:-llvmpipe}"
postgres_dir=/tmp/descent-postgres-$$
trap 'scripts/postgres.sh stop "$postgres_dir"; rm -rf "$TMPDIR"' EXIT
eval "$(scripts/postgres.sh start "$postgres_dir")"
swift build --build-tests "${optimized[@]}"
swift test "${optimized[@]}" --disable-xctest
# Published models run elsewhere: ONNX Runtime and NumPy give descent predict's outputs (~1 minute).
scripts/interop.sh .build/debug/descent
# The CPU backend runs the kernels of the best level this CPU has (CPULevel, Package.swift); the
# lower levels are in the same build: run the CPU parity, gradient and training suites on each
# (on an AVX-512 CPU: the 6×16 ymm FMA kernel of AVX2 machines, then the portable baseline's
# multiply + add). No OpenCL driver is loaded there (OCL_ICD_VENDORS names no folder): the
# OpenCL suites ran above.
target=$(scripts/target-cpu.sh)
levels=()
[ "$target" = skylake-avx512 ] && levels+=(avx2)
[ -n "$target" ] && levels+=(baseline)
for level in "${levels[@]}"; do
  echo "== CPU suites with DESCENT_CPU_LEVEL=$level"
  OCL_ICD_VENDORS=/nonexistent DESCENT_CPU_LEVEL=$level swift test "${optimized[@]}" --disable-xctest --skip-build \
    --filter 'CPULevelTests|Parity.cpu|GradientChecks.cpu|TrainingParity|FitTests'
done
# Every kernel under Oclgrind's out-of-bounds, data-race and API checks, one process per core
# (~4 minutes; 12 on the Zen 4 of 2026-12-03).
scripts/oclgrind.sh
