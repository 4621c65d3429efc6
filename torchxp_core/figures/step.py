"""Step mode's picture: each small parameter's ``.grad`` after ``backward()`` as a heatmap.

Drawn from the trace a Step sends (``step_trace``: tensors of up to SMALL values whole), one
heatmap per parameter side by side, cells square, a weight's rows its output units (as
``nn.Linear`` stores it) and a bias a column beside them; each on its own scale around 0.
"""

import numpy as np
import plotly.graph_objects as go

from torchxp_core.figures.inside import DIVERGING

GAP = 0.04  # of the figure's width, between two parameters


def as_grid(grad: np.ndarray) -> np.ndarray:
    """A ``.grad`` as the 2-D picture drawn: (n,) a column, (out, in) as is, (out, ...) rows."""
    grad = np.asarray(grad, np.float32)
    if grad.ndim == 0:
        return grad.reshape(1, 1)
    if grad.ndim == 1:
        return grad.reshape(-1, 1)
    return grad.reshape(grad.shape[0], -1)


def grad_heatmaps_figure(params: list[dict], title: str) -> go.Figure | None:
    """``params``: the trace's rows; those whose ``grad`` came whole are drawn (None if none)."""
    shown = [(p["parameter"], as_grid(p["grad"])) for p in params if p.get("grad") is not None]
    if not shown:
        return None
    widths = np.array([z.shape[1] + 1.0 for _, z in shown])  # a column of room each
    widths = (1 - GAP * (len(shown) - 1)) * widths / widths.sum()
    traces, layout, notes, left = [], {}, [], 0.0
    for k, ((name, z), width) in enumerate(zip(shown, widths, strict=True), start=1):
        axis = "" if k == 1 else str(k)
        high = max(float(np.abs(z).max()), 1e-12)
        traces.append(
            {
                "type": "heatmap",
                "z": z,
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "zmin": -high,
                "zmax": high,
                "colorscale": DIVERGING,
                "showscale": False,
                "xgap": 1,
                "ygap": 1,
                "hovertemplate": f"{name}[%{{y}}, %{{x}}]<br>.grad %{{z:.4g}}<extra></extra>",
            }
        )
        layout[f"xaxis{axis}"] = {
            "domain": [left, left + width],
            "anchor": f"y{axis}",
            "showticklabels": False,
            "showgrid": False,
            "zeroline": False,
            "constrain": "domain",
        }
        layout[f"yaxis{axis}"] = {
            "anchor": f"x{axis}",
            "scaleanchor": f"x{axis}",
            "autorange": "reversed",  # row 0 (unit 0) at the top
            "showticklabels": False,
            "showgrid": False,
            "zeroline": False,
            "constrain": "domain",
        }
        shape = " × ".join(map(str, z.shape if z.shape[1] > 1 else z.shape[:1]))
        notes.append(
            {
                "text": f"{name}<br>[{shape}]",
                "x": left + width / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
        left += width + GAP
    rows = max(z.shape[0] for _, z in shown)
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": title, "x": 0.01, "font": {"size": 16}},
            "height": int(120 + 14 * min(rows, 16)),
            "margin": {"l": 10, "r": 10, "t": 80, "b": 10},
            "annotations": notes,
            "template": {},
            **layout,
        },
        _validate=False,
    )
