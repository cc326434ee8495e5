#!/usr/bin/env bash
# Population-based training against the best fixed schedule TPE finds with the same total epochs:
# `descent tune --pbt 8 --interval 3` and `descent tune --trials 8 --sampler tpe --pruner none`
# on benchmarks/pbt-space.json (12 epochs a member or trial: 96 epochs each), 10 000 training and
# 5 000 validation images of Fashion-MNIST, per seed. Prints the best validation accuracy and
# the wall time of each, then the means.
# Usage: benchmarks/pbt.sh [SEEDS]   (default: "1 2 3")
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-1 2 3}"
scripts/install-system-packages.sh
swift build -c release --product descent >/dev/null
echo "CPU: $(benchmarks/cpu.sh)"
results=$(mktemp)
for seed in $seeds; do
  for mode in pbt tpe; do
    folder=$(mktemp -d)
    if [ $mode = pbt ]; then flags=(--pbt 8 --interval 3); else flags=(--trials 8 --sampler tpe --pruner none); fi
    start=$(date +%s.%N)
    best=$(.build/release/descent tune --space benchmarks/pbt-space.json "${flags[@]}" --seed "$seed" \
      --limit 15000 --validation 0.33334 --output "$folder" --quiet |
      sed -n 's/^best: trial [0-9]*, validation accuracy \([0-9.]*\).*/\1/p')
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    rm -rf "$folder"
    printf '%-4s seed %s  best %.4f  %6.1f s\n' $mode "$seed" "$best" "$seconds" | tee -a "$results"
  done
done
python3 benchmarks/summary.py "$results"
rm -f "$results"
