"""Checks that a model Descent published runs elsewhere, with the same numbers.

usage: interop.py MODEL.safetensors MODEL.onnx INPUTS PREDICTIONS.csv

INPUTS is the CSV file or IDX images file `descent predict` read (raw values); PREDICTIONS.csv is
what it wrote with --logits. A model trained on a CSV file with text, boolean or missing cells keeps
an encoding of its columns (medians, categories): ONNX Runtime gets the raw cells (numbers with NaN
for missing ones, text columns as strings) and runs the encoding in the graph; NumPy encodes them
here, from the metadata. Three implementations must agree on every row:
  1. `descent predict` (Swift, the model's backend),
  2. ONNX Runtime running the exported model (its preprocessing included),
  3. a plain NumPy forward pass built from the safetensors file alone: the tensors read by the
     `safetensors` package and the layers, activations and preprocessing from its metadata.
Agreement: |a - b| <= 1e-5 * max(max|b| over the row's outputs, RMS of all outputs): float32 GEMMs
summing in another order differ by a few units in the last place of the terms' size; 1e-5 is ~80 ulp.
"""
import csv
import gzip
import json
import math
import sys

import numpy as np
import onnxruntime
from safetensors import safe_open


MISSING = {"", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "NULL", "null", "None", "<NA>", "#N/A"}
TRUE, FALSE = {"true", "True", "TRUE"}, {"false", "False", "FALSE"}


def read_inputs(path, preprocessing, label):
    """The model's raw inputs: a float matrix (number columns, NaN where missing) and, for an
    encoded model, each text column's cells by name ("" where missing)."""
    feature_names = preprocessing.get("featureNames")
    if path.lower().endswith(".csv"):
        with open(path, newline="") as f:
            rows = [row for row in csv.reader(f) if row]
        header = [name.strip() for name in rows[0]]
        columns = [header.index(name) for name in feature_names] if feature_names else \
            [i for i, name in enumerate(header) if name != label]
        cells = [[row[i].strip() for row in rows[1:]] for i in columns]
        kinds = [c["kind"] for c in preprocessing["encoding"]["columns"]] if "encoding" in preprocessing \
            else ["number"] * len(columns)
        numbers = np.zeros((len(rows) - 1, kinds.count("number")), dtype=np.float32)
        for j, column in enumerate(column for column, kind in zip(cells, kinds) if kind == "number"):
            numbers[:, j] = [np.nan if v in MISSING else float(v) for v in column]
        texts = {feature_names[i]: ["" if v in MISSING else v for v in column]
                 for i, (column, kind) in enumerate(zip(cells, kinds)) if kind != "number"}
        return numbers, texts
    data = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    assert data[2] == 0x08, "unsigned-byte IDX images expected"
    pixels = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    return pixels.reshape(dims[0], -1).astype(np.float32), {}


def encode(preprocessing, numbers, texts):
    """The encoding as the model file describes it: number then boolean columns (the median where
    missing), their "is missing" inputs, then each category column one-hot (zeros when missing or
    unseen)."""
    if "encoding" not in preprocessing:
        return numbers
    columns, names = preprocessing["encoding"]["columns"], preprocessing["featureNames"]
    values, missing, indicators, hots = [], [], [], []
    number_index = iter(range(numbers.shape[1]))
    raw = {}
    for i, column in enumerate(columns):
        if column["kind"] == "number":
            raw[i] = numbers[:, next(number_index)]
        elif column["kind"] == "boolean":
            cells = texts[names[i]]
            assert all(v in TRUE | FALSE | {""} for v in cells)
            raw[i] = np.array([1 if v in TRUE else 0 if v in FALSE else np.nan for v in cells], np.float32)
    order = [i for i, c in enumerate(columns) if c["kind"] == "number"] + \
        [i for i, c in enumerate(columns) if c["kind"] == "boolean"]
    for i in order:
        gaps = np.isnan(raw[i])
        values.append(np.where(gaps, np.float32(columns[i]["median"]), raw[i]))
        if columns[i].get("indicator"):
            indicators.append(gaps.astype(np.float32))
    for i, column in enumerate(columns):
        if column["kind"] == "category":
            cells = texts[names[i]]
            hots.append(np.array([[1 if v == c else 0 for c in column["categories"]] for v in cells], np.float32))
    parts = [np.stack(values + indicators, axis=1)] if values else []
    return np.concatenate(parts + hots, axis=1).astype(np.float32)


def load(path):
    """The members of a model file as (description, tensors) pairs, their weights (None for a
    single model) and temperatures (version 2; all 1 in version 1): an ensemble's file names
    member i's tensors "member{i}.0.weight", ..."""
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    if "descent.ensemble" not in metadata:
        return [(json.loads(metadata["descent.model"]), tensors)], None, None
    ensemble = json.loads(metadata["descent.ensemble"])
    assert ensemble["format"] == "descent-ensemble" and ensemble["version"] in (1, 2), ensemble.get("version")
    members = []
    for index, meta in enumerate(ensemble["members"]):
        prefix = f"member{index}."
        members.append((meta, {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}))
    assert sum(len(t) for _, t in members) == len(tensors), "a tensor of no member"
    return members, ensemble["weights"], ensemble.get("temperatures", [1.0] * len(members))


def numpy_forward(path, x):
    """The model's outputs; an ensemble's: the weighted sum of its members' probabilities, each
    softmax(logits / temperature) (a softmax member's: softmax(log p / temperature))."""
    members, weights, temperatures = load(path)
    if weights is None:
        return members[0][0], member_forward(*members[0], x)
    total = 0
    for (meta, tensors), weight, temperature in zip(members, weights, temperatures):
        out = member_forward(meta, tensors, x).astype(np.float64)
        softmax = meta["layers"][-1]["type"] == "softmax"
        if not softmax or temperature != 1:
            if softmax:
                out = np.log(np.maximum(out, np.finfo(np.float32).smallest_subnormal))
            out = out / temperature
            e = np.exp(out - out.max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
        total = total + weight * out
    return members[0][0], np.asarray(total, np.float32)


def member_forward(meta, tensors, x):
    assert meta["format"] == "descent-model" and meta["version"] == 1, meta.get("version")
    pre = meta["preprocessing"]
    x = x * np.float32(pre.get("scale", 1))
    if pre.get("standardization"):
        s = pre["standardization"]
        x = (x - np.array(s["means"], np.float32)) / np.array(s["deviations"], np.float32)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    activations = {
        "relu": lambda z, _: np.maximum(z, 0),
        "leaky_relu": lambda z, slope: np.where(z > 0, z, np.float32(slope) * z),
        "sigmoid": lambda z, _: 1 / (1 + np.exp(-z)),
        "tanh": lambda z, _: np.tanh(z),
        "gelu": lambda z, _: (z * (1 + erf(z.astype(np.float64) / math.sqrt(2))) / 2).astype(np.float32),
        "silu": lambda z, _: z / (1 + np.exp(-z)),
        "mish": lambda z, _: z * np.tanh(np.logaddexp(0, z)),
    }
    for index, layer in enumerate(meta["layers"]):
        kind = layer["type"]
        if kind == "dense":
            x = x @ tensors[f"{index}.weight"]
            if layer.get("bias", True):
                x = x + tensors[f"{index}.bias"]
        if kind in ("dense", "activation") and layer.get("activation"):
            x = activations[layer["activation"]](x, layer.get("slope", 0.01))
        if kind == "softmax":
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True)
    return x.astype(np.float32)


def compare(name, got, want):
    # Relative to the row's largest output, or to the outputs' RMS for a row whose outputs all sit
    # near 0 (a regression value that cancels: its rounding error scales with its terms, not with it).
    rms = np.sqrt(np.mean(np.square(want.astype(np.float64))))
    scale = np.maximum(np.abs(want).max(axis=1, keepdims=True), max(rms, 1e-30))
    worst = float((np.abs(got - want) / scale).max())
    print(f"  {name}: {got.shape[0]} rows x {got.shape[1]}, worst difference {worst:.2e} (relative)")
    if not worst <= 1e-5:
        sys.exit(f"interop: {name} differs by {worst:.3g} (allowed 1e-5)")


def main():
    model_path, onnx_path, inputs_path, predictions_path = sys.argv[1:5]
    members, weights, temperatures = load(model_path)
    meta = members[0][0]
    numbers, texts = read_inputs(inputs_path, meta["preprocessing"], meta["output"].get("label"))
    x = encode(meta["preprocessing"], numbers, texts)
    with open(predictions_path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    # A classifier's logits; an ensemble's outputs are its averaged probabilities.
    columns = [i for i, name in enumerate(header) if name.startswith("logit(" if weights is None else "p(")] \
        if meta["output"]["kind"] == "classes" else list(range(1, len(header)))
    descent = np.array([[float(row[i]) for i in columns] for row in rows[1:]], dtype=np.float32)
    assert descent.shape[0] == x.shape[0] >= 1000, (descent.shape, x.shape)

    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    feeds = {name: np.array(cells, dtype=object).reshape(-1, 1) for name, cells in texts.items()}
    if "encoding" not in meta["preprocessing"] or numbers.shape[1] > 0:
        feeds["features"] = numbers
    assert sorted(i.name for i in session.get_inputs()) == sorted(feeds), [i.name for i in session.get_inputs()]
    assert all(i.shape[0] == "batch" for i in session.get_inputs()), [i.shape for i in session.get_inputs()]
    runtime = session.run(["outputs"], feeds)[0]
    _, plain = numpy_forward(model_path, x)
    shape = f"{len(meta['layers'])} layers" if weights is None else \
        f"ensemble of {len(members)} models, temperatures {sorted(set(round(t, 2) for t in temperatures))}"
    print(f"{model_path} ({meta['output']['kind']}, {shape}):")
    compare("ONNX Runtime vs descent predict", runtime, descent)
    compare("NumPy from safetensors vs descent predict", plain, descent)
    if meta["output"]["kind"] == "classes":
        agree = float((runtime.argmax(axis=1) == descent.argmax(axis=1)).mean())
        print(f"  predicted classes agree on {agree:.2%} of rows")


if __name__ == "__main__":
    main()
