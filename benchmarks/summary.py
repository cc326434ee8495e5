"""Summarizes the benchmark scripts' result rows, `TOOL [SETTING ...] seed N  NAME VALUE  SECONDS s`
(tune.sh, tune-pareto.sh, pbt.sh): for each tool and setting, in the order first seen, the value's
mean and range over the seeds and the mean wall time; for Optuna's rows (optuna, optuna-process),
Descent's mean wall time over Optuna's in the same setting. Usage: python3 benchmarks/summary.py ROWS_FILE"""
import collections
import sys

rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    fields = line.split()
    at = fields.index("seed")
    key = tuple(fields[:at])
    rows.setdefault(key, []).append((fields[at + 2], float(fields[at + 3]), float(fields[at + 4])))


def wall(key):
    return sum(seconds for _, _, seconds in rows[key]) / len(rows[key])


for key, runs in rows.items():
    name = runs[0][0]
    values = [value for _, value, _ in runs]
    line = "%-22s %s mean %.4f (%.4f–%.4f), wall mean %.1f s" % (
        " ".join(key), name, sum(values) / len(values), min(values), max(values), wall(key))
    descent = ("descent",) + key[1:]
    if key[0].startswith("optuna") and descent in rows:
        line += ", wall ratio descent/optuna %.2f×" % (wall(descent) / wall(key))
    print(line)
