"""Small actions of the Training Lab page that are not widgets."""

from dataclasses import replace

from torchxp_core.config import RunConfig
from torchxp_core.runner import Run


def without_pitfalls(config: RunConfig) -> RunConfig:
    """The correct twin of a run: the same settings and seed with every mistake switched off."""
    return replace(config, train=replace(config.train, pitfalls=()))


def each(runs: list[Run], action: str):
    """A button callback applying run.<action>() to every run shown (a run and its twin)."""

    def apply() -> None:
        for run in runs:
            getattr(run, action)()

    return apply
