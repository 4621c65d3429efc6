"""Small runs for the history, export and Runs page tests: a few epochs, well under a second."""

from torchxp_core.config import RunConfig
from torchxp_core.runner import Run, RunRegistry
from torchxp_core.training import Quiet


def tiny_config(**train) -> RunConfig:
    """Two moons, 200 samples, a 2-8-2 MLP; ``train`` overrides TrainConfig fields."""
    return RunConfig.from_dict(
        {
            "data": {"dataset": "moons", "n_samples": 200},
            "model": {"hidden": [8]},
            "train": {"epochs": 3, "batch_size": 32, **train},
        }
    )


def finished_run(registry: RunRegistry, cfg: RunConfig | None = None) -> Run:
    run = registry.start(cfg or tiny_config())
    assert run.join(60), "a tiny run did not finish within a minute"
    return run


def csv_config(folder) -> tuple[str, RunConfig]:
    """A small CSV stored in ``folder`` and a run's settings on it (text labels, two features)."""
    from torchxp_core import tables

    rows = ["x1,x2,kind"] + [f"{i % 7 * 0.5},{i % 5},{'ab'[i % 2]}" for i in range(40)]
    digest = tables.save(("\n".join(rows) + "\n").encode(), folder)
    cfg = RunConfig.from_dict(
        {
            "data": {"dataset": "csv", "table": digest, "target": "kind", "features": ["x1", "x2"]},
            "train": {"epochs": 1},
        }
    )
    return digest, cfg


QuietReporter = Quiet  # the loop run right here, with no process around it
