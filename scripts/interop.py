"""Checks that a model Descent published runs elsewhere, with the same numbers.

usage: interop.py MODEL.safetensors MODEL.onnx INPUTS PREDICTIONS.csv

INPUTS is the CSV file or IDX images file `descent predict` read (raw values); PREDICTIONS.csv is
what it wrote with --logits. Three implementations must agree on every row:
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


def read_inputs(path, feature_names, label):
    if path.lower().endswith(".csv"):
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        header = [name.strip() for name in rows[0]]
        columns = [header.index(name) for name in feature_names] if feature_names else \
            [i for i, name in enumerate(header) if name != label]
        return np.array([[float(row[i]) for i in columns] for row in rows[1:] if row], dtype=np.float32)
    data = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    assert data[2] == 0x08, "unsigned-byte IDX images expected"
    pixels = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    return pixels.reshape(dims[0], -1).astype(np.float32)


def numpy_forward(path, x):
    with safe_open(path, framework="np") as f:
        meta = json.loads(f.metadata()["descent.model"])
        tensors = {name: f.get_tensor(name) for name in f.keys()}
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
    return meta, x.astype(np.float32)


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
    with safe_open(model_path, framework="np") as f:
        meta = json.loads(f.metadata()["descent.model"])
    x = read_inputs(inputs_path, meta["preprocessing"].get("featureNames"), meta["output"].get("label"))
    with open(predictions_path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    columns = [i for i, name in enumerate(header) if name.startswith("logit(")] \
        if meta["output"]["kind"] == "classes" else list(range(1, len(header)))
    descent = np.array([[float(row[i]) for i in columns] for row in rows[1:]], dtype=np.float32)
    assert descent.shape[0] == x.shape[0] >= 1000, (descent.shape, x.shape)

    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["features"]
    assert session.get_inputs()[0].shape[0] == "batch", session.get_inputs()[0].shape
    runtime = session.run(["outputs"], {"features": x})[0]
    _, plain = numpy_forward(model_path, x)
    print(f"{model_path} ({meta['output']['kind']}, {len(meta['layers'])} layers):")
    compare("ONNX Runtime vs descent predict", runtime, descent)
    compare("NumPy from safetensors vs descent predict", plain, descent)
    if meta["output"]["kind"] == "classes":
        agree = float((runtime.argmax(axis=1) == descent.argmax(axis=1)).mean())
        print(f"  predicted classes agree on {agree:.2%} of rows")


if __name__ == "__main__":
    main()
