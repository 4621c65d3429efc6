"""Wall-clock timing of small callables: warm-up, interleaved repeats, a device sync around each."""

import time
from collections.abc import Callable

import numpy as np

from torchxp_core.devices import synchronize


def measure_many(
    fns: dict[str, Callable[[], object]], device: str, repeats: int = 15, warmup: int = 3
) -> dict[str, np.ndarray]:
    """Seconds per call of each callable, shape (repeats,) each, timed in turns.

    The callables take turns, so a burst of load from anything else on the machine lands on all
    of them alike instead of on whichever happened to run then; the order flips every round
    (a, b, then b, a), so neither always runs first. Round i of each callable is one pair: their
    ratio compares calls made back to back, under the same load. A GPU
    queues kernels and returns at once, so the device is synchronised before the clock starts
    and before it stops: the time is the work, not the launch.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}.")
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    synchronize(device)
    times = {name: np.empty(repeats) for name in fns}
    order = list(fns.items())
    for i in range(repeats):
        for name, fn in order if i % 2 == 0 else order[::-1]:
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            times[name][i] = time.perf_counter() - start
    return times
