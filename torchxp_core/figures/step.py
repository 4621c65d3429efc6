"""Step mode's picture: each small parameter's ``.grad`` after ``backward()`` as a heatmap.

Drawn from the trace a Step sends (``step_trace``: tensors of up to SMALL values whole), one
heatmap per parameter side by side, every cell the same square: a weight's rows are its output
units (as ``nn.Linear`` stores it), a bias is a column; each on its own scale around 0.
"""

import numpy as np
import plotly.graph_objects as go

from torchxp_core.figures import style
from torchxp_core.figures.inside import DIVERGING

GAP = 2  # cells between two parameters


def as_grid(grad: np.ndarray) -> np.ndarray:
    """A ``.grad`` as the 2-D picture drawn: (n,) a column, (out, in) as is, (out, ...) rows."""
    grad = np.asarray(grad, np.float32)
    if grad.ndim == 0:
        return grad.reshape(1, 1)
    if grad.ndim == 1:
        return grad.reshape(-1, 1)
    return grad.reshape(grad.shape[0], -1)


def grad_heatmaps_figure(params: list[dict], title: str) -> go.Figure | None:
    """``params``: the trace's rows; those whose ``grad`` came whole are drawn (None if none).

    One pair of hidden axes, a cell one unit square for every parameter, blocks side by side
    with their tops aligned and GAP cells between them."""
    shown = [(p["parameter"], as_grid(p["grad"])) for p in params if p.get("grad") is not None]
    if not shown:
        return None
    traces, notes, left = [], [], 0.0
    for name, z in shown:
        rows, cols = z.shape
        high = max(float(np.abs(z).max()), 1e-12)
        traces.append(
            {
                "type": "heatmap",
                "z": z,
                "x0": left + 0.5,
                "dx": 1,
                "y0": 0.5,
                "dy": 1,
                "zmin": -high,
                "zmax": high,
                "colorscale": DIVERGING,
                "showscale": False,
                "xgap": 1,
                "ygap": 1,
                "customdata": np.indices(z.shape).transpose(1, 2, 0).astype(np.int32),
                "hovertemplate": f"{name}[%{{customdata[0]}}, %{{customdata[1]}}]<br>"
                ".grad %{z:.4g}<extra></extra>",
            }
        )
        shape = " × ".join(map(str, (rows, cols) if cols > 1 else (rows,)))
        notes.append(
            {
                "text": f"{name}<br>[{shape}]",
                "x": left + cols / 2,
                "y": 0,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
        left += cols + GAP
    rows = max(z.shape[0] for _, z in shown)
    return go.Figure(
        data=traces,
        layout=style.look(
            title,
            int(110 + 16 * min(rows, 16)),
            title_px=16,
            margin={"l": 10, "r": 10, "t": 80, "b": 10},
            annotations=notes,
            xaxis={"visible": False, "range": [-0.5, left - GAP + 0.5]},
            yaxis={
                "visible": False,
                "range": [rows + 0.5, -0.2],  # row 0 (unit 0) at the top
                "scaleanchor": "x",
            },
        ),
        _validate=False,
    )
