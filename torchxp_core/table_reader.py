"""Your CSV read without pandas: the copy of tables.py's steps an exported script carries.

A script exported from a run on an uploaded table must read the file beside it with the same
parsing, cleaning and encoding steps torchxp took, yet need only numpy (this whole module is
copied into the script). What pandas decided (each used column's kind, the class names) is
passed in; retrain_script checks at export time that this reader gives the very arrays
tables.stored_arrays gave the run, and refuses the export in a sentence where it does not.
"""

import csv
import io

import numpy as np

# pandas' default words for a missing value (read_csv's na_values), which tables.py keeps.
MISSING = frozenset(
    ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
     "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
)  # fmt: skip


def _number(cell, kind):
    if kind == "bool":  # pandas reads True/False columns as booleans: 1.0 and 0.0
        return 1.0 if cell.strip().lower() == "true" else 0.0
    return float(cell)


def _label(cell, kind):
    """The class name pandas' astype(str) gives this cell of a column of ``kind``."""
    if kind == "int":
        return str(int(cell))
    if kind == "float":
        return str(float(cell))
    if kind == "bool":
        return str(cell.strip().lower() == "true")
    return cell


def read_table(raw, target, features, kinds, classes):
    """x (N, F) float32 and y (int64 class indices, or float32 values when ``classes`` is
    empty) from the CSV's bytes; rows missing a used value are dropped, as torchxp did."""
    text = raw.decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text), skipinitialspace=True) if row]
    header = [name.strip() for name in rows[0]]
    used = [header.index(name) for name in [*features, target]]
    xs, ys = [], []
    for row in rows[1:]:
        cells = [row[i] if i < len(row) else "" for i in used]
        if any(cell in MISSING for cell in cells):
            continue
        xs.append([_number(c, kinds[f]) for c, f in zip(cells[:-1], features, strict=True)])
        ys.append(cells[-1])
    x = np.asarray(xs, dtype=np.float64).reshape(len(xs), len(features)).astype(np.float32)
    if classes:  # text labels become class indices in sorted order (lesson #5: int64)
        index = {name: i for i, name in enumerate(classes)}
        y = np.asarray([index[_label(cell, kinds[target])] for cell in ys], dtype=np.int64)
    else:
        y = np.asarray([_number(cell, kinds[target]) for cell in ys], dtype=np.float64)
        y = y.astype(np.float32)
    return x, y
