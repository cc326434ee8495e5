#!/usr/bin/env bash
# Interop checks: models Descent publishes give the same outputs elsewhere (scripts/interop.py).
# Trains small models with the built `descent` (Fashion-MNIST images with a GELU MLP; a CSV
# classifier with standardization and LeakyReLU; CSV linear regression; a CSV written by Python's
# csv module with text labels, a category column, a boolean column and missing cells, predicted on
# new rows with unseen categories; the CSV classifier again with each activation `descent train
# --help` lists; `descent ensemble` of a cross-validated `descent tune` study on that mixed CSV),
# predicts, exports each to ONNX, and compares
# `descent predict` with ONNX Runtime and with a NumPy forward pass built from the safetensors file
# alone, on 1 000 rows or more.
# Python packages come from PyPI into a virtual environment cached outside the clone
# (DESCENT_PYTHON_ENV, default ~/.cache/descent/interop-venv). Without Python or PyPI the checks
# fail under CI=true and are skipped with one line elsewhere. PyTorch is not installed here (a
# ~200 MB download per fresh CI machine); the NumPy pass reads the same tensors PyTorch would.
# usage: scripts/interop.sh [DESCENT_BINARY]   (default .build/debug/descent)
set -euo pipefail
cd "$(dirname "$0")/.."
descent="$(realpath "${1:-.build/debug/descent}")"
venv="${DESCENT_PYTHON_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/descent/interop-venv}"
requirements=(onnxruntime==1.32.0 numpy==2.3.5 safetensors==0.8.0)

unavailable() {
  if [ "${CI:-}" = true ]; then echo "interop: FAILED: $1" >&2; exit 1; fi
  echo "interop checks skipped: $1"
  exit 0
}
python=$(command -v python3 || true)
[ -x /usr/bin/python3 ] && python=/usr/bin/python3  # Debian's, with python3-venv from install-system-packages.sh
[ -n "$python" ] || unavailable "no python3"
stamp="$venv/.descent-requirements"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${requirements[*]}" ]; then
  rm -rf "$venv"
  "$python" -m venv "$venv" >/dev/null 2>&1 ||
    unavailable "python3 cannot create a virtual environment (install python3-venv)"
  "$venv/bin/pip" install -q --disable-pip-version-check "${requirements[@]}" ||
    unavailable "pip could not install ${requirements[*]}"
  echo "${requirements[*]}" > "$stamp"
fi

work=$(mktemp -d /tmp/descent-interop.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" - "$work" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(7)
x = rng.normal(size=(1500, 5)) * [1, 10, 100, 0.1, 3] + [0, 5, -50, 2, 1]
kind = (x[:, 0] + x[:, 1] / 10 > 0.5).astype(int) + (x[:, 2] / 100 > 0).astype(int)
price = 3 * x[:, 0] - 0.5 * x[:, 1] + 0.01 * x[:, 2] + 7 + rng.normal(size=1500) * 0.1
for name, label, values in [("classes", "kind", kind), ("prices", "price", price)]:
    with open(f"{sys.argv[1]}/{name}.csv", "w") as f:
        f.write("a,b,c,d,e," + label + "\n")
        for row, target in zip(x, values):
            f.write(",".join(f"{v:.6g}" for v in row) + f",{target}\n")
# Text labels, a category column (one name holds a comma; some cells empty), a boolean column and
# missing numbers (empty and NA), as Python's csv module writes them (CRLF, quotes where needed).
# mixed-new.csv: rows the model did not see, some of a colour training never had.
import csv
for name, rows, colours in [("mixed", 1500, ["red", "green", "blue, dark"]),
                            ("mixed-new", 1200, ["red", "green", "blue, dark", "purple"])]:
    with open(f"{sys.argv[1]}/{name}.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["size", "colour", "weight", "fresh", "kind"])
        for _ in range(rows):
            colour, size, fresh = rng.choice(colours), rng.normal() * 3 + 10, rng.random() < 0.5
            kind = "plum" if colour == "blue, dark" else "apple" if size > 10 else "pear"
            out.writerow(["" if rng.random() < 0.1 else f"{size:.4g}", "" if rng.random() < 0.1 else colour,
                          "NA" if rng.random() < 0.05 else f"{rng.normal() * 50 + 200:.5g}",
                          "" if rng.random() < 0.1 else fresh, kind])
PY
fashion=/usr/share/datasets/fashion-mnist
common=(--quiet --backend cpu --validation 0)
"$descent" train --data "$fashion" --limit 3000 --epochs 2 --hidden 64,32 --activation gelu "${common[@]}" \
  --output "$work/fashion"
"$descent" train --data "$work/classes.csv" --label kind --epochs 30 --hidden 16 --activation leaky-relu \
  "${common[@]}" --output "$work/classes"
"$descent" train --data "$work/prices.csv" --label price --task regression --hidden '' --epochs 40 --optimizer sgd \
  --momentum 0 --learning-rate 0.01 --schedule constant "${common[@]}" --output "$work/prices"
"$descent" train --data "$work/mixed.csv" --label kind --epochs 20 --hidden 16 "${common[@]}" --output "$work/mixed"
runs=(fashion:"$fashion/t10k-images-idx3-ubyte.gz" classes:"$work/classes.csv" prices:"$work/prices.csv"
  mixed:"$work/mixed-new.csv")
# Every activation descent train offers (its --help lists them), on the small CSV classifier.
for activation in $("$descent" train --help | sed -n 's/^ *--activation [a-z-]* *//p' | tr -d ','); do
  "$descent" train --data "$work/classes.csv" --label kind --epochs 3 --hidden 8 --activation "$activation" \
    "${common[@]}" --output "$work/$activation"
  runs+=("$activation:$work/classes.csv")
done
# An ensemble of a 2-fold cross-validated study on the mixed CSV: its fold models, one graph.
cat > "$work/space.json" <<'JSON'
{"epochs": 6, "backend": "cpu", "hidden": {"layers": {"int": [1, 2]}, "units": {"int": [4, 16]}},
 "activation": {"choice": ["relu", "tanh", "gelu"]}, "learning-rate": {"float": [0.003, 0.1], "log": true}}
JSON
"$descent" tune --space "$work/space.json" --data "$work/mixed.csv" --label kind --cv 2 --trials 6 --pruner none \
  --workers 1 --output "$work/study" --quiet >/dev/null
mkdir "$work/ensemble"
"$descent" ensemble --storage "$work/study/study.sqlite" --output "$work/ensemble/weights.safetensors" --quiet
runs+=(ensemble:"$work/mixed-new.csv")
for run in "${runs[@]}"; do
  name=${run%%:*} input=${run#*:}
  "$descent" export --model "$work/$name/weights.safetensors" --format onnx --output "$work/$name.onnx" >/dev/null
  model="$work/$name/weights.safetensors" predictions="$work/$name.predictions.csv"
  if [ "$name" = ensemble ]; then outputs=--probabilities; else outputs=--logits; fi
  "$descent" predict --model "$model" --input "$input" "$outputs" --output "$predictions"
  "$venv/bin/python" scripts/interop.py "$model" "$work/$name.onnx" "$input" "$predictions"
done
echo "interop checks passed"
