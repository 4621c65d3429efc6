"""Plotly figures for the Autograd Inspector: norms over epochs, weight change, histograms."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from torchxp_core.figures import style

FROZEN_COLOR, TRAINED_COLOR = "#9e9e9e", "#0877bd"


def norms_figure(history: pd.DataFrame, column: str, title: str, log_y: bool = False) -> go.Figure:
    """One line per parameter over epochs; ``column`` is 'weight_norm' or 'grad_norm'."""
    fig = go.Figure()
    for name, rows in history.groupby("param", sort=False):
        fig.add_trace(
            go.Scatter(
                x=rows["epoch"].to_numpy(np.float32),
                y=rows[column].to_numpy(np.float32),
                name=str(name),
                mode="lines+markers" if len(rows) < 30 else "lines",
            )
        )
    return style.layout(
        fig,
        title,
        f"norms-{column}",
        family=style.INSPECTOR,
        xaxis_title="epoch",
        yaxis_title="L2 norm",
        yaxis_type="log" if log_y else "linear",
        legend={"orientation": "h", "y": -0.25},  # below: half-width columns keep the plot wide
        height=380,
    )


def change_figure(change: pd.DataFrame) -> go.Figure:
    """Bars of how far each layer's weights moved; frozen layers grey (and at exactly 0)."""
    colors = [FROZEN_COLOR if f else TRAINED_COLOR for f in change["frozen"]]
    labels = [
        f"layer {layer}" + (" (frozen)" if f else "")
        for layer, f in zip(change["layer"], change["frozen"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=change["max |Δw|"].to_numpy(np.float64),
            marker_color=colors,
            text=[f"{v:.3g}" for v in change["max |Δw|"]],
            textposition="outside",
        )
    )
    return style.layout(
        fig,
        "Largest weight change per layer, first → last epoch",
        "change",
        family=style.INSPECTOR,
        yaxis_title="max |Δw|",
        showlegend=False,
    )


def histogram_figure(
    values: np.ndarray | None, title: str, color: str = TRAINED_COLOR
) -> go.Figure:
    """A histogram of one parameter's numbers; an empty, titled figure when there are none."""
    fig = go.Figure()
    if values is not None:
        fig.add_trace(go.Histogram(x=values.astype(np.float32), nbinsx=40, marker_color=color))
    else:
        title += " — .grad is None"
    return style.layout(
        fig,
        title,
        f"hist-{title}",
        height=280,
        family=style.INSPECTOR,
        showlegend=False,
        bargap=0.05,
    )
