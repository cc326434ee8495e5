"""The Fashion-MNIST ReLU MLP (784-256-128-10, or the hidden widths of a third argument such as
"1024,512") in JAX + optax (jit), Adam 1e-3, batch 128, shuffled,
no dropout, on the CPU or (second argument "gpu") the first GPU JAX finds, with the data there.
Prints {"epoch_seconds": [...], "accuracy": ...} on the last line."""
import json
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from fashion import load

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
platform = sys.argv[2] if len(sys.argv) > 2 else "cpu"
try:
    device = jax.devices(platform)[0]
except RuntimeError:
    sys.exit(f"no {platform} device")
jax.config.update("jax_default_device", device)
x_train, y_train = load("train")
x_test, y_test = load("test")
if platform != "cpu":  # keep the data on the GPU; batches are gathered there
    x_train, y_train, x_test, y_test = (jax.device_put(a, device) for a in (x_train, y_train, x_test, y_test))
key = jax.random.PRNGKey(1)
sizes = [784] + ([int(w) for w in sys.argv[3].split(",")] if len(sys.argv) > 3 else [256, 128]) + [10]
params = []
for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
    key, sub = jax.random.split(key)
    bound = (6.0 / fan_in) ** 0.5
    params.append((jax.random.uniform(sub, (fan_in, fan_out), minval=-bound, maxval=bound), jnp.zeros(fan_out)))


def forward(params, x):
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss_fn(params, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(forward(params, x), y).mean()


optimizer = optax.adam(1e-3)
state = optimizer.init(params)


@jax.jit
def step(params, state, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    updates, state = optimizer.update(grads, state, params)
    return optax.apply_updates(params, updates), state, loss


rng = np.random.default_rng(1)
seconds = []
for epoch in range(epochs):
    start = time.perf_counter()
    order = rng.permutation(len(x_train))
    for i in range(0, len(order), 128):
        batch = order[i:i + 128]
        params, state, loss = step(params, state, x_train[batch], y_train[batch])
    loss.block_until_ready()
    seconds.append(time.perf_counter() - start)
accuracy = float((forward(params, x_test).argmax(1) == y_test).mean())
print(json.dumps({"epoch_seconds": seconds, "accuracy": accuracy, "version": jax.__version__,
                  "device": str(device)}))
