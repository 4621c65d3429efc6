"""A run's metrics log: written by the run's thread, read by page ticks, lock-guarded.

Per-step losses go into a preallocated float32 array that doubles when full, so an append
costs microseconds and a million steps take 4 MB, not a list of Python floats.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Snapshot:
    """Prediction of the model over the input space at one moment of the run."""

    step: int
    epoch: int
    values: np.ndarray  # 2-D points: (res, res) P(class 1) or class; 1-D: (res,) y-hat
    confidence: np.ndarray | None = None  # multiclass: (res, res) max softmax probability


@dataclass(frozen=True)
class ParamSnapshot:
    """Copies of every parameter and its gradient at the end of an epoch."""

    step: int
    epoch: int
    weights: dict[str, np.ndarray]  # name ("0.weight") -> float32 copy
    grads: dict[str, np.ndarray | None]  # None where .grad was never filled (frozen)
    buffers: dict[str, np.ndarray] = field(default_factory=dict)  # BatchNorm's running stats
    final: bool = False  # the weights as the run left them, not an epoch's end
    # Each validation sample's class by these weights in eval mode, as the run's own
    # validation computed it; None where the snapshot is not the weights validation saw.
    val_predicted: np.ndarray | None = None
    # Per parameter (‖Δw‖², ‖w‖² before it) of the one optimizer.step() that ended with these
    # weights ((0, ‖w‖²) for a frozen one); None where that step was not watched (the initial
    # weights, a Stop mid-epoch).
    last_update: dict[str, tuple[float, float]] | None = None


@dataclass(frozen=True)
class StepSeries:
    """Copies of the per-step arrays, safe to use outside the lock."""

    loss: np.ndarray  # (n,) float32
    seconds: np.ndarray  # (n,) float32 seconds since the run started


def _grown(values: np.ndarray, size: int) -> np.ndarray:
    grown = np.empty(size, np.float32)
    grown[: len(values)] = values
    return grown


class Thinned:
    """At most ``size`` (even) items spread over a whole run, the first and the newest kept.

    A run sends its weights up to 4 times a second: a plain window of the last 200 would show
    the last 50 s, and lose the initial weights that "changed since the start" compares with.
    Here, once full, every other item is dropped and from then on every 2nd arrival kept (4th,
    8th, ...), so the items stay evenly spread from the first to the newest.
    """

    def __init__(self, size: int):
        self.size, self.stride, self.arrivals = size, 1, 0
        self.kept: list = []
        self.newest = None  # an arrival between two kept ones, until the next comes

    def add(self, item) -> None:
        if self.arrivals % self.stride:
            self.newest = item
        else:
            self.kept.append(item)
            self.newest = None
            if len(self.kept) > self.size:  # arrivals 0, s, 2s, ...: keep 0, 2s, 4s, ...
                self.kept = self.kept[::2]
                self.stride *= 2
        self.arrivals += 1

    def items(self) -> list:
        return self.kept + ([self.newest] if self.newest is not None else [])

    def clear(self) -> None:
        self.kept, self.newest = [], None


@dataclass
class MetricsLog:
    capacity: int = 4096
    max_snapshots: int = 200  # surfaces: the newest kept; weights: thinned over the run
    _loss: np.ndarray = field(init=False)
    _seconds: np.ndarray = field(init=False)
    _n: int = field(init=False, default=0)
    epochs: list[dict] = field(init=False, default_factory=list)
    snapshots: deque = field(init=False)
    params: Thinned = field(init=False)  # ParamSnapshots over the whole run, thinned
    started: float = field(init=False, default_factory=time.perf_counter)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._epoch_columns: dict[str, np.ndarray] = {}  # float32, capacity doubles
        self._loss = np.empty(self.capacity, np.float32)
        self._seconds = np.empty(self.capacity, np.float32)
        self.snapshots = deque(maxlen=self.max_snapshots)
        self.params = Thinned(self.max_snapshots)

    def add_steps(self, loss: np.ndarray, seconds: np.ndarray) -> None:
        """Append a batch of steps (float32 arrays of equal length), as the worker sends them."""
        with self._lock:
            end = self._n + len(loss)
            if end > len(self._loss):  # grow by doubling, keeping what is there
                size = max(end, 2 * len(self._loss))
                self._loss = _grown(self._loss[: self._n], size)
                self._seconds = _grown(self._seconds[: self._n], size)
            self._loss[self._n : end] = loss
            self._seconds[self._n : end] = seconds
            self._n = end

    def add_epoch(self, record: dict) -> None:
        with self._lock:
            self.epochs.append(record)
            for key, value in record.items():
                column = self._epoch_columns.get(key)
                if column is None or len(column) < len(self.epochs):  # grow by doubling
                    grown = np.full(max(64, 2 * len(self.epochs)), np.nan, np.float32)
                    if column is not None:
                        grown[: len(column)] = column
                    self._epoch_columns[key] = column = grown
                column[len(self.epochs) - 1] = value

    def epoch_columns(self) -> dict[str, np.ndarray]:
        """Per-epoch values as float32 arrays by key ("epoch", "val_loss", ...), for charts."""
        with self._lock:
            n = len(self.epochs)
            return {key: column[:n].copy() for key, column in self._epoch_columns.items()}

    def add_snapshot(self, snap: Snapshot) -> None:
        with self._lock:
            self.snapshots.append(snap)

    def add_params(self, snap: ParamSnapshot) -> None:
        with self._lock:
            self.params.add(snap)

    def shed(self) -> None:
        """Drop the weight and surface history (an ended run's; its metrics stay)."""
        with self._lock:
            self.params.clear()
            self.snapshots.clear()

    def param_history(self) -> list[ParamSnapshot]:
        with self._lock:
            return self.params.items()

    def steps(self, start: int = 0) -> StepSeries:
        """Steps from ``start`` on; a live chart asks only for what it has not seen yet."""
        with self._lock:
            n = self._n
            return StepSeries(self._loss[start:n].copy(), self._seconds[start:n].copy())

    def epoch_records(self) -> list[dict]:
        with self._lock:
            return list(self.epochs)

    def latest_epochs(self, n: int = 2) -> list[dict]:
        """The last ``n`` epoch records: what a live tick needs, without copying the rest."""
        with self._lock:
            return self.epochs[-n:]

    def latest_snapshot(self) -> Snapshot | None:
        with self._lock:
            return self.snapshots[-1] if self.snapshots else None
