"""Run history that survives a restart: an embedded SQLite store and the thread that fills it.

The training loop never sees this file. ``HistoryRecorder`` wakes about once a second, copies
each run's new steps and epoch records out of its ``MetricsLog`` and writes them in one
transaction per run, so a killed server loses at most the last second or two of a run and
never a finished one. Per-step series are stored as float32 blobs, one per write: exact, and
a million steps take 8 MB.
"""

import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from torchxp_core.config import RunConfig
from torchxp_core.metrics import StepSeries
from torchxp_core.runner import ACTIVE

APP_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DIR = APP_DIR / "data"  # gitignored
DB_NAME = "history.sqlite"
INTERRUPTED = "interrupted"  # a run stored as active when the store was (re)opened
RECORD_EVERY_S = 1.0  # a killed server loses at most about this much of a run

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',      -- JSON list of strings
    settings TEXT NOT NULL,               -- RunConfig.to_dict() as JSON
    status TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,             -- Unix seconds
    ended_at REAL,
    torch_version TEXT NOT NULL,
    device TEXT NOT NULL,
    final TEXT NOT NULL DEFAULT '{}',     -- the last epoch record, JSON
    n_steps INTEGER NOT NULL DEFAULT 0,
    live_id TEXT NOT NULL DEFAULT ''      -- the run's id in this server's registry
);
CREATE TABLE IF NOT EXISTS steps (        -- per-step series in chunks, in order of `start`
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,               -- index of the chunk's first step
    loss BLOB NOT NULL,                   -- float32 little-endian
    seconds BLOB NOT NULL,                -- float32 little-endian, seconds since start
    PRIMARY KEY (run_id, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    record TEXT NOT NULL,                 -- {epoch, step, elapsed_s, train_loss, ...} as JSON
    PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_F32 = np.dtype("<f4")


class HistoryUnavailable(RuntimeError):
    """The history database cannot be opened or written; training goes on without it."""


def data_dir(directory: str | os.PathLike | None = None) -> Path:
    """Where history lives: the argument, else $TORCHXP_DATA_DIR, else ./data in the repo."""
    return Path(directory or os.environ.get("TORCHXP_DATA_DIR") or DEFAULT_DIR)


def shown_path(path: Path) -> str:
    """Where a file is, as a page may say it: relative to the app, else by its setting's name
    (a full server path tells a visitor more than they need)."""
    try:
        return str(path.resolve().relative_to(APP_DIR.resolve()))
    except (OSError, ValueError):
        pass
    if os.environ.get("TORCHXP_DATA_DIR"):
        return f"$TORCHXP_DATA_DIR/{path.name}"
    return f"{path.name} in the data folder"


def _reason(exc: Exception) -> str:
    """What went wrong, without the paths an OSError quotes."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@dataclass
class StoredRun:
    """One row of the runs table, settings and final metrics decoded."""

    id: str
    name: str
    tags: list[str]
    settings: dict
    status: str
    error: str
    started_at: float
    ended_at: float | None
    torch_version: str
    device: str
    final: dict = field(default_factory=dict)
    n_steps: int = 0
    live_id: str = ""

    def setting(self, dotted: str):
        section, name = dotted.split(".")
        return self.settings.get(section, {}).get(name)

    def config(self) -> RunConfig:
        """The settings as a RunConfig; ValueError if this torchxp can no longer run them."""
        return RunConfig.from_dict(self.settings)

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    @property
    def epochs_trained(self) -> int:
        """The epochs its last record counts: an "until paused" run ends where it stopped."""
        return int(self.final.get("epoch", 0) or 0)


def _unavailable(path: Path, exc: Exception) -> HistoryUnavailable:
    return HistoryUnavailable(
        f"Run history is off: the database {shown_path(path)} cannot be used ({_reason(exc)}). "
        f"Training still works, but runs are not saved; fix or move the file, or set "
        f"TORCHXP_DATA_DIR to a writable folder, then restart."
    )


def _damaged(path: Path) -> str:
    return (
        f"The run history file {shown_path(path)} is damaged (SQLite's check of it failed): "
        f"the runs that can still be read are shown, and new runs are not saved. Move the "
        f"file aside, or set TORCHXP_DATA_DIR to another folder, and restart for a fresh one."
    )


def _floats(blob) -> np.ndarray | None:
    """A stored float32 blob, or None when it is not one (wrong type, odd length)."""
    if not isinstance(blob, bytes) or len(blob) % _F32.itemsize:
        return None
    return np.frombuffer(blob, _F32)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class HistoryStore:
    """The SQLite file of run history. Thread-safe: one connection, one lock, WAL mode."""

    def __init__(self, directory: str | os.PathLike | None = None, *, recover: bool = True):
        self.path = data_dir(directory) / DB_NAME
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=5.0
            )
        except (OSError, sqlite3.Error) as exc:
            raise _unavailable(self.path, exc) from exc
        self.damage = ""  # a sentence once the file is found damaged: then it is read-only
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable up to the last second
            if not self._intact():
                self.damage = _damaged(self.path)
                return  # readable as far as it goes; never written, so never made worse
            self._db.executescript(_SCHEMA)
            with self._write():  # proves the file is writable now, not at the first run
                self._db.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('opened_at', ?)",
                    (str(time.time()),),
                )
                if recover:
                    self._mark_interrupted()
        except (OSError, sqlite3.Error) as exc:
            self._db.close()
            raise _unavailable(self.path, exc) from exc

    def _intact(self) -> bool:
        """SQLite's quick_check of every page: a damaged page is found now, at start, not by
        whichever query first reads it (26 ms for an 80 MB store here)."""
        try:
            return self._db.execute("PRAGMA quick_check(1)").fetchall() == [("ok",)]
        except sqlite3.DatabaseError:
            return False

    def _mark_interrupted(self) -> None:
        """Runs stored as active by a server that is gone: interrupted, ended at their last
        stored step (or at their start, with none), so they have a duration."""
        active = ",".join("?" * len(ACTIVE))
        rows = self._db.execute(
            f"SELECT id, started_at FROM runs WHERE status IN ({active}) "
            f"OR (status = ? AND ended_at IS NULL)",
            (*sorted(ACTIVE), INTERRUPTED),
        ).fetchall()
        for run_id, started_at in rows:
            last = self._db.execute(
                "SELECT seconds FROM steps WHERE run_id = ? ORDER BY start DESC LIMIT 1", (run_id,)
            ).fetchone()
            seconds = _floats(last[0]) if last else None
            trained = float(seconds[-1]) if seconds is not None and len(seconds) else 0.0
            ended = started_at + trained if _is_number(started_at) else None
            self._db.execute(
                "UPDATE runs SET status = ?, live_id = '', ended_at = ? WHERE id = ?",
                (INTERRUPTED, ended, run_id),
            )

    # --- plumbing ----------------------------------------------------------------------
    class _Tx:
        def __init__(self, store: "HistoryStore"):
            self.store = store

        def __enter__(self):
            self.store._lock.acquire()
            try:
                self.store._db.execute("BEGIN IMMEDIATE")  # one writer, across processes too
            except BaseException:
                self.store._lock.release()
                raise

        def __exit__(self, kind, exc, tb):
            db = self.store._db
            try:
                db.execute("COMMIT" if kind is None else "ROLLBACK")
            except sqlite3.Error:
                if db.in_transaction:  # a failed COMMIT (disk full) leaves it open
                    db.execute("ROLLBACK")
                raise
            finally:
                self.store._lock.release()

    def _write(self) -> "_Tx":
        if self.damage:
            raise HistoryUnavailable(self.damage)
        return HistoryStore._Tx(self)

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc

    def _change(self, sql: str, params: tuple = ()) -> None:
        try:
            with self._write():
                self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- writing -------------------------------------------------------------------------
    def add_run(
        self,
        run_id: str,
        name: str,
        settings: dict,
        *,
        status: str = "pending",
        started_at: float | None = None,
        device: str = "cpu",
        live_id: str = "",
        tags: list[str] | None = None,
    ) -> None:
        self._change(
            "INSERT INTO runs(id, name, tags, settings, status, started_at, torch_version, "
            "device, live_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                name,
                json.dumps(tags or []),
                json.dumps(settings),
                str(status),
                time.time() if started_at is None else started_at,
                torch.__version__,
                device,
                live_id,
            ),
        )

    def append(
        self,
        run_id: str,
        first_step: int,
        loss: np.ndarray,
        seconds: np.ndarray,
        epochs: list[dict],
        *,
        status: str,
        error: str = "",
        ended_at: float | None = None,
    ) -> bool:
        """New steps from index ``first_step``, new epoch records and the status, atomically.

        Returns False, writing nothing, if the run was deleted meanwhile.
        """
        try:
            with self._write():
                if not self._db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                    return False
                if len(loss):
                    self._db.execute(
                        "INSERT INTO steps(run_id, start, loss, seconds) VALUES (?, ?, ?, ?)",
                        (
                            run_id,
                            first_step,
                            np.ascontiguousarray(loss, _F32).tobytes(),
                            np.ascontiguousarray(seconds, _F32).tobytes(),
                        ),
                    )
                self._db.executemany(
                    "INSERT OR REPLACE INTO epochs(run_id, epoch, record) VALUES (?, ?, ?)",
                    [(run_id, int(r["epoch"]), json.dumps(r)) for r in epochs],
                )
                final = ", final = ?" if epochs else ""
                self._db.execute(
                    f"UPDATE runs SET status = ?, error = ?, ended_at = ?, "
                    f"n_steps = ?{final} WHERE id = ?",
                    (
                        str(status),
                        error,
                        ended_at,
                        first_step + len(loss),
                        *([json.dumps(epochs[-1])] if epochs else []),
                        run_id,
                    ),
                )
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        return True

    def rename(self, run_id: str, name: str) -> None:
        self._change("UPDATE runs SET name = ? WHERE id = ?", (name, run_id))

    def set_tags(self, run_id: str, tags: list[str]) -> None:
        clean = sorted({t.strip() for t in tags if t.strip()})
        self._change("UPDATE runs SET tags = ? WHERE id = ?", (json.dumps(clean), run_id))

    def delete(self, run_id: str) -> None:
        self._change("DELETE FROM runs WHERE id = ?", (run_id,))  # cascades to its metrics

    # --- reading -------------------------------------------------------------------------
    _COLUMNS = (
        "id, name, tags, settings, status, error, started_at, ended_at, torch_version, "
        "device, final, n_steps, live_id"
    )

    @staticmethod
    def _row(row: tuple) -> StoredRun | None:
        """A row as a StoredRun, or None when it is damaged (bad JSON, wrong types)."""
        values = list(row)
        try:
            for i in (2, 3, 10):  # tags, settings, final
                values[i] = json.loads(values[i])
        except (TypeError, ValueError):  # not text, or not JSON
            return None
        run_id, name, tags, settings, status, error, started, ended, version, device = values[:10]
        final, n_steps, live_id = values[10:]
        texts = (run_id, name, status, error, version, device, live_id)
        if not (
            all(isinstance(t, str) for t in texts)
            and isinstance(tags, list)
            and all(isinstance(t, str) for t in tags)
            and isinstance(settings, dict)
            and all(isinstance(part, dict) for part in settings.values())
            and isinstance(final, dict)
            and _is_number(started)
            and (ended is None or _is_number(ended))
            and isinstance(n_steps, int)
        ):
            return None
        values[10] = {k: v for k, v in final.items() if _is_number(v)}  # metrics are numbers
        return StoredRun(*values)

    def scan(self) -> tuple[list[StoredRun], int]:
        """Every stored run that can be read, newest first, and how many rows were damaged."""
        rows = self._query(f"SELECT {self._COLUMNS} FROM runs ORDER BY started_at DESC, id")
        runs = [run for run in map(self._row, rows) if run is not None]
        return runs, len(rows) - len(runs)

    def runs(self) -> list[StoredRun]:
        """Every stored run that can be read, newest first (damaged rows are left out)."""
        return self.scan()[0]

    def get(self, run_id: str) -> StoredRun | None:
        """The run, or None if it is gone or damaged."""
        rows = self._query(f"SELECT {self._COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return self._row(rows[0]) if rows else None

    def steps_checked(self, run_id: str) -> tuple[StepSeries, int]:
        """Every stored step of a run, at full resolution, and how many damaged chunks (not
        float32, or loss and seconds of different lengths) were left out."""
        rows = self._query(
            "SELECT loss, seconds FROM steps WHERE run_id = ? ORDER BY start", (run_id,)
        )
        chunks = [(_floats(r[0]), _floats(r[1])) for r in rows]
        good = [
            (lo, se)
            for lo, se in chunks
            if lo is not None and se is not None and len(lo) == len(se)
        ]
        empty = np.empty(0, np.float32)
        series = StepSeries(
            np.concatenate([lo for lo, _ in good]).astype(np.float32) if good else empty,
            np.concatenate([se for _, se in good]).astype(np.float32) if good else empty.copy(),
        )
        return series, len(rows) - len(good)

    def steps(self, run_id: str) -> StepSeries:
        """Every stored step of a run, at full resolution (damaged chunks left out)."""
        return self.steps_checked(run_id)[0]

    def epochs_checked(self, run_id: str) -> tuple[list[dict], int]:
        """The run's epoch records, and how many damaged ones were left out."""
        rows = self._query("SELECT record FROM epochs WHERE run_id = ? ORDER BY epoch", (run_id,))
        records = []
        for (text,) in rows:
            try:
                record = json.loads(text)
            except (TypeError, ValueError):
                continue
            if isinstance(record, dict) and _is_number(record.get("epoch")):
                records.append({k: v for k, v in record.items() if _is_number(v)})
        return records, len(rows) - len(records)

    def epochs(self, run_id: str) -> list[dict]:
        return self.epochs_checked(run_id)[0]


def new_id() -> str:
    """A history id unique across restarts (the registry's run-N restarts at 1)."""
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
