#!/usr/bin/env bash
# `descent tune` against Optuna + PyTorch (benchmarks/peers/optuna_tune.py) on the same space
# (benchmarks/tune-space.json) and budget: 30 trials × 3 epochs, 10 000 training / 5 000
# validation images of Fashion-MNIST, per sampler, with and without the median pruner, over seeds.
# Usage: benchmarks/tune.sh [SEEDS] [WORKERS] [SAMPLERS] [TRIALS] [PRUNERS]
#   (default: "1 2 3", descent tune's default workers, "tpe random" (also cmaes), 30, "none median");
#   WORKERS, when given, is also the peer's trials at once (Optuna's n_jobs; with OMP_NUM_THREADS=1, a core
#   each, as Descent's 1-thread workers), else Optuna runs one trial at a time on PyTorch's threads.
# Descent's seconds are its whole command (start-up and reading Fashion-MNIST included); the optuna
# rows' are Optuna's optimize call only, the optuna-process rows' its whole process (Python, imports,
# data) like Descent's.
# Peer: pip install optuna cmaes torch numpy. Prints one row per run, then mean and range per setting.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-1 2 3}"
workers=()
[ -n "${2:-}" ] && workers=(--workers "$2")
samplers="${3:-tpe random}"
trials="${4:-30}"
pruners="${5:-none median}"
scripts/install-system-packages.sh
swift build -c release --product descent >/dev/null
echo "CPU: $(benchmarks/cpu.sh)"
peer=1
modules="optuna, torch"
case " $samplers " in *" cmaes "*) modules="$modules, cmaes" ;; esac
python3 -c "import $modules" 2>/dev/null || { peer=0; echo "(no $modules: Descent only)"; }
results=$(mktemp)
for sampler in $samplers; do
  for pruner in $pruners; do
    for seed in $seeds; do
      folder=$(mktemp -d)
      start=$(date +%s.%N)
      best=$(.build/release/descent tune --space benchmarks/tune-space.json --trials "$trials" \
        --sampler $sampler --pruner $pruner \
        --seed "$seed" --limit 15000 --validation 0.33334 "${workers[@]}" --output "$folder" --quiet \
        | sed -n 's/^best: trial [0-9]*, validation accuracy \([0-9.]*\).*/\1/p')
      seconds=$(echo "$(date +%s.%N) - $start" | bc)
      rm -rf "$folder"
      printf 'descent %-6s %-6s seed %s  best %.4f  %6.1f s\n' $sampler $pruner "$seed" "$best" "$seconds" |
        tee -a "$results"
      if [ $peer = 1 ]; then
        start=$(date +%s.%N)
        line=$(cd benchmarks/peers && python3 optuna_tune.py "$seed" $sampler $pruner "$trials" ${2:-} | tail -1)
        whole=$(echo "$(date +%s.%N) - $start" | bc)
        read -r pbest pseconds < <(
          python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['best'], d['seconds'])" "$line")
        printf 'optuna  %-6s %-6s seed %s  best %.4f  %6.1f s\n' $sampler $pruner "$seed" "$pbest" "$pseconds" |
          tee -a "$results"
        printf 'optuna-process %-6s %-6s seed %s  best %.4f  %6.1f s\n' $sampler $pruner "$seed" "$pbest" "$whole" |
          tee -a "$results"
      fi
    done
  done
done
echo
python3 benchmarks/summary.py "$results"
rm -f "$results"
