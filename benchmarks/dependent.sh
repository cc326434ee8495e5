#!/usr/bin/env bash
# What a package that depends on Descent gets: builds benchmarks/dependent (a user's package with
# Descent as a path dependency and no settings) in release two ways and times its training (the
# Fashion-MNIST MLP on the CPU backend, seconds per epoch) three ways, the runs taking turns:
#   default   as a user builds and runs it: no environment variable (the CPU kernels of this
#             CPU's best level, the rest of the core for any x86-64)
#   tuned     the core too compiled for this CPU (DESCENT_TARGET_CPU from scripts/target-cpu.sh)
#   baseline  the default build run with DESCENT_CPU_LEVEL=baseline (what a CPU without AVX2 gets)
# usage: benchmarks/dependent.sh [ROUNDS] [EPOCHS]   (default 3 rounds of 4 epochs; the first epoch
# of each run is left out)
set -euo pipefail
cd "$(dirname "$0")/dependent"
rounds=${1:-3}
epochs=${2:-4}
tuned=$(../../scripts/target-cpu.sh)
build() {  # NAME, then environment assignments
  local name=$1
  shift
  env -u DESCENT_TARGET_CPU "$@" swift build -c release --scratch-path ".build-$name" >/dev/null
}
build default
build tuned DESCENT_TARGET_CPU="${tuned:-x86-64}"
echo "CPU: $(../cpu.sh);" \
  "tuned = DESCENT_TARGET_CPU=${tuned:-x86-64}"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((round = 1; round <= rounds; round++)); do
  for name in default tuned; do
    ".build-$name/release/TrainMLP" "$epochs" | sed "s/^/$name /" >>"$results"
  done
  DESCENT_CPU_LEVEL=baseline .build-default/release/TrainMLP "$epochs" | sed "s/^/baseline /" >>"$results"
done
python3 - "$results" <<'PY'
import statistics, sys
core, epochs = {}, {}
for line in open(sys.argv[1]):
    name, rest = line.split(" ", 1)
    if rest.startswith("core: "):
        core[name] = rest[6:].strip()
    elif not rest.startswith("epoch 1:"):
        epochs.setdefault(name, []).append(float(rest.split(":")[1].split()[0]))
tuned = statistics.median(epochs["tuned"])
print(f"{'build':<9} {'median s/epoch':>14} {'best':>6} {'speed vs tuned':>15}  core")
for name in ("default", "tuned", "baseline"):
    median = statistics.median(epochs[name])
    print(f"{name:<9} {median:14.3f} {min(epochs[name]):6.3f} {tuned / median:14.2f}x  {core[name]}")
PY
