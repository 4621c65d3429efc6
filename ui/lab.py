"""Small actions of the Training Lab page that are not widgets."""

from dataclasses import replace

from torchxp_core.config import RunConfig


def without_pitfalls(config: RunConfig) -> RunConfig:
    """The correct twin of a run: the same settings and seed with every mistake switched off."""
    return replace(config, train=replace(config.train, pitfalls=()))
