"""Plotly figures for the Loss Explorer: data from ``torchxp_core.loss_lab`` in, figures out.

Sized for a projector: large fonts, thick torch lines, the closed form drawn over them as a thin
dotted line (where the two agree you see one line with dots on it). Every trace gets float32 or
float64 numpy arrays, never lists.
"""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from torchxp_core.figures import style
from torchxp_core.loss_lab.bce import Point
from torchxp_core.loss_lab.cross_entropy import Softmax
from torchxp_core.loss_lab.logits import Parting
from torchxp_core.loss_lab.mse import Broadcast

# TensorFlow Playground's blue for y = 1 / the right class, its orange for y = 0 / the rest,
# the same pair the Training Lab uses.
POS, NEG, MIX, INK = "#0877bd", "#f59322", "#2ca02c", "#222222"
DTYPE_COLORS = {"float32": "#d62728", "float64": "#9467bd"}
# Below the x-axis title: for figures whose subplot titles take the space above the plots.
BOTTOM_LEGEND = {"orientation": "h", "y": -0.3, "x": 0, "yanchor": "top"}


def _f(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _formula_line(x, y, name: str, show: bool = True) -> go.Scatter:
    return go.Scatter(
        x=_f(x),
        y=_f(y),
        name=name,
        mode="lines",
        showlegend=show,
        line={"color": INK, "width": 2, "dash": "dot"},
    )


def bce_curves(curves: pd.DataFrame, point: Point) -> go.Figure:
    """−log h (y = 1) and −log(1 − h) (y = 0) from torch, the formula dotted over them, the
    slider's point, and the note's limits written where they happen."""
    fig = go.Figure()
    h = _f(curves["h"])
    for col, label, color in (("y1", "y = 1: −log h", POS), ("y0", "y = 0: −log(1 − h)", NEG)):
        fig.add_trace(
            go.Scatter(
                x=h,
                y=_f(curves[f"torch_{col}"]),
                name=f"torch, {label}",
                line={"color": color, "width": 5},
            )
        )
        fig.add_trace(_formula_line(h, curves[f"formula_{col}"], "formula", show=col == "y1"))
    if "torch_y" in curves:
        fig.add_trace(
            go.Scatter(
                x=h,
                y=_f(curves["torch_y"]),
                name=f"torch, y = {point.y:g}",
                line={"color": MIX, "width": 4},
            )
        )
        fig.add_trace(_formula_line(h, curves["formula_y"], "formula", show=False))
    shown = min(point.torch_loss, 7.6)  # a clamped 100 would flatten the plot
    fig.add_trace(
        go.Scatter(
            x=_f([point.h]),
            y=_f([shown]),
            mode="markers+text",
            name="torch at the sliders",
            marker={"size": 18, "color": "white", "line": {"color": INK, "width": 3}},
            text=[f"  {point.torch_loss:.4g}"],
            textposition="middle right",
            textfont={"size": 18},
        )
    )
    # The note's four limits, each pointing at the corner where it happens.
    for x, y, ax, ay, text, color in (
        (0.995, 0.02, -60, -70, "y = 1, h → 1: loss → 0", POS),
        (0.005, 0.02, 60, -70, "y = 0, h → 0: loss → 0", NEG),
        (0.01, 7.3, 70, 0, "y = 1, h → 0: loss → ∞", POS),
        (0.99, 7.3, -70, 0, "y = 0, h → 1: loss → ∞", NEG),
    ):
        fig.add_annotation(
            x=x,
            y=y,
            ax=ax,
            ay=ay,
            text=text,
            showarrow=True,
            arrowhead=2,
            arrowcolor=color,
            xanchor="left" if ax > 0 else "right",
            font={"size": 15, "color": color},
            bgcolor="rgba(255,255,255,0.85)",
        )
    fig.update_xaxes(title_text="h, the predicted probability", range=[0, 1])
    fig.update_yaxes(title_text="loss", range=[0, 7.6])
    return style.layout(
        fig, "BCELoss per sample: the two branches of J(θ)", height=480, family=style.LOSSES
    )


def bce_gradients(grads: pd.DataFrame, y: float) -> go.Figure:
    """dL/dh (explodes near the wrong edge) beside dL/dz through a sigmoid (σ(z) − y, bounded)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=("dL/dh: the probability's gradient", "dL/dz = σ(z) − y: the logit's"),
    )
    for col, x, t, f in ((1, "h", "torch_dh", "formula_dh"), (2, "z", "torch_dz", "formula_dz")):
        fig.add_trace(
            go.Scatter(
                x=_f(grads[x]),
                y=_f(grads[t]),
                name="torch autograd",
                line={"color": POS, "width": 5},
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
        fig.add_trace(_formula_line(grads[x], grads[f], "closed form", show=col == 1), 1, col)
    fig.update_xaxes(title_text="h", row=1, col=1)
    fig.update_xaxes(title_text="z (h = σ(z))", row=1, col=2)
    fig.update_yaxes(range=[-12, 12], row=1, col=1)
    fig.update_yaxes(range=[-1.1, 1.1], row=1, col=2)
    fig.update_annotations(font={"size": 17})
    return style.layout(
        fig,
        f"The gradient of BCELoss for y = {y:g}",
        height=460,
        family=style.LOSSES,
        legend=BOTTOM_LEGEND,
        margin={"l": 70, "r": 24, "t": 90, "b": 110},
    )


LINE_STYLES = {"sigmoid + BCELoss": "dash", "BCEWithLogitsLoss": "solid"}


def logit_sweep(frame: pd.DataFrame, partings: list[Parting], y: float) -> go.Figure:
    """Loss over z for both methods and dtypes (top), their error against the exact loss on a
    log axis (bottom), and a vertical line where sigmoid + BCELoss parts, per dtype."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        row_heights=[0.6, 0.4],
    )
    first = frame[(frame["dtype"] == "float64") & (frame["method"] == "BCEWithLogitsLoss")]
    fig.add_trace(
        go.Scatter(
            x=_f(first["z"]),
            y=_f(first["exact"]),
            name="exact (closed form)",
            line={"color": INK, "width": 9},
            opacity=0.15,
        ),
        row=1,
        col=1,
    )
    for (dtype, method), group in frame.groupby(["dtype", "method"], sort=False):
        line = {"color": DTYPE_COLORS[dtype], "dash": LINE_STYLES[method], "width": 3}
        name = f"{method}, {dtype}"
        z = _f(group["z"])
        fig.add_trace(go.Scatter(x=z, y=_f(group["loss"]), name=name, line=line), 1, 1)
        # Below half an ulp the result is exact to the dtype's rounding: draw that as the floor
        # (0 has no place on a log axis), and draw the worst error within ±0.4 in z so the
        # float32 rounding jitter reads as a band, not a painted-over area.
        floor = float(np.finfo(dtype).eps) / 2
        error = pd.Series(np.maximum(_f(group["error"]), floor)).rolling(9, 1, True).max()
        fig.add_trace(go.Scatter(x=z, y=error, name=name, line=line, showlegend=False), 2, 1)
    drawn = sorted((p for p in partings if p.z is not None), key=lambda p: p.z)
    for i, part in enumerate(drawn):
        fig.add_vline(x=part.z, line={"color": DTYPE_COLORS[part.dtype], "width": 2, "dash": "dot"})
        fig.add_annotation(
            x=part.z,
            y=1.0,
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            text=f"{part.dtype} parts at z = {part.z:g} ",
            font={"size": 15, "color": DTYPE_COLORS[part.dtype]},
            xanchor="right" if i == 0 and len(drawn) > 1 else "left",
            bgcolor="white",
        )
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(
        title_text="error",
        type="log",
        range=[-17, 1],
        exponentformat="power",
        dtick=4,
        row=2,
        col=1,
    )
    fig.update_xaxes(title_text="z, the logit", row=2, col=1)
    return style.layout(
        fig,
        f"Two steps against one, y = {y:g}",
        height=700,
        family=style.LOSSES,
        margin={"l": 80, "r": 24, "t": 110, "b": 150},
        legend={"orientation": "h", "y": -0.12, "x": 0, "yanchor": "top"},
    )


def pos_weight(frame: pd.DataFrame) -> go.Figure:
    """BCEWithLogitsLoss for y = 1 and y = 0 with the slider's pos_weight, p = 1 faint."""
    fig = go.Figure()
    for (p, y), group in frame.groupby(["pos_weight", "y"], sort=False):
        base = p == 1.0 and frame["pos_weight"].nunique() > 1
        fig.add_trace(
            go.Scatter(
                x=_f(group["z"]),
                y=_f(group["torch"]),
                name=f"y = {y:g}, pos_weight = {p:g}",
                line={
                    "color": POS if y == 1 else NEG,
                    "width": 2 if base else 5,
                    "dash": "dash" if base else "solid",
                },
            )
        )
        fig.add_trace(_formula_line(group["z"], group["formula"], "formula", show=False))
    fig.update_xaxes(title_text="z, the logit")
    fig.update_yaxes(title_text="loss")
    return style.layout(
        fig, "pos_weight scales the y = 1 branch only", height=420, family=style.LOSSES
    )


def softmax_bars(sm: Softmax) -> go.Figure:
    """The logits (after temperature) and the softmax probabilities, the target in blue."""
    c = len(sm.probs)
    names = np.array([f"class {k}" for k in range(c)])
    colors = [POS if k == sm.target else NEG for k in range(c)]
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(f"logits / T (T = {sm.temperature:g})", "softmax: probabilities"),
    )
    for col, (values, digits) in enumerate(((sm.scaled, ".3g"), (sm.probs, ".3f")), start=1):
        fig.add_trace(
            go.Bar(
                x=names,
                y=_f(values),
                marker_color=colors,
                showlegend=False,
                text=[f"{v:{digits}}" for v in values],
                textposition="outside",
            ),
            row=1,
            col=col,
        )
    lo, hi = float(min(sm.scaled.min(), 0)), float(max(sm.scaled.max(), 0))
    pad = 0.2 * (hi - lo or 1)
    fig.update_yaxes(range=[lo - pad, hi + pad], row=1, col=1)
    fig.update_yaxes(range=[0, 1.15], row=1, col=2)
    fig.update_annotations(font={"size": 17})
    title = f"CE = −log p<sub>{sm.target}</sub> = −log {sm.probs[sm.target]:.4g} = {sm.ce:.4f}"
    return style.layout(
        fig, title, height=420, family=style.LOSSES, margin={"l": 60, "r": 24, "t": 100, "b": 50}
    )


def temperature(frame: pd.DataFrame, current: float, target: int) -> go.Figure:
    """Each class's probability as T runs over 0.1 .. 10, the loss dotted, the slider's T."""
    fig = go.Figure()
    cols = [c for c in frame.columns if c.startswith("p")]
    palette = [NEG, "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]
    others = iter(palette * 2)
    for col in cols:
        k = int(col[1:])
        color = POS if k == target else next(others)
        fig.add_trace(
            go.Scatter(
                x=_f(frame["T"]),
                y=_f(frame[col]),
                name=f"p{k}",
                line={"color": color, "width": 5 if k == target else 3},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=_f(frame["T"]),
            y=_f(frame["loss"]),
            name="CE loss",
            yaxis="y2",
            line={"color": INK, "width": 2, "dash": "dot"},
        )
    )
    fig.add_vline(x=current, line={"color": "#888", "width": 2, "dash": "dash"})
    fig.update_xaxes(title_text="temperature T (log scale)", type="log")
    fig.update_layout(
        yaxis={"title": {"text": "probability"}, "range": [0, 1.02]},
        yaxis2={
            "title": {"text": "CE loss"},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
        },
    )
    return style.layout(
        fig,
        "Temperature: small T sharpens, large T flattens to 1/C",
        height=420,
        family=style.LOSSES,
    )


def ce_vs_mse_gradient(frame: pd.DataFrame) -> go.Figure:
    """The push on the right class's logit, −dL/dz_t, against p_t: CE keeps pushing when the
    model is confidently wrong (p_t → 0), one-hot + MSE goes quiet."""
    fig = go.Figure()
    for name, color in (("CrossEntropyLoss", POS), ("MSELoss on softmax", NEG)):
        group = frame[frame["loss"] == name]
        p = _f(group["p_t"])
        fig.add_trace(
            go.Scatter(
                x=p,
                y=-_f(group["torch"]),
                name=f"{name} (autograd)",
                line={"color": color, "width": 5},
            )
        )
        fig.add_trace(_formula_line(p, -_f(group["formula"]), "closed form", show=name[0] == "C"))
    fig.add_annotation(
        x=-3.3,
        y=0.93,
        text="← confidently wrong",
        showarrow=False,
        xanchor="left",
        font={"size": 16},
    )
    fig.update_xaxes(
        title_text="p_t, the probability of the right class (log scale)",
        type="log",
        exponentformat="power",
        dtick=1,
    )
    fig.update_yaxes(title_text="−dL/dz_t: the push up on the right logit", range=[0, 1.05])
    return style.layout(
        fig,
        "Why not one-hot + MSE: the gradient when the model is wrong",
        height=440,
        family=style.LOSSES,
    )


def broadcast_heatmap(b: Broadcast) -> go.Figure:
    """(x_i − t_j)² for every pair: the bug averages all N² cells, the fix only the diagonal."""
    n = len(b.target)
    idx = np.arange(n, dtype=np.float64)
    fig = go.Figure(
        go.Heatmap(
            z=b.squared,
            x=idx,
            y=idx,
            colorscale="Oranges",
            texttemplate="%{z:.2f}" if n <= 10 else None,
            textfont={"size": 14},
            colorbar={"title": {"text": "(x<sub>i</sub> − t<sub>j</sub>)²"}},
            hovertemplate="prediction %{y}, target %{x}: %{z:.4f}<extra></extra>",
        )
    )
    for i in range(n):  # outline the diagonal: the pairs that belong together
        fig.add_shape(
            type="rect",
            x0=i - 0.5,
            x1=i + 0.5,
            y0=i - 0.5,
            y1=i + 0.5,
            line={"color": POS, "width": 4},
        )
    fig.update_xaxes(
        title_text="target j (blue: the diagonal, the pairs that belong together)",
        dtick=1,
        range=[-0.5, n - 0.5],
        constrain="domain",
        showgrid=False,
        zeroline=False,
    )
    fig.update_yaxes(
        title_text="prediction i",
        dtick=1,
        range=[n - 0.5, -0.5],
        scaleanchor="x",
        constrain="domain",
        showgrid=False,
        zeroline=False,
    )
    broken = (
        f"Broken: mean of all {n}×{n} cells = {b.wrong:.4f}"
        if b.wrong is not None
        else f"torch refused; broadcasting would average all {n}×{n} cells = {b.wrong_formula:.4f}"
    )
    title = f"{broken} · fixed: mean of the diagonal = {b.right:.4f}"
    return style.layout(fig, title, height=560, family=style.LOSSES)
