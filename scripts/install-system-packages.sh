#!/usr/bin/env bash
# Installs the Debian packages Descent needs, if any is missing:
#   ocl-icd-opencl-dev  the OpenCL headers and ICD loader the COpenCL target links against
#   pocl-opencl-icd     PoCL, an OpenCL driver that runs on the CPU (so every machine has a device)
#   mesa-opencl-icd     Mesa's rusticl, a second OpenCL implementation; its llvmpipe device
#                       (RUSTICL_ENABLE=llvmpipe, set by scripts/test.sh) has GPU-like limits
#   pkg-config          lets SwiftPM find OpenCL's and zlib's flags;  clinfo  lists OpenCL devices
#   zlib1g-dev          zlib, which the CZlib target links to read gzip-compressed IDX files
#   libsqlite3-dev      SQLite, which the CSQLite target links: the store of `descent tune` studies
#   libpq-dev           libpq, which the CLibPQ target links: studies on a PostgreSQL server
#   dataset-fashion-mnist  Fashion-MNIST's IDX files in /usr/share/datasets/fashion-mnist (main job, tests)
# Extra packages given as arguments are installed too (benchmarks/run.sh adds libclblast1,
# scripts/test.sh the postgresql server its tests start).
set -euo pipefail
packages=(ocl-icd-opencl-dev pocl-opencl-icd mesa-opencl-icd pkg-config clinfo zlib1g-dev libsqlite3-dev libpq-dev
  dataset-fashion-mnist "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
