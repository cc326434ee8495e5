#!/usr/bin/env bash
# Every OpenCL kernel under Oclgrind's simulator, which checks each memory access against its
# buffer (out-of-bounds reads and writes), work-group data races and OpenCL API misuse: the OpenCL
# parity cases (every op at awkward sizes; Oclgrind's device takes the GPU profile) and every GEMM
# variant (each tile set, each gemm_wide row count, packing A or not) at 16 awkward shapes, on
# Oclgrind alone, one case at a time (--no-parallel: the simulator was reported to crash when
# several test threads launch kernels at once). Any finding fails, with Oclgrind's report.
# (--uninitialized is left out: Oclgrind 21.10 aborts on LLVM's `freeze` in the GEMM kernel.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh oclgrind
swift build --build-tests
log=$(mktemp) report=$(mktemp)
trap 'rm -f "$log" "$report"' EXIT
status=0
oclgrind --log "$report" --check-api --data-races .build/debug/DescentPackageTests.xctest \
  --testing-library swift-testing --no-parallel \
  --filter 'Parity/openCL\(|openCLBackendsAndVariantsAreListed|everyVariantComputesTheProduct' \
  >"$log" 2>&1 || status=$?
grep -E 'ran on|Test run with' "$log" || true
if [ "$status" -ne 0 ] || [ -s "$report" ] || ! grep -q 'ran on opencl:Oclgrind' "$log"; then
  head -60 "$report"
  grep -vE 'Test case passing' "$log" | tail -40
  echo "oclgrind: exit status $status, $(grep -c '^Invalid\|race\|error' "$report" || true) findings (report above)" >&2
  exit 1
fi
echo "oclgrind: no findings"
