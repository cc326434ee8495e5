"""PyTorch's side of benchmarks/small-batches.sh: the Fashion-MNIST MLP (784-256-128-10 ReLU, Adam
1e-3, eager, CPU) stepped at batch 1, 8 and 32, measured as descent-benchmarks' small-batches case
measures Descent: for each batch size 200 warm-up steps, then 2 000 steps timed one by one (a
shuffled batch gathered, forward, loss, backward, Adam). Prints one JSON line.
usage: small_batches.py            (run from benchmarks/peers)
       small_batches.py --table    (format the JSON lines on stdin as a Markdown table)"""
import json
import sys
import time


def table():
    print("| contender | batch 1 | batch 8 | batch 32 |")
    print("|---|---:|---:|---:|")
    for line in sys.stdin:
        result = json.loads(line)
        if result.get("not run"):
            print(f"| {result['backend']} | not run | | |")
            continue
        cells = []
        for key in ("batch 1", "batch 8", "batch 32"):
            r = result[key]
            cells.append(f"{r['median_ms']:.3f} ms ({r['p10_ms']:.3f}–{r['p90_ms']:.3f})")
        print(f"| {result['backend']} | " + " | ".join(cells) + " |")


if len(sys.argv) > 1 and sys.argv[1] == "--table":
    table()
    sys.exit(0)

import torch  # noqa: E402 (only when measuring)

from fashion import load  # noqa: E402

torch.manual_seed(1)
x_train, y_train = (torch.from_numpy(a) for a in load("train"))
order = torch.randperm(len(x_train))
result = {"backend": f"pytorch {torch.__version__} (eager, {torch.get_num_threads()} threads)"}
for batch_size in (1, 8, 32):
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    milliseconds = []
    for step in range(2200):
        start = time.perf_counter()
        batch = order[(step * batch_size) % len(order):][:batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
        if step >= 200:
            milliseconds.append((time.perf_counter() - start) * 1e3)
    milliseconds.sort()
    result[f"batch {batch_size}"] = {"median_ms": milliseconds[len(milliseconds) // 2],
                                     "p10_ms": milliseconds[len(milliseconds) // 10],
                                     "p90_ms": milliseconds[len(milliseconds) * 9 // 10], "loss": loss.item()}
print(json.dumps(result, sort_keys=True), flush=True)
