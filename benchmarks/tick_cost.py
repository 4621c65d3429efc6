"""What one live tick of the Training Lab costs as a run grows: build + serialise + bytes.

A tick rebuilds the step-loss figure (EMA on the full series, decimated), the two epoch
figures and the decision surface, then serialises them the way st.plotly_chart does.
Target: flat in run length, under ~30 ms and ~100 KiB. Run:
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

from torchxp_core.config import DataConfig
from torchxp_core.data import grid, make_dataset
from torchxp_core.figures import training as figs
from torchxp_core.metrics import MetricsLog, Snapshot
from torchxp_core.smoothing import LiveCurve

STEPS_PER_EPOCH = 25


def _log(n_steps: int) -> MetricsLog:
    rng = np.random.default_rng(0)
    log = MetricsLog()
    losses = np.exp(-np.arange(n_steps) / (n_steps / 5)) + rng.normal(0, 0.05, n_steps)
    for start in range(0, n_steps, 50):  # in batches of 50, as the worker sends them
        chunk = losses[start : start + 50].astype(np.float32)
        log.add_steps(chunk, np.arange(start, start + len(chunk), dtype=np.float32) * 1e-3)
    for epoch in range(1, n_steps // STEPS_PER_EPOCH + 1):
        log.add_epoch({"epoch": epoch, "train_loss": 0.5, "val_loss": 0.4,
                       "train_accuracy": 0.9, "val_accuracy": 0.92})  # fmt: skip
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
    # Exactly what st.plotly_chart does with a figure before it goes out on the socket.
    payload = [
        pio.to_json(return_figure_from_figure_or_data(f, validate_figure=True), validate=False)
        for f in figures
    ]
    return (time.perf_counter() - start) * 1000, sum(len(p) for p in payload)


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
        print(f"{n:>12,} | {statistics.median(ms):6.1f} ({min(ms):.1f}..{max(ms):.1f}) | "
              f"{size / 1024:6.1f} KiB")  # fmt: skip


if __name__ == "__main__":
    main()
