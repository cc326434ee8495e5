"""Inference peers for benchmarks/inference.sh: PyTorch (eager, torch.inference_mode) and ONNX
Runtime on the same model, measured as descent-benchmarks' inference case measures Descent.

usage: inference.py MODEL.safetensors MODEL.onnx IMAGES.idx[.gz]   (or --table: format the results on stdin)
Batch-1 latency: one raw image (scaling included) 2 000 times after 200 warm-ups, median and p99;
throughput: every row in one call, best of 5. Prints one JSON line per peer (or "not run: why").
"""
import gzip
import json
import sys
import time

import numpy as np


def images(path):
    data = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims[0], -1).astype(np.float32)


def measure(name, predict, x):
    latencies = []
    for i in range(2200):
        row = x[i % len(x): i % len(x) + 1]
        start = time.perf_counter_ns()
        predict(row)
        if i >= 200:
            latencies.append((time.perf_counter_ns() - start) / 1e3)
    latencies.sort()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        predict(x)
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"backend": name, "median_us": latencies[len(latencies) // 2],
                      "p99_us": latencies[len(latencies) * 99 // 100], "rows": len(x),
                      "rows_per_second": len(x) / best}, sort_keys=True), flush=True)


def main():
    model_path, onnx_path, images_path = sys.argv[1:4]
    x = images(images_path)
    try:
        import torch
        from safetensors.numpy import load_file
        from safetensors import safe_open
        with safe_open(model_path, framework="np") as f:
            meta = json.loads(f.metadata()["descent.model"])
        tensors = load_file(model_path)
        torch.set_num_threads(torch.get_num_threads())
        layers = []
        for index, layer in enumerate(meta["layers"]):
            if layer["type"] == "dense":
                linear = torch.nn.Linear(*tensors[f"{index}.weight"].shape)
                linear.weight.data = torch.from_numpy(tensors[f"{index}.weight"].T.copy())
                linear.bias.data = torch.from_numpy(tensors[f"{index}.bias"])
                layers.append(linear)
                if layer.get("activation") == "relu":
                    layers.append(torch.nn.ReLU())
            elif layer["type"] == "dropout":
                layers.append(torch.nn.Dropout(layer["rate"]))
        model = torch.nn.Sequential(*layers).eval()
        scale = float(meta["preprocessing"].get("scale", 1))

        def torch_predict(rows):
            with torch.inference_mode():
                return model(torch.from_numpy(rows) * scale).numpy()
        name = f"pytorch {torch.__version__} (eager, inference_mode, {torch.get_num_threads()} threads)"
        measure(name, torch_predict, x)
    except ImportError as error:
        print(f"not run: pytorch ({error})", flush=True)
    try:
        import onnxruntime
        session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        measure(f"onnx runtime {onnxruntime.__version__} (cpu)",
                lambda rows: session.run(["outputs"], {"features": rows}), x)
    except ImportError as error:
        print(f"not run: onnx runtime ({error})", flush=True)


def table():
    """Reads the JSON lines of every contender on stdin and prints them as a Markdown table."""
    print(f"| {'contender':<58} | batch-1 median | batch-1 p99 | 10 000 rows/s |")
    print(f"|{'-' * 60}|---------------:|------------:|--------------:|")
    for line in sys.stdin:
        if not line.startswith("{"):
            print(f"| {line.strip():<58} |                |             |               |")
            continue
        r = json.loads(line)
        print(f"| {r['backend']:<58} | {r['median_us']:11.1f} µs | {r['p99_us']:8.1f} µs "
              f"| {r['rows_per_second']:13,.0f} |")


if __name__ == "__main__":
    table() if sys.argv[1:] == ["--table"] else main()
