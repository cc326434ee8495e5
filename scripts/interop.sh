#!/usr/bin/env bash
# Interop checks: models Descent publishes give the same outputs elsewhere (scripts/interop.py).
# Trains small models with the built `descent` (Fashion-MNIST images with a GELU MLP; a CSV
# classifier with standardization and LeakyReLU; CSV linear regression; the CSV classifier again
# with each activation `descent train --help` lists), predicts, exports each to ONNX, and compares
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
PY
fashion=/usr/share/datasets/fashion-mnist
common=(--quiet --backend cpu --validation 0)
"$descent" train --data "$fashion" --limit 3000 --epochs 2 --hidden 64,32 --activation gelu "${common[@]}" \
  --output "$work/fashion"
"$descent" train --data "$work/classes.csv" --label kind --epochs 30 --hidden 16 --activation leaky-relu \
  "${common[@]}" --output "$work/classes"
"$descent" train --data "$work/prices.csv" --label price --task regression --hidden '' --epochs 40 --optimizer sgd \
  --momentum 0 --learning-rate 0.01 --schedule constant "${common[@]}" --output "$work/prices"
runs=(fashion:"$fashion/t10k-images-idx3-ubyte.gz" classes:"$work/classes.csv" prices:"$work/prices.csv")
# Every activation descent train offers (its --help lists them), on the small CSV classifier.
for activation in $("$descent" train --help | sed -n 's/^ *--activation [a-z-]* *//p' | tr -d ','); do
  "$descent" train --data "$work/classes.csv" --label kind --epochs 3 --hidden 8 --activation "$activation" \
    "${common[@]}" --output "$work/$activation"
  runs+=("$activation:$work/classes.csv")
done
for run in "${runs[@]}"; do
  name=${run%%:*} input=${run#*:}
  "$descent" export --model "$work/$name/weights.safetensors" --format onnx --output "$work/$name.onnx" >/dev/null
  model="$work/$name/weights.safetensors" predictions="$work/$name.predictions.csv"
  "$descent" predict --model "$model" --input "$input" --logits --output "$predictions"
  "$venv/bin/python" scripts/interop.py "$model" "$work/$name.onnx" "$input" "$predictions"
done
echo "interop checks passed"
