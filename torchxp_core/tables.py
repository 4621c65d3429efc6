"""A CSV of your own: read, checked, stored by content hash, turned into float32 features.

Every problem a file can have becomes a ``TableError`` (a ValueError) with one sentence a
person can act on; nothing here raises anything else for any bytes (a fuzz test checks).
A run on an uploaded table keeps only the file's hash in its settings; the bytes live in the
data folder under that hash, so a run can be reopened and retrained from the same file.
"""

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from torchxp_core.losses import CLASSIFICATION, REGRESSION

MAX_BYTES = 20 * 2**20
MAX_ROWS = 100_000
MAX_COLUMNS = 200
MAX_MISSING_SHARE = 0.2  # rows with a missing value are dropped, up to this share
MAX_CLASSES = 20  # an integer column with at most this many values reads as classes
_HASH = re.compile(r"[0-9a-f]{64}")
_DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "data"  # as history.data_dir: gitignored


def data_folder() -> Path:
    """The server's data folder ($TORCHXP_DATA_DIR, else ./data), where tables are kept."""
    return Path(os.environ.get("TORCHXP_DATA_DIR") or _DEFAULT_FOLDER)


class TableError(ValueError):
    """The file cannot be used, and why, in a sentence."""


@dataclass(frozen=True)
class Arrays:
    """A table as the loop needs it: float32 features, int64 classes or float32 values."""

    x: np.ndarray  # (N, F) float32
    y: np.ndarray  # (N,) int64 class indices or float32 values
    task: str
    classes: tuple[str, ...]  # the label of each class index; () for regression
    dropped: int  # rows dropped for a missing value


def parse(raw: bytes) -> pd.DataFrame:
    """The CSV's table, or a TableError saying what is wrong with the file."""
    if len(raw) > MAX_BYTES:
        raise TableError(f"The file is {len(raw) / 2**20:.1f} MB; the limit is 20 MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            f"The file is not UTF-8 text (byte {exc.start} cannot be read): save it as "
            "CSV UTF-8 and upload it again."
        ) from None
    if not text.strip():
        raise TableError("The file is empty.")
    if "\x00" in text:
        raise TableError("The file holds binary data, not CSV text.")
    try:
        header = next(csv.reader(io.StringIO(text)))
        frame = pd.read_csv(io.StringIO(text), skipinitialspace=True)
    except (csv.Error, StopIteration, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TableError(f"The file is not a CSV table pandas can read: {first[:200]}") from None
    names = [name.strip() for name in header]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise TableError(f"Column names must differ; repeated: {', '.join(repeated[:5])}.")
    if frame.shape[1] < 2:
        raise TableError(
            "The table has one column; it needs a target and at least one feature "
            "(is it separated by commas?)."
        )
    if frame.shape[1] > MAX_COLUMNS:
        raise TableError(f"The table has {frame.shape[1]} columns; the limit is {MAX_COLUMNS}.")
    if len(frame) > MAX_ROWS:
        raise TableError(f"The table has {len(frame):,} rows; the limit is {MAX_ROWS:,}.")
    if len(frame) < 20:
        raise TableError(f"The table has {len(frame)} rows; training needs at least 20.")
    frame.columns = names
    return frame


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]


def infer_task(column: pd.Series) -> str:
    """Classes for text labels or a few whole numbers; otherwise values to regress."""
    values = column.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return CLASSIFICATION
    whole = np.isfinite(values).all() and (values == np.round(values)).all()
    return CLASSIFICATION if whole and values.nunique() <= MAX_CLASSES else REGRESSION


def arrays(frame: pd.DataFrame, target: str, features: list[str], task: str = "") -> Arrays:
    """Features and target as the loop needs them (lessons #1 and #5), rows with gaps dropped."""
    if target not in frame.columns:
        raise TableError(f"The table has no column '{target}' to predict.")
    features = [f for f in features if f != target]
    if not features:
        raise TableError("Choose at least one feature column besides the target.")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise TableError(f"The table has no column(s) {', '.join(missing[:5])}.")
    text = [f for f in features if not pd.api.types.is_numeric_dtype(frame[f])]
    if text:
        raise TableError(f"Features must be numbers; these hold text: {', '.join(text[:5])}.")
    task = task or infer_task(frame[target])
    used = frame[[*features, target]]
    complete = used.dropna()
    dropped = len(used) - len(complete)
    if dropped > MAX_MISSING_SHARE * len(used):
        raise TableError(
            f"{dropped} of {len(used)} rows miss a value in the chosen columns (more than "
            f"{MAX_MISSING_SHARE:.0%}): fill them in, or leave those columns out."
        )
    if len(complete) < 20:
        raise TableError(f"Only {len(complete)} complete rows remain; training needs 20.")
    x = complete[features].to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        bad = [f for f in features if not np.isfinite(complete[f].to_numpy(np.float64)).all()]
        raise TableError(f"Features must be finite; infinity in: {', '.join(bad[:5])}.")
    labels = complete[target]
    if task == CLASSIFICATION:
        classes = sorted(labels.astype(str).unique())  # text labels become class indices
        if len(classes) < 2:
            raise TableError(f"The target '{target}' has one class; it needs two or more.")
        if len(classes) > MAX_CLASSES:
            raise TableError(
                f"The target '{target}' has {len(classes)} classes (the limit is "
                f"{MAX_CLASSES}): choose regression, or another target."
            )
        index = {name: i for i, name in enumerate(classes)}
        y = labels.astype(str).map(index).to_numpy(dtype=np.int64)
        return Arrays(x.astype(np.float32), y, task, tuple(classes), dropped)
    if not pd.api.types.is_numeric_dtype(labels):
        raise TableError(f"The target '{target}' holds text: it can only be classification.")
    y = labels.to_numpy(dtype=np.float64)
    if not np.isfinite(y).all():
        raise TableError(f"The target '{target}' holds an infinity.")
    return Arrays(x.astype(np.float32), y.astype(np.float32), task, (), dropped)


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def path_of(digest: str, folder: Path) -> Path:
    if not _HASH.fullmatch(digest):
        raise TableError("A table is named by its 64-character content hash.")
    return folder / "tables" / f"{digest}.csv"


def save(raw: bytes, folder: Path) -> str:
    """Keep the file under its content hash (once); returns the hash."""
    digest = content_hash(raw)
    path = path_of(digest, folder)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    return digest


@lru_cache(maxsize=8)
def load(digest: str, folder: Path) -> pd.DataFrame:
    """The stored table of this hash (cached: configs ask for it while they validate)."""
    path = path_of(digest, folder)
    try:
        raw = path.read_bytes()
    except OSError:
        raise TableError(
            "The uploaded table of these settings is not in this server's data folder: "
            "upload the file again."
        ) from None
    if content_hash(raw) != digest:
        raise TableError("The stored table was changed on disk since it was uploaded.")
    return parse(raw)


@lru_cache(maxsize=16)
def stored_arrays(digest: str, target: str, features: tuple[str, ...], task: str) -> Arrays:
    """The arrays of a stored table for these choices (cached: settings ask while validating)."""
    return arrays(load(digest, data_folder()), target, list(features), task)
