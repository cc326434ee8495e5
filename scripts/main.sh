#!/usr/bin/env bash
# The main job: installs what Descent needs (OpenCL, PoCL, zlib, Fashion-MNIST), builds the release
# binary, lists the devices and trains the 784-256-128-10 MLP on Fashion-MNIST on the best device,
# printing the test accuracy. Arguments are passed to `descent train` (see `descent help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh
# FMA code paths when the CPU has them (see Package.swift); baseline x86-64 otherwise.
DESCENT_TARGET_CPU="$(scripts/target-cpu.sh)"
export DESCENT_TARGET_CPU
swift build -c release --product descent
.build/release/descent devices
.build/release/descent train "$@"
