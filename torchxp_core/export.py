"""Export stored runs' metrics as CSV and JSON: every point, never sampled.

A run as a standalone script is retrain_script.py's job.
"""

import csv
import io
import json
from dataclasses import asdict, dataclass

from torchxp_core.history import HistoryStore, StoredRun
from torchxp_core.metrics import StepSeries

FORMAT = "torchxp-runs/1"
_EPOCH_META = ("epoch", "step", "elapsed_s", "cpu_s")  # when, not what it learned


@dataclass
class RunData:
    run: StoredRun
    steps: StepSeries
    epochs: list[dict]


def load(store: HistoryStore, run_ids: list[str]) -> list[RunData]:
    """Runs with their full metrics, in the order given; unknown ids are skipped."""
    items = []
    for run_id in run_ids:
        run = store.get(run_id)
        if run is not None:
            items.append(RunData(run, store.steps(run_id), store.epochs(run_id)))
    return items


def _num(value) -> str:
    return "" if value is None else repr(float(value))  # repr: the float round-trips exactly


def to_csv(items: list[RunData]) -> str:
    """One row per step (batch_loss) and one per epoch (its metrics), for every run."""
    metrics = list(
        dict.fromkeys(k for it in items for r in it.epochs for k in r if k not in _EPOCH_META)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["run_id", "run_name", "kind", "step", "epoch", "seconds", "batch_loss", *metrics]
    )
    for it in items:
        head = [it.run.id, it.run.name]
        loss, seconds = it.steps.loss.tolist(), it.steps.seconds.tolist()
        pad = [""] * len(metrics)
        for i, (value, second) in enumerate(zip(loss, seconds, strict=True)):
            writer.writerow([*head, "step", i + 1, "", _num(second), _num(value), *pad])
        for r in it.epochs:
            values = [_num(r.get(k)) for k in metrics]
            writer.writerow(
                [*head, "epoch", r["step"], r["epoch"], _num(r["elapsed_s"]), "", *values]
            )
    return out.getvalue()


def to_json(items: list[RunData]) -> str:
    """Every run with its settings, status, every step and every epoch record."""
    runs = []
    for it in items:
        entry = asdict(it.run)
        entry["steps"] = {"loss": it.steps.loss.tolist(), "seconds": it.steps.seconds.tolist()}
        entry["epochs"] = it.epochs
        runs.append(entry)
    return json.dumps({"format": FORMAT, "runs": runs}, indent=1)


# --- "Export as script" ------------------------------------------------------------------
