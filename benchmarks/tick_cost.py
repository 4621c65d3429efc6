"""What one live tick of the Training Lab costs as a run grows: build + serialise + bytes.

A tick rebuilds the step-loss figure (EMA on the full series, decimated), the two epoch
figures and the decision surface, then serialises them the way st.plotly_chart does.
Target: flat in run length, under ~30 ms and ~100 KiB. A second section times a tick of the
"Inside the network" page (its views from the newest weights and a 200-snapshot history,
built and serialised): target <= 10 ms on the server and <= 150 KiB, each tick with one new
snapshot (a run training); its last column, ticks with none (a paused or finished run). Run:
.venv/bin/python benchmarks/tick_cost.py
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io as pio
from plotly.tools import return_figure_from_figure_or_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from torchxp_core import inside
from torchxp_core.config import DataConfig, ModelConfig, RunConfig
from torchxp_core.data import grid, make_dataset
from torchxp_core.figures import inside as inside_figs
from torchxp_core.figures import training as figs
from torchxp_core.metrics import MetricsLog, ParamSnapshot, Snapshot
from torchxp_core.smoothing import LiveCurve
from torchxp_core.surface import surface_grid

STEPS_PER_EPOCH = 25


def _log(n_steps: int) -> MetricsLog:
    rng = np.random.default_rng(0)
    log = MetricsLog()
    losses = np.exp(-np.arange(n_steps) / (n_steps / 5)) + rng.normal(0, 0.05, n_steps)
    for start in range(0, n_steps, 50):  # in batches of 50, as the worker sends them
        chunk = losses[start : start + 50].astype(np.float32)
        log.add_steps(chunk, np.arange(start, start + len(chunk), dtype=np.float32) * 1e-3)
    for epoch in range(1, n_steps // STEPS_PER_EPOCH + 1):
        log.add_epoch(
            {
                "epoch": epoch,
                "train_loss": 0.5,
                "val_loss": 0.4,
                "train_accuracy": 0.9,
                "val_accuracy": 0.92,
            }
        )
    return log


def _extend(curve: LiveCurve, log: MetricsLog) -> LiveCurve:
    curve.extend(log.steps(start=len(curve)).loss)  # what a tab does each tick
    return curve


def tick(log: MetricsLog, curve: LiveCurve, data, axes, snap) -> tuple[float, int]:
    start = time.perf_counter()
    columns = log.epoch_columns()
    figures = [
        figs.step_loss_figure(_extend(curve, log)),
        figs.epoch_figure(columns, "loss", "Loss per epoch"),
        figs.epoch_figure(columns, "accuracy", "Accuracy per epoch"),
        figs.surface_figure(snap, axes, data),
    ]
    return (time.perf_counter() - start) * 1000, _payload(figures)


def _payload(figures) -> int:
    # Exactly what st.plotly_chart does with a figure before it goes out on the socket.
    return sum(
        len(pio.to_json(return_figure_from_figure_or_data(f, validate_figure=True), validate=False))
        for f in figures
    )


def _history(cfg: RunConfig, data, n: int = 200) -> list[ParamSnapshot]:
    """n snapshots of drifting weights with grads: a long run's (capped) parameter history.
    Each carries its validation's classes and its last step's update, as the worker's
    epoch-end snapshots do."""
    rng = np.random.default_rng(0)
    model = inside.rebuild(cfg, data)
    weights = {k: p.detach().numpy().copy() for k, p in model.named_parameters()}
    buffers = {k: b.detach().numpy().copy() for k, b in model.named_buffers()}
    history = []
    for t in range(n):
        weights = {
            k: (w + rng.normal(0, 0.01, w.shape)).astype(np.float32) for k, w in weights.items()
        }
        grads = {k: rng.normal(0, 0.1, w.shape).astype(np.float32) for k, w in weights.items()}
        classes = rng.integers(0, max(data.n_classes, 1), len(data.y_val)).astype(np.int16)
        update = {k: (1e-6 * w.size, float(np.vdot(w, w))) for k, w in weights.items()}
        history.append(
            ParamSnapshot(25 * (t + 1), t + 1, weights, grads, buffers, False, classes, update)
        )
    return history


def inside_tick(cfg: RunConfig, data, where, history, cache) -> tuple[float, float, int]:
    """One tick of the page: every view from copies, its figures, serialised. ``cache``: the
    tab's gradient-flow numbers from earlier ticks; one new snapshot arrived since (or none,
    when ``history`` is the last tick's: a paused or finished run)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    views = inside.compute(cfg, data, where, history[-1], history, 3, flow_cache=cache)
    figures = [
        inside_figs.grad_norm_figure(views.flow),
        inside_figs.update_ratio_figure(views.flow),
    ]
    if views.network is not None:
        figures.append(inside_figs.network_figure(views.network, "network"))
    if views.confusion is not None:
        names = inside.class_names(cfg.data.dataset, data.n_classes)
        figures.append(inside_figs.confusion_figure(views.confusion, names, "confusion"))
    if views.filters is not None:
        figures.append(inside_figs.filters_figure(views.filters))
        figures.append(inside_figs.feature_maps_figure(views.maps, names))
    size = _payload(figures)
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000, size


INSIDE_CASES = {
    "moons, MLP 16-16 (default)": RunConfig(),
    "moons, MLP 8 x 64, BatchNorm, Dropout": RunConfig(
        model=ModelConfig(hidden=(64,) * 8, batch_norm=True, dropout=0.1)
    ),
    "digits, CNN": RunConfig(data=DataConfig(dataset="digits"), model=ModelConfig(kind="cnn")),
    "shapes, CNN": RunConfig(data=DataConfig(dataset="shapes"), model=ModelConfig(kind="cnn")),
}


def inside_main() -> None:
    print("\nInside the network, one tick (200 snapshots of history; median of 15)")
    print(
        "model | wall ms (min..max) | server CPU ms | bytes sent per tick | <= 10 ms, 150 KiB"
        " | CPU ms, no new snapshot"
    )
    for name, cfg in INSIDE_CASES.items():
        data = make_dataset(cfg.data)
        where, history, cache = surface_grid(data, "cpu"), _history(cfg, data, 216), {}
        inside_tick(cfg, data, where, history[:200], cache)  # the tab's first tick: all 200
        # Then each tick one snapshot more and the oldest dropped, as the run's log does.
        results = [inside_tick(cfg, data, where, history[t : 200 + t], cache) for t in range(1, 16)]
        wall, cpu = [r[0] for r in results], [r[1] for r in results]
        # Ticks of a paused or finished run: the same snapshot and history as the last tick.
        same = [inside_tick(cfg, data, where, history[15:215], cache)[1] for _ in range(15)]
        kib = results[-1][2] / 1024
        fits = ("ok" if statistics.median(cpu) <= 10 else "slow") + (
            ", ok" if kib <= 150 else ", large"
        )
        print(
            f"{name} | {statistics.median(wall):6.1f} ({min(wall):.1f}..{max(wall):.1f}) | "
            f"{statistics.median(cpu):6.1f} | {kib:6.1f} KiB | {fits} | "
            f"{statistics.median(same):.1f}"
        )


def main() -> None:
    data = make_dataset(DataConfig())
    _, gx, gy = grid(np.concatenate([data.x_train, data.x_val]))
    snap = Snapshot(0, 1, np.random.default_rng(0).random((60, 60), dtype=np.float32))
    print("steps in log | tick median ms (min..max of 15) | bytes sent per tick")
    for n in (1_000, 100_000, 1_000_000):
        log = _log(n)
        curve = LiveCurve(0.6, figs.MAX_POINTS)
        tick(log, curve, data, (gx, gy), snap)  # the tab's first tick reads the whole log
        results = []
        for _ in range(15):
            for _ in range(4):  # ~0.7 s of training between two ticks: 200 steps
                log.add_steps(np.full(50, 0.1, np.float32), np.arange(50, dtype=np.float32))
            results.append(tick(log, curve, data, (gx, gy), snap))
        ms = [r[0] for r in results]
        size = results[-1][1]
        print(
            f"{n:>12,} | {statistics.median(ms):6.1f} ({min(ms):.1f}..{max(ms):.1f}) | "
            f"{size / 1024:6.1f} KiB"
        )


if __name__ == "__main__":
    main()
    inside_main()
