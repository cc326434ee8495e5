"""NumPy (OpenBLAS) SGEMM GFLOP/s for the shapes benchmarks/ passes as JSON: [[name, m, n, k, ta, tb], ...].
Prints one JSON list of {name, seconds} on the last line: each shape's seconds per call, one per sample."""
import json
import sys
import time

import numpy as np

shapes = json.loads(sys.argv[1])
budget = float(sys.argv[2]) if len(sys.argv) > 2 else 1.5
rng = np.random.default_rng(1)
results = []
for name, m, n, k, ta, tb in shapes:
    a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
    op_a, op_b = (a.T if ta else a), (b.T if tb else b)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(op_a, op_b, out=c)  # warm-up
    # As benchmarks/Measure.swift: a sample is as many back-to-back calls as fill 2 ms.
    t = time.perf_counter()
    np.matmul(op_a, op_b, out=c)
    repeats = max(1, min(10000, int(2e-3 / max(time.perf_counter() - t, 1e-9))))
    times, start = [], time.perf_counter()
    while len(times) < 3 or (len(times) < 15 and time.perf_counter() - start < budget):
        t = time.perf_counter()
        for _ in range(repeats):
            np.matmul(op_a, op_b, out=c)
        times.append((time.perf_counter() - t) / repeats)
    results.append({"name": name, "seconds": times})
print(json.dumps(results))
