"""The peer of `descent tune`: Optuna (TPE, random or CMA-ES, optionally the median pruner) with PyTorch on
the same space and budget as benchmarks/tune.sh: 30 trials of 3 epochs, 10 000 training and 5 000
validation images of Fashion-MNIST (the first 15 000 training images, split by a seeded shuffle),
maximizing validation accuracy after the last epoch. Space: learning rate log-uniform [1e-4, 1e-1],
batch size {32, 64, 128, 256}, hidden units int [32, 512] (log), dropout [0, 0.5], weight decay
log-uniform [1e-6, 1e-2], optimizer adam or sgd with momentum [0.5, 0.99].
With nsga2: two objectives, validation accuracy (maximized) and the model's parameter count
(minimized), NSGA-II with Optuna's defaults (population 50), TRIALS trials (default 30); the
JSON line then holds the Pareto front's [accuracy, parameters] pairs.
With JOBS (default 1), Optuna runs that many trials at once in threads (`n_jobs`): with
OMP_NUM_THREADS=1, one core each, as `descent tune` runs one 1-thread trial per core.
Usage: optuna_tune.py SEED tpe|random|cmaes|nsga2 none|median [TRIALS [JOBS]]. Prints one JSON line: best,
seconds, counts."""
import json
import sys
import time

import numpy as np
import optuna
import torch

from fashion import load

seed, sampler_name, pruner_name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
trials = int(sys.argv[4]) if len(sys.argv) > 4 else 30
jobs = int(sys.argv[5]) if len(sys.argv) > 5 else 1
optuna.logging.set_verbosity(optuna.logging.WARNING)
torch.manual_seed(seed)
x, y = load("train")
order = np.random.default_rng(seed).permutation(15000)
x_train, y_train = torch.from_numpy(x[order[:10000]]), torch.from_numpy(y[order[:10000]])
x_val, y_val = torch.from_numpy(x[order[10000:15000]]), torch.from_numpy(y[order[10000:15000]])


def objective(trial):
    lr = trial.suggest_float("learning-rate", 1e-4, 1e-1, log=True)
    batch = trial.suggest_categorical("batch-size", [32, 64, 128, 256])
    units = trial.suggest_int("hidden", 32, 512, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    decay = trial.suggest_float("weight-decay", 1e-6, 1e-2, log=True)
    name = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    model = torch.nn.Sequential(torch.nn.Linear(784, units), torch.nn.ReLU(), torch.nn.Dropout(dropout),
                                torch.nn.Linear(units, 10))
    if name == "sgd":
        momentum = trial.suggest_float("momentum", 0.5, 0.99)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=decay)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=decay)
    loss_fn = torch.nn.CrossEntropyLoss()
    accuracy = 0.0
    for epoch in range(3):
        model.train()
        permutation = torch.randperm(10000)
        for i in range(0, 10000, batch):
            rows = permutation[i:i + batch]
            optimizer.zero_grad()
            loss_fn(model(x_train[rows]), y_train[rows]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_val).argmax(1) == y_val).float().mean().item()
        if sampler_name != "nsga2":
            trial.report(accuracy, epoch + 1)
            if trial.should_prune():
                raise optuna.TrialPruned()
    if sampler_name == "nsga2":
        return accuracy, sum(p.numel() for p in model.parameters())
    return accuracy


samplers = {
    "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
    "random": lambda: optuna.samplers.RandomSampler(seed=seed),
    # Optuna's CMA-ES: the numeric parameters jointly, the categorical and conditional ones by
    # its independent sampler (random search), as it warns.
    "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
    "nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed),
}
sampler = samplers[sampler_name]()
pruner = optuna.pruners.MedianPruner() if pruner_name == "median" else optuna.pruners.NopPruner()
directions = ["maximize", "minimize"] if sampler_name == "nsga2" else ["maximize"]
study = optuna.create_study(directions=directions, sampler=sampler, pruner=pruner)
start = time.perf_counter()
study.optimize(objective, n_trials=trials, n_jobs=jobs)
states = [t.state.name for t in study.trials]
if sampler_name == "nsga2":
    print(json.dumps({"front": [t.values for t in study.best_trials], "seconds": time.perf_counter() - start}))
    sys.exit(0)
print(json.dumps({"best": study.best_value, "seconds": time.perf_counter() - start, "pruned": states.count("PRUNED"),
                  "complete": states.count("COMPLETE"), "optuna": optuna.__version__, "torch": torch.__version__,
                  "threads": torch.get_num_threads(), "jobs": jobs}))
