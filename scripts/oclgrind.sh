#!/usr/bin/env bash
# Every OpenCL kernel under Oclgrind's simulator, which checks each memory access against its
# buffer (out-of-bounds reads and writes), work-group data races and OpenCL API misuse, on
# Oclgrind alone (its device takes the GPU profile). By default (CI) the parity sample: every op
# at two awkward sizes (DESCENT_PARITY_CASES=sample; `Parity.sampleLaunchesEveryKernel` checks it
# reaches every kernel), on the default kernels and both launch variants, and every GEMM variant
# (each tile set, each gemm_wide row count, packing A or not) at two awkward shapes.
#   scripts/oclgrind.sh --full   every parity case (on the default variants), and every GEMM variant
#                                packing A or not at 16 shapes: run it, and say so in the commit,
#                                whenever kernels/ or the OpenCL host code changes.
# The simulator runs one thread, so the cases are split into one shard per core
# (DESCENT_PARITY_SHARD, every n-th case), each its own process; within a process cases run one at
# a time (--no-parallel: the simulator was reported to crash when several test threads launch
# kernels at once). Any finding in any shard fails, with Oclgrind's report.
# (--uninitialized is left out: Oclgrind 21.10 aborts on LLVM's `freeze` in the GEMM kernel.)
set -euo pipefail
cd "$(dirname "$0")/.."
cases=sample tests='Parity/openCL(\(|LaunchVariants|BackendsAndVariantsAreListed)'
case "${1:-}" in
  --full) cases=all tests='Parity/openCL(\(|BackendsAndVariantsAreListed)' ;;
  "") ;;
  *) echo "usage: scripts/oclgrind.sh [--full]" >&2; exit 64 ;;
esac
scripts/install-system-packages.sh oclgrind
swift build --build-tests -Xswiftc -O  # as scripts/test.sh builds, so the build is shared
shards=$(nproc)
work=$(mktemp -d)
pids=()
# An interrupted or failed run stops the simulators it started, then deletes their logs.
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
for shard in $(seq 1 "$shards"); do
  filter="$tests|settingsAreValid"
  [ "$shard" = 1 ] && filter="$filter|everyVariantComputesTheProduct"
  DESCENT_PARITY_CASES=$cases DESCENT_PARITY_SHARD="$shard/$shards" \
    oclgrind --log "$work/report-$shard" --check-api --data-races .build/debug/DescentPackageTests.xctest \
    --testing-library swift-testing --no-parallel --filter "$filter" >"$work/log-$shard" 2>&1 &
  pids+=($!)
done
failed=0
for shard in $(seq 1 "$shards"); do
  status=0
  wait "${pids[$((shard - 1))]}" || status=$?
  log="$work/log-$shard" report="$work/report-$shard"
  echo "== shard $shard of $shards"
  grep -E 'ran on|Test run with' "$log" || true
  if [ "$status" -ne 0 ] || [ -s "$report" ] || ! grep -q 'ran on opencl:Oclgrind' "$log"; then
    head -60 "$report"
    grep -vE 'Test case passing' "$log" | tail -40
    echo "oclgrind shard $shard: exit status $status, $(grep -c '^Invalid\|race\|error' "$report" || true) findings" \
      "(report above)" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
echo "oclgrind: no findings"
