"""One worker process of benchmarks/storage.sh on Optuna's RDBStorage: joins study NAME at URL
(created beforehand) and runs trials of the same trivial objective as `descent-benchmarks
study-worker` (two floats, random sampler) until the study holds TRIALS (MaxTrialsCallback).
A storage error (e.g. "database is locked") is counted and the worker carries on, as a supervisor
would restart it. Prints {"start", "end", "trials", "failed"} on its last line."""
import json
import sys
import time

import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.ERROR)
url, name, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
study = optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.RandomSampler(seed=1))
trials = failed = 0
end = None


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return x * x + y


def finished(study, trial):
    global trials, failed, end
    trials += 1
    failed += trial.state == TrialState.FAIL
    end = time.time()


start = time.time()
while len(study.get_trials(deepcopy=False)) < total:
    try:
        study.optimize(objective, callbacks=[finished, MaxTrialsCallback(total, states=None)])
    except Exception:  # the storage failed this worker: count it and go on
        failed += 1
print(json.dumps({"start": start, "end": end or start, "trials": trials, "failed": failed}))
