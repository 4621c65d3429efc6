"""Curve smoothing and decimation for charts that stay fast however long the run.

Smoothing is TensorBoard's debiased exponential moving average, computed on the full series;
decimation only decides which points get drawn.
"""

import numpy as np
from scipy.signal import lfilter


def debiased_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """last = w·last + (1−w)·y, shown = last / (1 − w^t), with last starting at 0.

    The division removes the pull towards 0 that a plain EMA has over its first steps, the
    bias TensorBoard's smoothing is known for at the start of a curve.
    """
    y = np.asarray(values, dtype=np.float64)
    if weight <= 0 or len(y) == 0:
        return y.copy()
    last = lfilter([1.0 - weight], [1.0, -weight], y)  # the recurrence, vectorised
    t = np.arange(1, len(y) + 1)
    return last / (1.0 - weight**t)


def decimate(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most ~max_points samples that keep each bucket's min and max.

    Min/max per bucket keeps spikes visible (a plain stride would drop a divergence spike),
    and the first and last points are always kept.
    """
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    size = n // buckets
    body = np.asarray(values[: buckets * size]).reshape(buckets, size)
    offsets = np.arange(buckets) * size
    # The loop never logs a NaN loss (it stops the run as diverged first).
    idx = np.concatenate(
        [[0], offsets + body.argmin(axis=1), offsets + body.argmax(axis=1), [n - 1]]
    )
    return np.unique(idx)


class LiveCurve:
    """A growing series kept smoothed and decimated in O(new points) per update.

    A live chart redraws every tick; redoing the EMA and the min/max decimation over the
    whole run would make a tick cost grow with the run. Here the EMA carries its filter
    state across updates (lfilter's ``zi``), and the decimation keeps one (argmin, argmax)
    pair per complete bucket, doubling the bucket size (merging pairs) whenever there are
    too many, so each step is touched a bounded number of times.
    """

    def __init__(self, weight: float, max_points: int = 1500):
        self.weight = weight
        self.max_buckets = max(1, (max_points - 4) // 2)
        self._raw = np.empty(1024, np.float32)  # capacity doubles; [:n] is the series
        self._smooth = np.empty(1024, np.float32)
        self._n = 0
        self._zi = np.zeros(1)
        self._bucket = 1
        self._lo = np.empty(0, np.int64)  # per complete bucket: index of its minimum
        self._hi = np.empty(0, np.int64)  # ... and of its maximum

    def __len__(self) -> int:
        return self._n

    @property
    def raw(self) -> np.ndarray:
        return self._raw[: self._n]

    @property
    def smooth(self) -> np.ndarray:
        return self._smooth[: self._n]

    def extend(self, new: np.ndarray) -> None:
        new = np.asarray(new, dtype=np.float64)
        if not len(new):
            return
        start, end = self._n, self._n + len(new)
        if self.weight > 0:
            last, self._zi = lfilter([1.0 - self.weight], [1.0, -self.weight], new, zi=self._zi)
            t = np.arange(start + 1, start + len(new) + 1)
            smooth = last / (1.0 - self.weight**t)
        else:
            smooth = new
        while end > len(self._raw):  # amortised O(1) per point, unlike np.concatenate
            self._raw = np.concatenate([self._raw, np.empty_like(self._raw)])
            self._smooth = np.concatenate([self._smooth, np.empty_like(self._smooth)])
        self._raw[start:end] = new
        self._smooth[start:end] = smooth
        self._n = end
        self._add_buckets()

    def _add_buckets(self) -> None:
        b, done = self._bucket, len(self._lo)
        complete = len(self.raw) // b
        if complete > done:
            block = self.raw[done * b : complete * b].reshape(-1, b)
            offsets = (np.arange(done, complete) * b)[:, None][:, 0]
            self._lo = np.concatenate([self._lo, offsets + block.argmin(axis=1)])
            self._hi = np.concatenate([self._hi, offsets + block.argmax(axis=1)])
        while len(self._lo) > self.max_buckets:
            pairs = len(self._lo) // 2  # an odd last bucket is redone at the new size
            lo, hi = self._lo[: 2 * pairs].reshape(-1, 2), self._hi[: 2 * pairs].reshape(-1, 2)
            rows = np.arange(pairs)
            self._lo = lo[rows, self.raw[lo].argmin(axis=1)]
            self._hi = hi[rows, self.raw[hi].argmax(axis=1)]
            self._bucket *= 2
            self._add_buckets()

    def indices(self) -> np.ndarray:
        """Sorted indices to draw: ends, each bucket's min and max, and the open tail's."""
        n = len(self.raw)
        if n == 0:
            return np.empty(0, np.int64)
        tail_start = len(self._lo) * self._bucket
        extra = [0, n - 1]
        if tail_start < n:
            tail = self.raw[tail_start:]
            extra += [tail_start + int(tail.argmin()), tail_start + int(tail.argmax())]
        return np.unique(np.concatenate([self._lo, self._hi, extra]))
