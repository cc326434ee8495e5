#!/usr/bin/env bash
# Opt-in (not in CI: each run rebuilds everything instrumented and runs ~5× slower): the unit, data,
# fuzz, CLI-parsing and CPU parity, gradient and training suites under AddressSanitizer, then
# ThreadSanitizer, each in its own build folder (.build-address, .build-thread). OpenCL is left
# out: the drivers (PoCL's LLVM, Mesa) are not instrumented and report their own internals.
# Arguments replace the default test filter. ThreadSanitizer cannot see Swift's `Mutex` (a futex,
# not a pthread mutex), so state every worker thread touches is guarded by an NSLock instead; it
# reports the test-only Mutex of ParallelTests.everyIndexRunsOnce (a false positive).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh
filter="${1:-DescentTests|Parity/cpu|GradientChecks/cpu|spiralsOnCPU|linearRegressionRecoversTheLine|ConfigFuzzTests}"
# ASan's per-thread signal stack is replaced by the Swift runtime's, and ASan then fails to unmap
# it when a thread ends ("failed to deallocate ... error code: 22", in about one run of two).
export ASAN_OPTIONS=use_sigaltstack=0
# No OpenCL driver is loaded (the parity suite's backend list would open PoCL's and rusticl's).
export OCL_ICD_VENDORS=/nonexistent
# Leaks inside Swift 6.3's Foundation, not ours: a 4 KiB read buffer when reading some files
# (under CSVFile, SafeTensors.read and the config loader, through Data/String(contentsOf:)), and
# a weak reference in Process.run (the tests' gzip helper).
suppressions=$(mktemp)
trap 'rm -f "$suppressions"' EXIT
printf 'leak:readBytesFromFile\nleak:Foundation7ProcessC3run\n' >"$suppressions"
export LSAN_OPTIONS="suppressions=$suppressions"
for sanitizer in address thread; do
  echo "== swift test --sanitize=$sanitizer --filter '$filter'"
  swift test --disable-xctest --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" --filter "$filter"
done
