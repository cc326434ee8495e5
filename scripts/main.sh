#!/usr/bin/env bash
# The main job: installs what Descent needs (OpenCL, PoCL, zlib, Fashion-MNIST), builds the release
# binary, lists the devices and trains the 784-256-128-10 MLP on Fashion-MNIST on the best device,
# printing the test accuracy. Arguments are passed to `descent train` (see `descent help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh
# Package.swift compiles the core for this CPU (FMA, AVX-512 when it has them).
swift build -c release --product descent
.build/release/descent devices
.build/release/descent train "$@"
