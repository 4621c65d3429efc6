"""Plotly figures for comparing runs: overlaid loss curves, seed bands, parallel coordinates."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from torchxp_core.compare import Band, Curve
from torchxp_core.figures.style import layout as _layout
from torchxp_core.figures.training import CLASS_COLORS, MAX_POINTS
from torchxp_core.smoothing import decimate

DIFF_STYLE = "background-color: #fff3cd; font-weight: 600"  # a pale highlighter yellow


def _color(i: int) -> str:
    return CLASS_COLORS[(i + 1) % len(CLASS_COLORS)]  # start at blue, the training colour


def _fill(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def overlay_figure(
    curves: list[Curve], bands: list[Band], x_axis: str = "step", log_y: bool = True
) -> go.Figure:
    """Each run's raw loss faint and its smoothed loss solid; each seed group's band."""
    fig = go.Figure()
    for i, curve in enumerate(curves):
        if not len(curve.raw):
            continue
        idx = decimate(curve.raw, MAX_POINTS)  # only for drawing: smoothing used every point
        x = curve.x[idx].astype(np.float32)
        color = _color(i)
        fig.add_trace(
            go.Scattergl(
                x=x,
                y=curve.raw[idx],
                mode="lines",
                name=curve.label,
                legendgroup=str(i),
                showlegend=False,
                opacity=0.25,
                line={"color": color, "width": 1},
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scattergl(
                x=x,
                y=curve.smooth[idx].astype(np.float32),
                mode="lines",
                name=curve.label,
                legendgroup=str(i),
                line={"color": color, "width": 2.5},
            )
        )
    for j, b in enumerate(bands):
        idx = decimate(b.mean, MAX_POINTS)
        x, mean, std = b.x[idx].astype(np.float32), b.mean[idx], b.std[idx]
        low = mean - std
        if log_y:  # a log axis cannot show zero or below: clip the band's floor
            low = np.maximum(low, mean * 0.05)
        color = _color(len(curves) + j)
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([x, x[::-1]]),
                y=np.concatenate([mean + std, low[::-1]]).astype(np.float32),
                fill="toself",
                fillcolor=_fill(color, 0.2),
                line={"width": 0},
                name=b.label,
                legendgroup=f"band{j}",
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=mean.astype(np.float32),
                mode="lines",
                name=b.label,
                legendgroup=f"band{j}",
                line={"color": color, "width": 3, "dash": "dash"},
            )
        )
    fig = _layout(
        fig,
        "Training loss per step (smoothed; raw faint)",
        "compare",
        height=460,
        xaxis_title="step" if x_axis == "step" else "seconds",
        yaxis_type="log" if log_y else "linear",
        yaxis_title="loss",
    )
    if log_y:
        fig.update_yaxes(dtick="D2")  # label 2 and 5 within a decade, not every digit
    fig.update_layout(
        legend={"orientation": "v", "y": -0.2, "x": 0, "xanchor": "left", "yanchor": "top"},
        margin={"b": 40},
    )
    return fig


def epoch_overlay_figure(labels: list[str], records: list[list[dict]], key: str) -> go.Figure:
    """One metric per epoch (e.g. 'val_loss') for each run."""
    fig = go.Figure()
    for i, (name, recs) in enumerate(zip(labels, records, strict=True)):
        if recs and key in recs[0]:
            fig.add_trace(
                go.Scatter(
                    x=[r["epoch"] for r in recs],
                    y=[r[key] for r in recs],
                    name=name,
                    mode="lines+markers",
                    line={"color": _color(i), "width": 2},
                    marker={"size": 4},
                )
            )
    fig = _layout(fig, f"{key.replace('_', ' ')} per epoch", f"compare-{key}", xaxis_title="epoch")
    fig.update_layout(showlegend=False)  # the overlay above names the runs
    return fig


def parallel_figure(frame: pd.DataFrame) -> go.Figure:
    """Parallel coordinates: each differing setting an axis, the last one final val loss."""
    dims = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            cats = sorted(map(str, values.unique()))
            codes = values.astype(str).map({c: i for i, c in enumerate(cats)})
            dims.append(
                {
                    "label": column,
                    "values": codes,
                    "tickvals": list(range(len(cats))),
                    "ticktext": cats,
                }
            )
        else:
            dims.append({"label": column, "values": values.astype(float)})
    loss = frame["final val loss"].astype(float)
    fig = go.Figure(
        go.Parcoords(
            dimensions=dims,
            line={
                "color": loss,
                "colorscale": "Viridis_r",
                "showscale": True,
                "colorbar": {"title": "val loss"},
            },
        )
    )
    fig = _layout(fig, "Settings against final validation loss", "parallel", height=400)
    fig.update_layout(margin={"t": 100, "l": 60, "r": 40})  # room for the axis names on top
    return fig


def style_settings(table: pd.DataFrame, differing: list[str]) -> Styler:
    """Highlight the rows where the runs' settings differ."""
    return table.style.apply(
        lambda row: [DIFF_STYLE if row.name in differing else ""] * len(row), axis=1
    )
