"""The Fashion-MNIST ReLU MLP (784-256-128-10, or the hidden widths of a third argument such as
"1024,512") in PyTorch (eager), Adam 1e-3, batch 128, shuffled,
no dropout, on the CPU or (second argument "cuda") the first CUDA GPU, with the data there.
Prints {"epoch_seconds": [...], "accuracy": ...} on the last line."""
import json
import sys
import time

import numpy as np
import torch

from fashion import load

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
device = sys.argv[2] if len(sys.argv) > 2 else "cpu"
if device == "cuda" and not torch.cuda.is_available():
    sys.exit("no CUDA device")
hidden = [int(w) for w in sys.argv[3].split(",")] if len(sys.argv) > 3 else [256, 128]
torch.manual_seed(1)
x_train, y_train = (torch.from_numpy(a).to(device) for a in load("train"))
x_test, y_test = (torch.from_numpy(a).to(device) for a in load("test"))
widths = [784] + hidden
layers = []
for fan_in, fan_out in zip(widths, widths[1:]):
    layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
model = torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], 10)).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
seconds = []
for epoch in range(epochs):
    start = time.perf_counter()
    order = torch.randperm(len(x_train), device=device)
    for i in range(0, len(order), 128):
        batch = order[i:i + 128]
        optimizer.zero_grad()
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds.append(time.perf_counter() - start)
with torch.no_grad():
    accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
print(json.dumps({"epoch_seconds": seconds, "accuracy": accuracy, "version": torch.__version__,
                  "threads": torch.get_num_threads(),
                  "device": torch.cuda.get_device_name() if device == "cuda" else "cpu"}))
