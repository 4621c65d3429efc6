"""Comparing stored runs: which settings differ, smoothed curves, seed groups, a settings table.

Everything here returns data (arrays, frames, lists); ``figures/compare.py`` draws it.
Smoothing is computed on the full-resolution series; decimation happens only when drawing.
"""

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from torchxp_core.diff import value_text
from torchxp_core.history import StoredRun
from torchxp_core.metrics import StepSeries
from torchxp_core.smoothing import debiased_ema

SEED_KEYS = ("train.seed", "data.seed")  # runs differing only here are repeats of one setup
FINAL_KEYS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "train_rmse", "val_rmse")


def flatten(settings: dict) -> dict[str, object]:
    """{"train": {"lr": 0.01}} -> {"train.lr": 0.01}; lists become tuples (hashable)."""
    flat = {}
    for section, values in settings.items():
        for name, value in values.items():
            flat[f"{section}.{name}"] = tuple(value) if isinstance(value, list) else value
    return flat


def differing_keys(runs: list[StoredRun]) -> list[str]:
    """Dotted settings whose value is not the same in every run, in settings order."""
    flats = [flatten(r.settings) for r in runs]
    keys = list(dict.fromkeys(k for flat in flats for k in flat))
    return [k for k in keys if len({json.dumps(f.get(k), default=str) for f in flats}) > 1]


def short_key(key: str) -> str:
    """'train.lr' -> 'lr'; data and model settings keep their section ('data.seed')."""
    return key.removeprefix("train.")


def plot_text(text: str) -> str:
    """Text for a plotly legend: plotly reads <a href>, <b> and <br> in names, so a run
    named '<a href=...>' would be a link; as entities it shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def label(run: StoredRun, keys: list[str]) -> str:
    """The run's name and the values of the settings that differ: 'run-3 (lr=0.1)', as plotly
    text (see plot_text)."""
    flat = flatten(run.settings)
    parts = [f"{short_key(k)}={value_text(flat.get(k))}" for k in keys]
    return plot_text(f"{run.name} ({', '.join(parts)})" if parts else run.name)


@dataclass(frozen=True)
class Curve:
    """One run's per-step loss at full resolution, raw and smoothed."""

    label: str
    x: np.ndarray  # (n,) step numbers from 1, or seconds since the start
    raw: np.ndarray  # (n,) float32
    smooth: np.ndarray  # (n,) float64, debiased EMA of raw


def x_values(series: StepSeries, x_axis: str) -> np.ndarray:
    if x_axis == "step":
        return np.arange(1, len(series.loss) + 1, dtype=np.float64)
    return series.seconds.astype(np.float64)


def curves(
    runs: list[StoredRun], series: dict[str, StepSeries], weight: float, x_axis: str = "step"
) -> list[Curve]:
    """A curve per run, labelled by the settings that differ between them."""
    keys = differing_keys(runs)
    return [
        Curve(
            label(run, keys),
            x_values(series[run.id], x_axis),
            series[run.id].loss,
            debiased_ema(series[run.id].loss, weight),
        )
        for run in runs
    ]


def seed_groups(runs: list[StoredRun]) -> list[list[StoredRun]]:
    """Groups of two or more runs whose settings are equal except for the seeds."""
    groups: dict[str, list[StoredRun]] = {}
    for run in runs:
        flat = {k: v for k, v in flatten(run.settings).items() if k not in SEED_KEYS}
        groups.setdefault(json.dumps(flat, sort_keys=True, default=str), []).append(run)
    return [g for g in groups.values() if len(g) > 1]


@dataclass(frozen=True)
class Band:
    """Mean ± 1 std of the smoothed loss across repeats of one setup."""

    label: str
    x: np.ndarray  # (n,) shortest member's length
    mean: np.ndarray
    std: np.ndarray
    members: int


def band(
    group: list[StoredRun],
    series: dict[str, StepSeries],
    weight: float,
    x_axis: str = "step",
    name: str = "",
) -> Band:
    """Align the members on step index (up to the shortest), smooth each, then mean and std."""
    n = min(len(series[r.id].loss) for r in group)
    smooth = np.stack([debiased_ema(series[r.id].loss[:n], weight) for r in group])  # (runs, n)
    x = np.mean([x_values(series[r.id], x_axis)[:n] for r in group], axis=0)
    seeds = ", ".join(f"{r.setting('train.seed')}" for r in group)
    text = name or f"{group[0].name} + {len(group) - 1} more"
    return Band(
        plot_text(f"{text}: mean ± 1 std over seeds {seeds}"),
        x,
        smooth.mean(0),
        smooth.std(0),
        len(group),
    )


def final_metrics(run: StoredRun) -> dict[str, float]:
    return {k: run.final[k] for k in FINAL_KEYS if k in run.final}


def settings_table(runs: list[StoredRun]) -> tuple[pd.DataFrame, list[str]]:
    """Settings (rows) of each run (columns), then final metrics; and the rows that differ."""
    columns = {}
    for run in runs:
        column = {k: value_text(v) for k, v in flatten(run.settings).items()}
        column["status"] = run.status
        column["steps"] = f"{run.n_steps:,}"
        for key, value in final_metrics(run).items():
            column[f"final {key}"] = f"{value:.5g}"
        columns[f"{run.name} · {run.id[-6:]}"] = column
    table = pd.DataFrame(columns).fillna("")
    differing = [k for k in table.index if table.loc[k].nunique() > 1]
    same = [k for k in table.index if k not in differing]
    return table.loc[differing + same], differing  # what differs first, where the eye lands


def parallel_frame(runs: list[StoredRun]) -> pd.DataFrame:
    """One row per run with a finished epoch: the settings that differ, then final val loss."""
    done = [r for r in runs if "val_loss" in r.final and math.isfinite(r.final["val_loss"])]
    keys = differing_keys(done)
    rows = []
    for run in done:
        flat = flatten(run.settings)
        row = {plot_text(short_key(k)): flat.get(k) for k in keys}  # plotly text, as labels
        row = {
            k: plot_text(value_text(v)) if isinstance(v, tuple | str) else v for k, v in row.items()
        }
        row["final val loss"] = run.final["val_loss"]
        rows.append(row)
    return pd.DataFrame(rows)


# --- the runs table ------------------------------------------------------------------------
FILTERS = {"dataset": "data.dataset", "loss": "train.loss", "optimizer": "train.optimizer"}
SORTS = ("newest first", "final val loss (lowest first)", "final val accuracy (highest first)")


def _value(run: StoredRun, name: str):
    return run.status if name == "status" else run.setting(FILTERS[name])


def filter_options(runs: list[StoredRun], name: str) -> list[str]:
    """The values a filter ('dataset', 'loss', 'optimizer', 'status') can take among runs."""
    return sorted({str(_value(r, name)) for r in runs})


def filter_runs(runs: list[StoredRun], chosen: dict[str, list]) -> list[StoredRun]:
    """Keep runs whose dataset/loss/optimizer/status is among the chosen (empty: any)."""
    return [r for r in runs if all(not v or _value(r, k) in v for k, v in chosen.items())]


def sort_runs(runs: list[StoredRun], by: str) -> list[StoredRun]:
    """Newest first, or by a final metric with runs lacking it last."""
    if by == SORTS[1]:
        return sorted(runs, key=lambda r: r.final.get("val_loss", math.inf))
    if by == SORTS[2]:
        return sorted(runs, key=lambda r: -r.final.get("val_accuracy", -math.inf))
    return sorted(runs, key=lambda r: -r.started_at)


def runs_frame(runs: list[StoredRun]) -> pd.DataFrame:
    """The runs table as the page shows it: one row per run."""
    rows = []
    for r in runs:
        rows.append(
            {
                "name": r.name,
                "status": r.status,
                "dataset": r.setting("data.dataset"),
                "loss": r.setting("train.loss"),
                "optimizer": r.setting("train.optimizer"),
                "lr": r.setting("train.lr"),
                "epochs": f"{r.final.get('epoch', 0)}/{r.setting('train.epochs')}",
                "val loss": r.final.get("val_loss"),
                "val accuracy": r.final.get("val_accuracy"),
                "started": pd.Timestamp(r.started_at, unit="s").floor("s"),
                "seconds": r.duration_s,
                "tags": ", ".join(r.tags),
                "id": r.id,
            }
        )
    return pd.DataFrame(rows)
