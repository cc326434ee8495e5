#!/usr/bin/env bash
# Study storage overhead: trials per second with a trivial objective (two floats, random sampler)
# for 1, 4 and 16 worker processes on one PostgreSQL server on loopback and 1 and 4 on one SQLite
# file, against Optuna's RDBStorage on the same server or file with the same workers
# (benchmarks/peers/optuna_storage.py; pip install optuna psycopg2-binary).
# Usage: benchmarks/storage.sh [TRIALS]   (default 400 per run)
# Each run is a fresh study; its rate is TRIALS / (last finish − first claim over all workers), so
# process start-up and imports are left out. "failed" counts FAILED trials and storage errors.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-400}
scripts/install-system-packages.sh postgresql
swift build -c release --product descent-benchmarks >/dev/null
worker=.build/release/descent-benchmarks
peer=1
python3 -c "import optuna, psycopg2" 2>/dev/null || { peer=0; echo "(no optuna/psycopg2: Descent only)"; }
server=/tmp/descent-postgres-bench-$$
scratch=$(mktemp -d)
trap 'scripts/postgres.sh stop "$server"; rm -rf "$scratch"' EXIT
eval "$(scripts/postgres.sh start "$server")"
base=${DESCENT_TEST_POSTGRES%/*}
server=$(psql -AtX "$DESCENT_TEST_POSTGRES" -c 'SHOW server_version')
echo "CPU: $(benchmarks/cpu.sh);" \
  "$server PostgreSQL; $trials trials per run"
run=0
measure() {  # tool engine workers
  local tool=$1 engine=$2 workers=$3 location study=bench
  run=$((run + 1))
  if [ "$engine" = postgresql ]; then
    psql -qAtX "$DESCENT_TEST_POSTGRES" -c "CREATE DATABASE bench_$run"
    location="$base/bench_$run"
  else
    location="$scratch/bench_$run.sqlite"
  fi
  local url=$location
  if [ "$tool" = optuna ]; then
    if [ "$engine" = postgresql ]; then
      url="postgresql+psycopg2://${location#postgresql://}"
    else
      url="sqlite:///$location"
    fi
    python3 -c "import optuna, sys; optuna.logging.set_verbosity(optuna.logging.ERROR);
optuna.create_study(study_name='$study', storage=sys.argv[1])" "$url"
  fi
  local pids=() i
  for ((i = 0; i < workers; i++)); do
    if [ "$tool" = descent ]; then
      "$worker" study-worker "$url" "$study" "$trials" >"$scratch/out_${run}_$i" 2>"$scratch/err_${run}_$i" &
    else
      python3 benchmarks/peers/optuna_storage.py "$url" "$study" "$trials" \
        >"$scratch/out_${run}_$i" 2>"$scratch/err_${run}_$i" &
    fi
    pids+=($!)
  done
  local crashed=0
  for pid in "${pids[@]}"; do wait "$pid" || crashed=$((crashed + 1)); done
  python3 - "$tool" "$engine" "$workers" "$crashed" "$scratch" "$run" "$workers" <<'PY'
import json, sys, glob
tool, engine, scratch, run = sys.argv[1], sys.argv[2], sys.argv[5], sys.argv[6]
workers, crashed = int(sys.argv[3]), int(sys.argv[4])
rows = []
for i in range(workers):
    lines = open(f"{scratch}/out_{run}_{i}").read().split("\n")
    lines = [l for l in lines if l.startswith("{")]
    if lines: rows.append(json.loads(lines[-1]))
done = sum(r["trials"] for r in rows)
failed = sum(r["failed"] for r in rows) + crashed
seconds = max(r["end"] for r in rows) - min(r["start"] for r in rows) if rows else float("nan")
print(f"{tool:8} {engine:10} {workers:3} workers  {done:5} trials  {done / seconds:8.1f} trials/s  "
      f"{1000 * seconds / max(done, 1):7.2f} ms/trial  failed {failed}")
PY
}
for engine in postgresql sqlite; do
  counts="1 4 16"
  [ "$engine" = sqlite ] && counts="1 4"
  for workers in $counts; do
    measure descent "$engine" "$workers"
    [ $peer = 1 ] && measure optuna "$engine" "$workers"
  done
done
