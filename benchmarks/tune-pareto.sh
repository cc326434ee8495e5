#!/usr/bin/env bash
# `descent tune --objectives accuracy,parameters` (NSGA-II) against Optuna's NSGAIISampler with
# PyTorch (benchmarks/peers/optuna_tune.py nsga2) on benchmarks/tune-space.json's space and budget
# (3 epochs, 10 000 training / 5 000 validation images of Fashion-MNIST), both at their default
# population of 50, TRIALS trials per seed. Reports each front's hypervolume in the plane of
# validation error and parameters / 407 050 (the space's largest model), up to (1, 1), and the
# wall time: Descent's whole command; Optuna's optimize call (optuna rows) and its whole process
# (optuna-process rows: Python, imports, data, as Descent's). JOBS: Optuna's trials at once (n_jobs;
# with OMP_NUM_THREADS=1, a core each, as Descent's default one 1-thread worker per core).
# Usage: benchmarks/tune-pareto.sh [SEEDS] [TRIALS] [JOBS]   (default: "1 2 3", 100, 1)
# Peer: pip install optuna torch numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-1 2 3}"
trials="${2:-100}"
jobs="${3:-1}"
scripts/install-system-packages.sh
swift build -c release --product descent >/dev/null
echo "CPU: $(benchmarks/cpu.sh), $trials trials"
peer=1
python3 -c "import optuna, torch" 2>/dev/null || { peer=0; echo "(no optuna, torch: Descent only)"; }
# The hypervolume of [accuracy, parameters] pairs (JSON on stdin), minimizing error and size.
volume='
import json, sys
points = sorted((1 - a, p / 407050) for a, p in json.load(sys.stdin))
volume, best = 0.0, 1.0
for error, size in points:  # by error; each point adds the strip its size improves
    if size < best:
        volume += (1 - error) * (best - size)
        best = size
print("%.4f" % volume)'
results=$(mktemp)
for seed in $seeds; do
  folder=$(mktemp -d)
  start=$(date +%s.%N)
  .build/release/descent tune --space benchmarks/tune-space.json --objectives accuracy,parameters \
    --trials "$trials" --seed "$seed" --limit 15000 --validation 0.33334 --output "$folder" --quiet >/dev/null
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  hv=$(python3 -c "import csv, json, sys; print(json.dumps([[float(r['accuracy']), float(r['parameters'])]
    for r in csv.DictReader(open(sys.argv[1]))]))" "$folder/pareto.csv" | python3 -c "$volume")
  rm -rf "$folder"
  printf 'descent seed %s  hypervolume %s  %6.1f s\n' "$seed" "$hv" "$seconds" | tee -a "$results"
  if [ $peer = 1 ]; then
    start=$(date +%s.%N)
    line=$(cd benchmarks/peers && python3 optuna_tune.py "$seed" nsga2 none "$trials" "$jobs" | tail -1)
    whole=$(echo "$(date +%s.%N) - $start" | bc)
    hv=$(python3 -c "import json, sys; print(json.dumps(json.loads(sys.argv[1])['front']))" "$line" |
      python3 -c "$volume")
    pseconds=$(python3 -c "import json, sys; print(json.loads(sys.argv[1])['seconds'])" "$line")
    printf 'optuna  seed %s  hypervolume %s  %6.1f s\n' "$seed" "$hv" "$pseconds" | tee -a "$results"
    printf 'optuna-process seed %s  hypervolume %s  %6.1f s\n' "$seed" "$hv" "$whole" | tee -a "$results"
  fi
done
python3 benchmarks/summary.py "$results"
rm -f "$results"
