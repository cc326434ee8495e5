"""Writes the CSV fixtures the way users' tools write them (run by hand; the files are committed,
so the suite needs neither Python nor pandas). Each file holds the same table:

    width   "height, cm"   say "hi"   label
    0.1     2.5            -0.0       0
    1e-05   0.25           5.0        1
    3.0     -7.0           1e-50      2

Python's csv module: QUOTE_MINIMAL, "\\r\\n" line ends (its defaults). pandas: "\\n" line ends,
floats as repr. A spreadsheet's "CSV UTF-8" export: a byte order mark and "\\r\\n"."""
import csv

import pandas

header = ["width", "height, cm", 'say "hi"', "label"]
rows = [[0.1, 2.5, -0.0, 0], [1e-05, 0.25, 5.0, 1], [3.0, -7.0, 1e-50, 2]]

with open("python-csv.csv", "w", newline="") as f:
    csv.writer(f).writerows([header] + rows)

frame = pandas.DataFrame(rows, columns=header)
frame["label"] = frame["label"].astype(int)
frame.to_csv("pandas.csv", index=False)

with open("spreadsheet.csv", "w", newline="", encoding="utf-8-sig") as f:
    csv.writer(f).writerows([header] + [[f"{v:g}" for v in row] for row in rows])
