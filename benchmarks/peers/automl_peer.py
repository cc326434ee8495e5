"""One AutoML peer on one data set at one budget: FLAML or AutoGluon-Tabular.

Usage: automl_peer.py TOOL TRAIN TEST LABEL SECONDS WORK
TRAIN/TEST are CSV files with a header line (LABEL is the class column, text), or the word
`fashion` for Fashion-MNIST's IDX files (60k/10k). Prints one JSON line: test accuracy and the
seconds fit + predict took (imports and data loading excluded, which favours the peer).
"""
import json
import sys
import time

import numpy as np
import pandas as pd


def load(train, test, label):
    if train == "fashion":
        import fashion
        columns = [f"p{i}" for i in range(784)]
        frames = []
        for split in ("train", "test"):
            x, y = fashion.load(split)
            frame = pd.DataFrame(x, columns=columns)
            frame[label] = y
            frames.append(frame)
        return frames
    return pd.read_csv(train), pd.read_csv(test)


def main():
    tool, train_path, test_path, label, seconds, work = sys.argv[1:7]
    seconds = float(seconds)
    train, test = load(train_path, test_path, label)
    x_test, y_test = test.drop(columns=[label]), test[label].to_numpy()
    start = time.perf_counter()
    if tool == "flaml":
        from flaml import AutoML
        automl = AutoML()
        automl.fit(
            X_train=train.drop(columns=[label]), y_train=train[label], task="classification",
            metric="accuracy", time_budget=seconds, n_jobs=2, seed=42, log_file_name=f"{work}/flaml.log",
            verbose=0)
        predicted = automl.predict(x_test)
    elif tool == "autogluon":
        from autogluon.tabular import TabularPredictor
        predictor = TabularPredictor(label=label, eval_metric="accuracy", path=f"{work}/autogluon", verbosity=0)
        predictor.fit(train, time_limit=seconds, num_cpus=2, num_gpus=0)
        predicted = predictor.predict(x_test).to_numpy()
    else:
        raise SystemExit(f"unknown tool {tool}")
    elapsed = time.perf_counter() - start
    accuracy = float(np.mean(np.asarray(predicted) == y_test))
    print(json.dumps({"tool": tool, "accuracy": accuracy, "seconds": elapsed}))


if __name__ == "__main__":
    main()
