#!/usr/bin/env bash
# The OpenCL parity suite and the benchmarks on a machine that has a GPU driver but no Swift and no
# package registry (a lent GPU machine). Two steps:
#
#   scripts/gpu-run.sh pack   here, with Swift: builds the test binary, `descent` and the benchmarks
#                             and writes .build-gpu/descent-gpu.tar.xz (~27 MB: the binaries, the Swift
#                             runtime and system libraries they load, the ICD loader from Debian's
#                             ocl-icd-libopencl1, CLBlast from libclblast1, and an .icd file naming
#                             NVIDIA's OpenCL library)
#   scripts/gpu-run.sh run    there, in a copy of this repository holding that file: unpacks it, lists
#                             the devices, runs every OpenCL suite (every GEMM and launch variant on
#                             every device, training parity, fit), prints the benchmark table (with
#                             the Python peers that import there: PyTorch and JAX on CUDA too) and
#                             times `descent tune` on the OpenCL devices with 1 and 4 workers
#
# `run` uses OCL_ICD_VENDORS when set, else the bundled nvidia.icd where NVIDIA's OpenCL library is
# installed or /etc/OpenCL/vendors is empty, else the machine's own ICD files. Extra arguments to
# `run` go to descent-benchmarks (default `--quick --rounds 1 --epochs 2`, a few minutes; a lent
# machine's command may run 10).
# Fashion-MNIST is not bundled (30 MB): the training benchmark, the tuning step and the
# Fashion-MNIST fit test run only where /usr/share/datasets/fashion-mnist exists.
set -euo pipefail
cd "$(dirname "$0")/.."
work=.build-gpu
bundle=$work/descent-gpu
archive=$work/descent-gpu.tar.xz

pack() {
  scripts/install-system-packages.sh
  # The core runs on any x86-64 CPU and picks its CPU kernels' level there (CPULevel): the GPU
  # machine's CPU is not known here.
  unset DESCENT_TARGET_CPU
  swift build --build-tests -Xswiftc -O --scratch-path "$work/debug"  # optimized, as scripts/test.sh builds
  swift build -c release --scratch-path "$work/release" --product descent-benchmarks
  swift build -c release --scratch-path "$work/release" --product descent
  rm -rf "$bundle" "$archive"
  mkdir -p "$bundle/bin" "$bundle/lib" "$bundle/vendors"
  cp "$work/debug/debug/DescentPackageTests.xctest" "$work/release/release/descent-benchmarks" \
    "$work/release/release/descent" "$bundle/bin/"
  # Every shared library the binaries load but glibc's, the C++ runtime (newer on the GPU machine, and
  # Python's peers there need its own) and the ICD loader (bundled below): the
  # Swift runtime from the toolchain (Swift Testing exists only as shared libraries, and binaries
  # built with --static-swift-stdlib would each carry their own 40 MB copy of ICU's data), and the
  # system libraries a GPU machine may lack (libpq and what it links, SQLite, zlib).
  local kept='^(libc|libm|libpthread|libdl|librt|libresolv|ld-linux-x86-64|libstdc..|libgcc_s|libOpenCL)[.]so'
  for binary in "$bundle"/bin/*; do ldd "$binary"; done \
    | awk -v kept="$kept" '$3 ~ /^\// && $1 !~ kept { print $3 }' | sort -u | xargs -r cp -L -t "$bundle/lib/"
  # The ICD loader, unpacked from Debian's package (the GPU machine may have none).
  local debs
  debs=$(mktemp -d)
  chmod 755 "$debs"  # apt downloads as its own user
  (cd "$debs" && apt-get download -qq ocl-icd-libopencl1 libclblast1 &&
    for deb in *.deb; do dpkg-deb -x "$deb" root; done)
  cp -L "$debs"/root/usr/lib/*/libOpenCL.so.1 "$debs"/root/usr/lib/*/libclblast.so.1 "$bundle/lib/"
  rm -rf "$debs"
  echo libnvidia-opencl.so.1 >"$bundle/vendors/nvidia.icd"
  cp scripts/gpu-run.sh "$bundle/"
  tar -C "$work" -cf - descent-gpu | xz -T0 -6 >"$archive"
  echo "wrote $archive ($(du -h "$archive" | cut -f1)); on the GPU machine: scripts/gpu-run.sh run"
}

run() {
  [ -f "$archive" ] || { echo "no $archive: run 'scripts/gpu-run.sh pack' on a machine with Swift first" >&2; exit 66; }
  rm -rf "$bundle"
  tar -C "$work" -xJf "$archive"
  export LD_LIBRARY_PATH="$PWD/$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # NVIDIA's driver alone where it is installed: such a machine's /etc/OpenCL/vendors may list only
  # PoCL (2026-12-04's H200: PoCL 5.0, which aborts when several contexts run one kernel).
  if [ -z "${OCL_ICD_VENDORS:-}" ] && { ldconfig -p | grep -q libnvidia-opencl.so.1 ||
    ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; }; then
    export OCL_ICD_VENDORS="$PWD/$bundle/vendors"
  fi
  echo "== devices (OCL_ICD_VENDORS=${OCL_ICD_VENDORS:-/etc/OpenCL/vendors})"
  "$bundle/bin/descent" devices
  echo "== OpenCL suites: every device, its own kernels and the GPU profile, every GEMM and launch variant"
  local status=0
  "$bundle/bin/DescentPackageTests.xctest" --testing-library swift-testing --filter \
    'Parity/openCL|Parity/randomBitsMatchCPU|Parity/dropoutMasksMatchCPU|TrainingParity|FitTests|GradientChecks|'\
'GemmTuningTests|OpenCLBackendTests' \
    >"$work/parity.log" 2>&1 || status=$?
  grep -E '^(✘|✔ Test run|✘ Test run)|ran on|variant: |skipped|spirals on|Fashion-MNIST subset on|synthetic bars in' \
    "$work/parity.log" || true
  echo "== parity exit status $status (full log: $work/parity.log)"
  echo "== benchmarks"
  local options=("$@")
  [ $# -gt 0 ] || options=(--quick --rounds 1 --epochs 2)
  [ -d /usr/share/datasets/fashion-mnist ] || options+=(--no-training)
  "$bundle/bin/descent-benchmarks" --json "$work/benchmark-results.json" "${options[@]}"
  [ -d /usr/share/datasets/fashion-mnist ] && tune
  return "$status"
}

# benchmarks/tune.sh's space and budget (30 trials, 3 epochs, 10 000 / 5 000 images), TPE without
# pruning, on the OpenCL devices: one worker, then four sharing the devices.
tune() {
  sed 's/"backend": "cpu"/"backend": "opencl"/' benchmarks/tune-space.json >"$work/tune-space.json"
  local workers start
  for workers in 1 4; do
    echo "== descent tune on OpenCL, $workers worker(s)"
    rm -rf "$work/tune-$workers"
    start=$(date +%s%N)
    "$bundle/bin/descent" tune --space "$work/tune-space.json" --trials 30 --pruner none --seed 1 --limit 15000 \
      --validation 0.33334 --workers "$workers" --output "$work/tune-$workers" --quiet | tail -2
    echo "wall $(( ($(date +%s%N) - start) / 1000000 )) ms"
  done
}

case "${1:-}" in
  pack) pack ;;
  run) shift; run "$@" ;;
  *) echo "usage: scripts/gpu-run.sh pack | run [descent-benchmarks options]" >&2; exit 64 ;;
esac
