"""A few batches of a tiny run, done once in the forkserver, which imports this module.

torch does much of its work lazily on first use: the first batch of a fresh process took
7-9 ms here and the next fifty ran ~0.4 ms slower each than later ones, ~4 % of a default
run. Every worker is forked from the forkserver, so doing that first-use work there once
means each run starts with it done. Runs seed themselves (``training.prepare``), so what
this does to the global random state changes nothing a run computes.
"""

from torchxp_core.config import RunConfig, TrainConfig
from torchxp_core.training import Quiet, fit, prepare


def warm() -> None:
    fit(prepare(RunConfig(train=TrainConfig(epochs=2))), Quiet())


warm()
