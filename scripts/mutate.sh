#!/usr/bin/env bash
# Mutation testing: plants each bug listed in scripts/mutations.py in a scratch copy of the
# package, one at a time, rebuilds, runs the suites that should notice, and requires them to fail.
# A bug the suite survives means a test without teeth: the script lists the survivors and exits 1.
# Opt-in (about 1–2 minutes a mutation on 2 cores); not part of scripts/test.sh. The storage
# mutations run against SQLite and a throw-away PostgreSQL server started here (scripts/postgres.sh),
# the ONNX export's against ONNX Runtime (scripts/interop.sh).
# usage: scripts/mutate.sh [NAME...]   (default: every mutation; NAME picks some by name)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh postgresql python3 python3-venv
export RUSTICL_ENABLE="${RUSTICL_ENABLE:-llvmpipe}"
postgres_dir=/tmp/descent-mutations-postgres-$$
trap 'scripts/postgres.sh stop "$postgres_dir"' EXIT
eval "$(scripts/postgres.sh start "$postgres_dir")"
work=${DESCENT_MUTATION_DIR:-/tmp/descent-mutations}
mkdir -p "$work"
# The scratch copy keeps its build folder between runs; sources are refreshed from this tree.
mkdir -p "$work/package"
find "$work/package" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$work/package"
cd "$work/package"
echo "building the unmutated package in $work/package"
swift build --build-tests -Xswiftc -O >/dev/null  # as scripts/mutations.py builds
python3 scripts/mutations.py "$@"
