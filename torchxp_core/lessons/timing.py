"""Wall-clock timing of a small callable: warm-up, repeats, and a device sync around each."""

import time
from collections.abc import Callable

import numpy as np

from torchxp_core.devices import synchronize


def measure(
    fn: Callable[[], object], device: str, repeats: int = 15, warmup: int = 3
) -> np.ndarray:
    """Seconds per call of ``fn``, one entry per repeat (shape (repeats,)).

    A GPU queues kernels and returns at once, so the device is synchronised before the clock
    starts and before it stops: the time is the work, not the launch.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}.")
    for _ in range(warmup):
        fn()
    synchronize(device)
    times = np.empty(repeats)
    for i in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        times[i] = time.perf_counter() - start
    return times
