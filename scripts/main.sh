#!/usr/bin/env bash
# The main job: installs what Descent needs, builds the release binary, lists the devices and checks
# a GEMM on every backend.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh
swift build -c release --product descent
.build/release/descent devices
.build/release/descent check --size 1024
