#!/usr/bin/env bash
# `descent automl` against FLAML and AutoGluon-Tabular at equal wall-clock budgets on the same
# 2 cores and the same train/test splits: Fashion-MNIST (60k/10k, IDX files) and scikit-learn's
# breast cancer and wine tables, written to CSV by pandas with text labels (stratified 75/25
# split, seed 0). Prints one row per tool, data set and budget: test accuracy, wall seconds and
# the overrun past the budget. Descent's seconds are its whole command (data loading included);
# the peers' are their fit + predict calls only (benchmarks/peers/automl_peer.py).
# Usage: benchmarks/automl.sh [BUDGETS] [DATA SETS] [TOOLS]
#   defaults: "120 600", "breast-cancer wine fashion", "descent flaml autogluon"
# The peers go into virtual environments under ${DESCENT_PYTHON_ENVS:-~/.cache/descent} (PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
budgets="${1:-120 600}"
datasets="${2:-breast-cancer wine fashion}"
tools="${3:-descent flaml autogluon}"
envs="${DESCENT_PYTHON_ENVS:-${XDG_CACHE_HOME:-$HOME/.cache}/descent}"
scripts/install-system-packages.sh
swift build -c release --product descent >/dev/null
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
declare -A packages=([flaml]='flaml[automl]' [autogluon]='autogluon.tabular[all]')
for tool in flaml autogluon; do
  case " $tools " in *" $tool "*) ;; *) continue ;; esac
  venv="$envs/automl-$tool"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $tool, sklearn, pandas" 2>/dev/null; then
    echo "installing ${packages[$tool]} into $venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "${packages[$tool]}" scikit-learn pandas numpy
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The small tables, as a pandas user writes them: text labels, a header line.
"$envs/automl-flaml/bin/python" - "$work" <<'PY'
import sys
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.model_selection import train_test_split
for name, load in (("breast-cancer", load_breast_cancer), ("wine", load_wine)):
    bunch = load(as_frame=True)
    frame = bunch.frame.copy()
    frame["label"] = [str(bunch.target_names[t]) for t in bunch.target]
    frame = frame.drop(columns=["target"])
    train, test = train_test_split(frame, test_size=0.25, stratify=frame["label"], random_state=0)
    train.to_csv(f"{sys.argv[1]}/{name}-train.csv", index=False)
    test.to_csv(f"{sys.argv[1]}/{name}-test.csv", index=False)
PY
echo "CPU: $(benchmarks/cpu.sh)"
printf '%-14s %7s  %-9s  %8s  %8s  %8s\n' "data set" budget tool accuracy seconds overrun
for budget in $budgets; do
  for dataset in $datasets; do
    if [ "$dataset" = fashion ]; then
      descent_data=(--data /usr/share/datasets/fashion-mnist)
      peer_data=(fashion fashion label)
    else
      descent_data=(--data "$work/$dataset-train.csv" --test-data "$work/$dataset-test.csv" --label label)
      peer_data=("$work/$dataset-train.csv" "$work/$dataset-test.csv" label)
    fi
    for tool in $tools; do
      run="$work/$tool-$dataset-$budget"
      mkdir -p "$run"
      if [ "$tool" = descent ]; then
        start=$(date +%s.%N)
        .build/release/descent automl "${descent_data[@]}" --time "$budget" --output "$run" --quiet >"$run/log" 2>&1 ||
          { cat "$run/log"; exit 1; }
        seconds=$(echo "$(date +%s.%N) - $start" | bc)
        # The model written: the refitted ensemble's line when there is one (it comes last).
        accuracy=$(grep "^test (" "$run/log" | sed -n 's/.*ensemble accuracy \([0-9.]*\),.*/\1/p' | tail -1)
        [ -n "$accuracy" ] || { cat "$run/log"; exit 1; }
      else
        line=$(cd benchmarks/peers &&
          "$envs/automl-$tool/bin/python" automl_peer.py "$tool" "${peer_data[@]}" "$budget" "$run" 2>"$run/log" |
          tail -1) || { tail -20 "$run/log"; exit 1; }
        read -r accuracy seconds < <(
          python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['accuracy'], d['seconds'])" "$line")
      fi
      overrun=$(echo "scale=4; 100 * ($seconds / $budget - 1)" | bc)
      printf '%-14s %6ss  %-9s  %8.4f  %8.1f  %+7.1f%%\n' "$dataset" "$budget" "$tool" "$accuracy" "$seconds" "$overrun"
      rm -rf "$run"
    done
  done
done
