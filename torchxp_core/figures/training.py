"""Plotly figures for a training run: step loss, epoch curves, decision surface, fitted curve.

Every trace gets float32 numpy arrays and WebGL where it has many points: plotly ships numpy
arrays as compact binary, so a tick stays small however long the run. ``uirevision`` keeps the
user's zoom between ticks.
"""

import numpy as np
import plotly.graph_objects as go

from torchxp_core.data import Dataset
from torchxp_core.metrics import Snapshot
from torchxp_core.smoothing import LiveCurve, decimate

MAX_POINTS = 1500  # per line; about 12 KB of float32 pairs
MAX_SCATTER = 1500  # data points drawn over a decision surface
# TensorFlow Playground's orange/blue, then a qualitative palette for more classes.
CLASS_COLORS = [
    "#f59322",
    "#0877bd",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
TRAIN_COLOR, VAL_COLOR = "#0877bd", "#f59322"


def _layout(
    fig: go.Figure,
    title: str,
    revision: str,
    height: int = 320,
    legend_below: bool = False,
    **extra,
) -> go.Figure:
    # Narrow charts put the legend under the plot, where it cannot cover the title.
    legend = (
        {"orientation": "h", "y": -0.3, "x": 0.5, "xanchor": "center", "yanchor": "top"}
        if legend_below
        else {"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"}
    )
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 18}},
        height=height,
        margin={"l": 50, "r": 20, "t": 48, "b": 40},
        uirevision=revision,  # same value between ticks: plotly keeps zoom and pan
        legend=legend,
        # No plotly template: Streamlit's theme styles the chart in the browser, and a
        # template would be most of each tick's bytes and most of its build time.
        template=None,
        **extra,
    )
    return fig


def step_loss_figure(curve: LiveCurve, log_y: bool = False) -> go.Figure:
    """Per-step training loss, raw and faint, with the debiased EMA on top."""
    fig = go.Figure()
    idx = curve.indices()  # smoothing ran on every step; only drawing is decimated
    if len(idx):
        x = (idx + 1).astype(np.float32)
        fig.add_trace(
            go.Scattergl(x=x, y=curve.raw[idx], name="raw", mode="lines", opacity=0.3,
                         line={"color": TRAIN_COLOR, "width": 1})
        )  # fmt: skip
        fig.add_trace(
            go.Scattergl(x=x, y=curve.smooth[idx], name="smoothed", mode="lines",
                         line={"color": TRAIN_COLOR, "width": 2.5})
        )  # fmt: skip
    return _layout(
        fig,
        f"Training loss per step ({len(curve):,} steps)",
        "steps",
        xaxis_title="step",
        yaxis_type="log" if log_y else "linear",
    )


def epoch_figure(columns: dict[str, np.ndarray], metric: str, title: str) -> go.Figure:
    """Train and validation ``metric`` per epoch, e.g. metric='loss' or 'accuracy'.

    ``columns`` is MetricsLog.epoch_columns(): one float array per recorded key.
    """
    fig = go.Figure()
    for phase, color in (("train", TRAIN_COLOR), ("val", VAL_COLOR)):
        values = columns.get(f"{phase}_{metric}")
        if values is not None and len(values):
            idx = decimate(values, MAX_POINTS)
            fig.add_trace(
                go.Scattergl(
                    x=columns["epoch"][idx],
                    y=values[idx],
                    name=phase,
                    mode="lines+markers" if len(idx) <= 100 else "lines",
                    line={"color": color, "width": 2.5},
                    marker={"size": 5},
                )
            )
    return _layout(fig, title, f"epoch-{metric}", xaxis_title="epoch")


def _sample(n: int, limit: int) -> np.ndarray:
    # A fixed subset: the same points every tick, so the picture does not flicker.
    return np.arange(n) if n <= limit else np.random.default_rng(0).choice(n, limit, False)


def _points(data: Dataset):
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    idx = _sample(len(x), MAX_SCATTER)
    return x[idx], y[idx]


def surface_figure(snap: Snapshot | None, axes: tuple, data: Dataset) -> go.Figure:
    """The model's prediction over the plane with the data on top (TensorFlow Playground)."""
    x, y = _points(data)
    fig = go.Figure()
    gx, gy = axes
    if snap is not None and data.task == "regression":
        fig.add_trace(
            go.Heatmap(
                x=gx,
                y=gy,
                z=snap.values,
                colorscale="Viridis",
                colorbar={"title": "ŷ"},
                zsmooth="best",
            )
        )
    elif snap is not None and snap.confidence is None:  # binary: P(class 1)
        scale = [[0, CLASS_COLORS[0]], [0.5, "#ffffff"], [1, CLASS_COLORS[1]]]
        fig.add_trace(
            go.Heatmap(
                x=gx,
                y=gy,
                z=snap.values,
                zmin=0,
                zmax=1,
                colorscale=scale,
                opacity=0.65,
                zsmooth="best",
                colorbar={"title": "P(class 1)"},
            )
        )
    elif snap is not None:  # several classes: the predicted class, paler where unsure
        k = data.n_classes
        scale = []
        for c in range(k):
            scale += [[c / k, CLASS_COLORS[c % 10]], [(c + 1) / k, CLASS_COLORS[c % 10]]]
        fig.add_trace(
            go.Heatmap(
                x=gx,
                y=gy,
                z=snap.values,
                zmin=-0.5,
                zmax=k - 0.5,
                colorscale=scale,
                opacity=0.45,
                showscale=False,
            )
        )
    if data.task == "regression":
        fig.add_trace(
            go.Scattergl(
                x=x[:, 0],
                y=x[:, 1],
                mode="markers",
                name="data",
                marker={
                    "color": y,
                    "colorscale": "Viridis",
                    "size": 6,
                    "line": {"width": 0.5, "color": "white"},
                },
            )
        )
    else:
        for c in range(data.n_classes):
            pts = x[y == c]
            fig.add_trace(
                go.Scattergl(
                    x=pts[:, 0],
                    y=pts[:, 1],
                    mode="markers",
                    name=f"class {c}",
                    marker={
                        "color": CLASS_COLORS[c % 10],
                        "size": 6,
                        "line": {"width": 0.7, "color": "white"},
                    },
                )
            )
    title = "Decision surface" if data.task != "regression" else "Prediction ŷ over the plane"
    if snap is not None:
        title += f" · epoch {snap.epoch}"
    return _layout(
        fig, title, "surface", height=460, xaxis_title="x₁", yaxis_title="x₂", yaxis_scaleanchor="x"
    )


def curve_figure(snap: Snapshot | None, axes: tuple, data: Dataset) -> go.Figure:
    """1-D regression: the data and the model's current curve through it."""
    x, y = _points(data)
    fig = go.Figure()
    fig.add_trace(
        go.Scattergl(
            x=x[:, 0],
            y=y,
            mode="markers",
            name="data",
            marker={"color": TRAIN_COLOR, "size": 5, "opacity": 0.5},
        )
    )
    if snap is not None:
        fig.add_trace(
            go.Scatter(
                x=axes[0],
                y=snap.values,
                mode="lines",
                name="model",
                line={"color": VAL_COLOR, "width": 4},
            )
        )
    title = "Fitted curve" + (f" · epoch {snap.epoch}" if snap is not None else "")
    return _layout(fig, title, "curve", height=460, xaxis_title="x", yaxis_title="y")


MISTAKE_COLOR, CORRECT_COLOR = "#d62728", "#2ca02c"


def twin_step_figure(mistake: LiveCurve, correct: LiveCurve, log_y: bool = True) -> go.Figure:
    """Smoothed step loss of a run with a mistake and its correct twin, on one chart."""
    fig = go.Figure()
    for name, curve, color in (
        ("with the mistake", mistake, MISTAKE_COLOR),
        ("correct twin", correct, CORRECT_COLOR),
    ):
        idx = curve.indices()
        fig.add_trace(
            go.Scattergl(x=(idx + 1).astype(np.float32), y=curve.smooth[idx], name=name,
                         mode="lines", line={"color": color, "width": 2.5})
        )  # fmt: skip
    return _layout(fig, "Training loss per step (smoothed)", "twin-steps", height=360,
                   legend_below=True, xaxis_title="step",
                   yaxis_type="log" if log_y else "linear")  # fmt: skip


def twin_epoch_figure(mistake: dict, correct: dict, key: str, title: str) -> go.Figure:
    """One per-epoch column (e.g. 'val_loss') of both runs; columns from epoch_columns()."""
    fig = go.Figure()
    for name, columns, color in (
        ("with the mistake", mistake, MISTAKE_COLOR),
        ("correct twin", correct, CORRECT_COLOR),
    ):
        if key in columns:
            idx = decimate(columns[key], MAX_POINTS)
            fig.add_trace(
                go.Scattergl(x=columns["epoch"][idx], y=columns[key][idx], name=name,
                             mode="lines+markers" if len(idx) <= 100 else "lines",
                             line={"color": color, "width": 2.5})
            )  # fmt: skip
    return _layout(fig, title, f"twin-{key}", height=360, legend_below=True, xaxis_title="epoch")
