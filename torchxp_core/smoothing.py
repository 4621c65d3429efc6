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
