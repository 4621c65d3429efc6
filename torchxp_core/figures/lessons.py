"""Plotly figures for the lesson pages (#1 dtypes, #2 layout, #3 modes, #4 grads, #9 creation).

Each builder takes what a ``torchxp_core.lessons`` function returned and draws it; nothing
here runs an experiment.
"""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from torchxp_core.figures import style
from torchxp_core.lessons.creation import NEW_VALUE
from torchxp_core.lessons.grads import Accumulation, ValidationCost
from torchxp_core.lessons.modes import DropoutMask

BLUE, ORANGE, GREEN, GREY, RED = "#0877bd", "#f59322", "#2ca02c", "#7f7f7f", "#d62728"
PALETTE = [BLUE, ORANGE, GREEN, RED, "#9467bd", "#8c564b"]


def timing_figure(times: pd.DataFrame, group: str, title: str) -> go.Figure:
    """One box per group (dtype or mode) with every repeat drawn as a point; the line is the
    median, the box the quartiles, the whiskers the spread."""
    fig = go.Figure()
    for i, (name, part) in enumerate(times.groupby(group, sort=False)):
        fig.add_trace(
            go.Box(
                y=part["ms"].to_numpy(),
                name=str(name),
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker_color=PALETTE[i % len(PALETTE)],
            )
        )
    fig.update_yaxes(title="ms per call", rangemode="tozero")
    fig.update_layout(showlegend=False)
    return style.layout(fig, title, height=340, family=style.LESSONS)


def element_size_figure(sizes: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=sizes["dtype"],
            y=sizes["bytes_per_element"],
            marker_color=BLUE,
            text=sizes["bytes_per_element"],
            textposition="outside",
        )
    )
    fig.update_yaxes(title="bytes per element (element_size())", rangemode="tozero")
    return style.layout(fig, "Memory per element", height=300, family=style.LESSONS)


def image_batch_figure(images: np.ndarray, title: str) -> go.Figure:
    """A channels-last (B, H, W, 3) float batch in [0, 1], one image per panel."""
    count = images.shape[0]
    fig = make_subplots(rows=1, cols=count, subplot_titles=[f"x[{i}]" for i in range(count)])
    rgb = (np.clip(images, 0, 1) * 255).astype(np.uint8)
    for i in range(count):
        fig.add_trace(go.Image(z=rgb[i]), row=1, col=i + 1)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return style.layout(fig, title, height=230, family=style.LESSONS)


def channel_planes_figure(planes: dict[str, np.ndarray]) -> go.Figure:
    """Rows: how the (3, H, W) channels were made; columns: channel 0, 1, 2 as grey images."""
    names = list(planes)
    titles = [f"{name}: channel {c}" for name in names for c in range(3)]
    fig = make_subplots(
        rows=len(names),
        cols=3,
        subplot_titles=titles,
        vertical_spacing=0.12,
        horizontal_spacing=0.03,
    )
    for r, name in enumerate(names):
        for c in range(3):
            fig.add_trace(
                go.Heatmap(z=planes[name][c], colorscale="gray", zmin=0, zmax=1, showscale=False),
                row=r + 1,
                col=c + 1,
            )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    return style.layout(
        fig,
        "The first image's channels, by permute and by reshape",
        height=420,
        family=style.LESSONS,
    )


def outputs_by_mode_figure(outputs: pd.DataFrame) -> go.Figure:
    """Each call's outputs per sample, train mode beside eval mode, same y axis."""
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        subplot_titles=[
            "model.train(): dropout and batch stats",
            "model.eval(): running stats, no dropout",
        ],
    )
    for col, mode in enumerate(("train", "eval"), start=1):
        part = outputs[outputs["mode"] == mode]
        for call, rows in part.groupby("call"):
            fig.add_trace(
                go.Scatter(
                    x=rows["sample"],
                    y=rows["output"],
                    mode="markers+lines",
                    name=f"call {call}",
                    legendgroup=str(call),
                    showlegend=col == 1,
                    opacity=0.8,
                    marker_color=PALETTE[call % len(PALETTE)],
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title="sample", dtick=1)
    fig.update_yaxes(title="output", col=1)
    return style.layout(
        fig, "The same input, called again and again", height=360, family=style.LESSONS
    )


def dropout_mask_figure(mask: DropoutMask) -> go.Figure:
    scales = ", ".join(f"{v:g}" for v in mask.kept_values)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.08,
        subplot_titles=[
            f"train(): {mask.kept_fraction:.0%} kept, × {scales}",
            "eval(): unchanged",
        ],
    )
    top = max(mask.expected_scale, 1.0)
    for col, z in enumerate((mask.train_output, mask.eval_output), start=1):
        fig.add_trace(
            go.Heatmap(
                z=z,
                zmin=0,
                zmax=top,
                colorscale="Blues",
                showscale=col == 2,
                colorbar={"title": "value"},
            ),
            row=1,
            col=col,
        )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    return style.layout(
        fig, f"nn.Dropout(p={mask.p:g}) applied to torch.ones", height=300, family=style.LESSONS
    )


def batchnorm_stats_figure(stats: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=["mean", "variance"])
    for col, stat in enumerate(("mean", "var"), start=1):
        for name, color in ((f"batch {stat}", ORANGE), (f"running {stat}", BLUE)):
            fig.add_trace(
                go.Bar(
                    x=stats["feature"],
                    y=stats[name],
                    name=name.split()[0],
                    marker_color=color,
                    legendgroup=name.split()[0],
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title="feature", dtick=1)
    return style.layout(
        fig, "BatchNorm: batch statistics vs running ones", height=340, family=style.LESSONS
    )


def running_stats_figure(drift: pd.DataFrame, shift: float) -> go.Figure:
    fig = go.Figure()
    labels = {
        "eval": ("validation in eval mode (right)", BLUE),
        "train": ("validation in train mode (forgot model.eval())", RED),
    }
    for mode, part in drift.groupby("mode"):
        label, color = labels[mode]
        fig.add_trace(
            go.Scatter(
                x=part["pass"],
                y=part["running_mean"],
                mode="lines+markers",
                name=label,
                line_color=color,
            )
        )
    fig.add_hline(
        y=shift,
        line_dash="dot",
        line_color=GREY,
        annotation_text=f"validation data mean = {shift:g}",
    )
    fig.update_xaxes(title="validation batches passed")
    fig.update_yaxes(title="bn.running_mean[0]")
    return style.layout(
        fig, "Running mean after each validation batch", height=340, family=style.LESSONS
    )


def grad_growth_figure(growth: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    lines = (
        ("step_times_single", "lines", "N × single gradient", {"dash": "dot", "color": GREY}),
        ("without_zero_grad", "markers+lines", "backward() without zero_grad()", {"color": RED}),
        ("with_zero_grad", "markers+lines", "zero_grad() before each backward()", {"color": BLUE}),
    )
    for column, mode, name, line in lines:
        fig.add_trace(
            go.Scatter(x=growth["step"], y=growth[column], mode=mode, name=name, line=line)
        )
    fig.update_xaxes(
        title="backward() calls on the same batch", dtick=1 if len(growth) <= 20 else None
    )
    fig.update_yaxes(title="weight.grad[0, 0]")
    return style.layout(fig, ".grad after each backward()", height=360, family=style.LESSONS)


def accumulation_figure(acc: Accumulation) -> go.Figure:
    names = [f"w{i}" for i in range(len(acc.full_batch) - 1)] + ["bias"]
    fig = go.Figure()
    for label, values, color in (
        ("full batch, one backward()", acc.full_batch, BLUE),
        (f"{acc.k} micro-batches, loss / {acc.k} each", acc.accumulated, GREEN),
        (f"{acc.k} micro-batches, forgot / {acc.k}", acc.undivided, RED),
    ):
        fig.add_trace(go.Bar(x=names, y=values, name=label, marker_color=color))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=".grad")
    return style.layout(fig, "Gradient accumulation on purpose", height=340, family=style.LESSONS)


def validation_cost_figure(cost: ValidationCost) -> go.Figure:
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[
            "time per validation forward (ms)",
            "bytes autograd saves for backward (KiB)",
        ],
    )
    for i, (mode, part) in enumerate(cost.times.groupby("mode", sort=False)):
        fig.add_trace(
            go.Box(
                y=part["ms"].to_numpy(),
                name=mode,
                boxpoints="all",
                pointpos=0,
                jitter=0.4,
                marker_color=(RED, BLUE)[i % 2],
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    for kind, color in (("activation bytes", ORANGE), ("parameter bytes", GREY)):
        fig.add_trace(
            go.Bar(
                x=cost.saved["mode"],
                y=cost.saved[kind] / 1024,
                name=kind.replace(
                    " bytes", "s (new memory)" if kind.startswith("act") else "s (already resident)"
                ),
                marker_color=color,
            ),
            row=1,
            col=2,
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(rangemode="tozero")
    return style.layout(
        fig, "A validation pass with a graph and without one", height=380, family=style.LESSONS
    )


def mutation_figure(table: pd.DataFrame) -> go.Figure:
    colors = [RED if changed else BLUE for changed in table["changed"]]
    fig = go.Figure(
        go.Bar(
            y=table["expression"],
            x=table["first after"],
            orientation="h",
            marker_color=colors,
            text=["shares the array's memory" if c else "own copy" for c in table["changed"]],
            textposition=["inside" if c else "outside" for c in table["changed"]],
        )
    )
    fig.add_vline(
        x=NEW_VALUE, line_dash="dot", line_color=GREY, annotation_text=f"a[0] = {NEW_VALUE:g}"
    )
    fig.update_xaxes(title="t[0] after writing a[0]")
    fig.update_yaxes(autorange="reversed")
    return style.layout(
        fig, "Which tensors saw the write into the numpy array?", height=320, family=style.LESSONS
    )
