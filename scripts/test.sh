#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: CPU and OpenCL parity, unit and CLI tests.
# With CI=true a missing OpenCL device fails the run instead of skipping the OpenCL cases.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh
swift build --build-tests
swift test --disable-xctest
