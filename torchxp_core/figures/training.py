"""Plotly figures for a training run: step loss, epoch curves, decision surface, fitted curve.

These are redrawn on every live tick, so they are built for speed: traces are plain dicts of
float32 numpy arrays (plotly ships them as compact binary), WebGL for point clouds, SVG for
decimated lines, no plotly template (Streamlit's theme styles the chart in the browser) and
no per-property validation, which together were nearly all of a tick's build time and bytes.
``uirevision`` keeps the user's zoom between ticks.
"""

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from torchxp_core.data import Dataset
from torchxp_core.figures import style
from torchxp_core.losses import REGRESSION
from torchxp_core.metrics import Snapshot
from torchxp_core.preview import ImagePredictions
from torchxp_core.smoothing import LiveCurve, decimate
from torchxp_core.surface import Plane

MAX_POINTS = 600  # per line: about one vertex per pixel of a projected chart
MAX_SCATTER = 500  # data points drawn over a decision surface (SVG: one node each)
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
MISTAKE_COLOR, CORRECT_COLOR = "#d62728", "#2ca02c"


def _figure(
    traces: list[dict],
    title: str,
    revision: str,
    *,
    x_title: str,
    y_title: str = "",
    height: int = 320,
    log_y: bool = False,
    legend_below: bool = False,
    **layout,
) -> go.Figure:
    layout = style.look(
        title,
        height,
        revision,  # the same between ticks: plotly keeps zoom and pan
        legend_below,
        style.LIVE,
        xaxis={"title": {"text": x_title}},
        yaxis={"title": {"text": y_title}, "type": "log" if log_y else "linear"},
        **layout,
    )
    if log_y:
        layout["yaxis"] |= log_ticks(traces)
    return go.Figure(data=traces, layout=layout, _validate=False)


def log_ticks(traces: list[dict]) -> dict:
    """Tick labels a reader can read on a log axis: 0.01, 0.1, 1 (with 2 and 5 if < 2 decades).

    plotly's own labels the minor ticks too, which reads "5 2 1 5 2 0.1" on a small chart.
    """
    values = np.concatenate([np.asarray(t["y"], np.float64) for t in traces] or [np.ones(1)])
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return {}
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    decades = 10.0 ** np.arange(low, high + 1)
    steps = (1, 2, 5) if high - low < 2 else (1,)
    ticks = [d * m for d in decades for m in steps if values.min() / 2 <= d * m <= values.max() * 2]
    return {"tickvals": ticks, "ticktext": [f"{t:g}" for t in ticks]}


def _line(x, y, name: str, color: str, width: float = 2.5, **extra) -> dict:
    # SVG: a decimated line is one path of at most MAX_POINTS vertices, cheaper to redraw
    # every tick than a WebGL context (3-4x on a GPU-less browser, measured in e2e).
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "name": name,
        "mode": "lines",
        "line": {"color": color, "width": width},
        **extra,
    }


def _markers(x, y, name: str, marker: dict) -> dict:
    # SVG too: at most MAX_SCATTER points, and a GPU-less Chromium spent about half its
    # redraw time of a training tick on WebGL points (busy 565-650 -> 310-470 ms/s measured).
    return {"type": "scatter", "x": x, "y": y, "name": name, "mode": "markers", "marker": marker}


def step_loss_figure(curve: LiveCurve, log_y: bool = False) -> go.Figure:
    """Per-step training loss, raw and faint, with the debiased EMA on top."""
    idx = curve.indices()  # smoothing ran on every step; only drawing is decimated
    x = (idx + 1).astype(np.float32)
    traces = []
    if len(idx):
        traces = [
            _line(x, curve.raw[idx], "raw", TRAIN_COLOR, width=1, opacity=0.3),
            _line(x, curve.smooth[idx], "smoothed", TRAIN_COLOR),
        ]
        if len(idx) <= 30:  # a few Steps: each one a visible point, not an invisible line
            traces[1] |= {"mode": "lines+markers", "marker": {"size": 7}}
    title = f"Training loss per step ({len(curve):,} step{'' if len(curve) == 1 else 's'})"
    return _figure(traces, title, "steps", x_title="step", log_y=log_y)


def _epoch_line(columns: dict[str, np.ndarray], key: str, name: str, color: str) -> dict:
    idx = decimate(columns[key], MAX_POINTS)
    mode = "lines+markers" if len(idx) <= 100 else "lines"
    return _line(
        columns["epoch"][idx], columns[key][idx], name, color, mode=mode, marker={"size": 5}
    )


def epoch_figure(columns: dict[str, np.ndarray], metric: str, title: str) -> go.Figure:
    """Train and validation ``metric`` per epoch, e.g. metric='loss' or 'accuracy'.

    ``columns`` is MetricsLog.epoch_columns(): one float array per recorded key.
    """
    traces = [
        _epoch_line(columns, f"{phase}_{metric}", phase, color)
        for phase, color in (("train", TRAIN_COLOR), ("val", VAL_COLOR))
        if len(columns.get(f"{phase}_{metric}", ()))
    ]
    return _figure(traces, title, f"epoch-{metric}", x_title="epoch")


def _sample(n: int, limit: int) -> np.ndarray:
    # A fixed subset: the same points every tick, so the picture does not flicker.
    return np.arange(n) if n <= limit else np.random.default_rng(0).choice(n, limit, False)


def _points(data: Dataset):
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    idx = _sample(len(x), MAX_SCATTER)
    return x[idx], y[idx]


# The surface is a PNG the browser only scales, never a heatmap: plotly's smoothed heatmap
# ("zsmooth": "best") interpolates every pixel in JavaScript, ~0.1-0.2 s of a GPU-less
# Chromium per draw, on every chart tick and on Train. A hidden 2-cell heatmap keeps the
# colour bar, so the scale can still be read.
BINARY_SCALE = [[0, CLASS_COLORS[0]], [0.5, "#ffffff"], [1, CLASS_COLORS[1]]]
BINARY_OPACITY = 0.65  # over white, as the heatmap drew it: the points stay readable
VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e",
           "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"]  # fmt: skip


def _surface(snap: Snapshot, gx: np.ndarray, gy: np.ndarray, data: Dataset) -> list[dict]:
    if data.task == REGRESSION:
        low, high = float(np.min(snap.values)), float(np.max(snap.values))
        share = (snap.values - low) / (high - low) if high > low else np.zeros_like(snap.values)
        rgb = _lookup(VIRIDIS, share)
        scale, title = [[i / 9, c] for i, c in enumerate(VIRIDIS)], "ŷ"
    elif snap.confidence is None:  # binary: P(class 1), white where the model is unsure
        low, high = 0.0, 1.0
        rgb = _lookup([color for _, color in BINARY_SCALE], snap.values)
        rgb = 255.0 + (rgb - 255.0) * BINARY_OPACITY
        scale, title = BINARY_SCALE, "P(class 1)"
    else:
        return [class_image(snap, gx, gy, data.n_classes)]
    scale_bar = {
        "type": "heatmap",
        "x": [float(gx[0]), float(gx[1])],
        "y": [float(gy[0])],
        "z": [[low, high]],
        "zmin": low,
        "zmax": high,
        "colorscale": scale,
        "opacity": 0,
        "hoverinfo": "skip",
        "colorbar": {"title": {"text": title}},
    }
    return [_image(rgb, gx, gy), scale_bar]


def _lookup(colors: list[str], share: np.ndarray) -> np.ndarray:
    """Each value in [0, 1] as the colour that far along evenly spaced ``colors``."""
    stops = np.array([_rgb(c) for c in colors], np.float32)
    position = np.clip(share, 0.0, 1.0) * (len(stops) - 1)
    left = np.minimum(position.astype(np.int64), len(stops) - 2)
    frac = (position - left)[..., None]
    return stops[left] + (stops[left + 1] - stops[left]) * frac


def class_image(snap: Snapshot, gx: np.ndarray, gy: np.ndarray, n_classes: int) -> dict:
    """Several classes: each cell the predicted class's colour, faded to white where unsure.

    A heatmap cannot interpolate a class index (it showed 60x60 hard-edged blocks); an
    image of colours can, like Playground's.
    """
    colors = np.array([_rgb(CLASS_COLORS[c % 10]) for c in range(n_classes)], np.float32)
    chance = 1.0 / n_classes
    sure = np.clip((snap.confidence - chance) / (1.0 - chance), 0.0, 1.0)[..., None]
    rgb = 255.0 + (colors[snap.values.astype(np.int64)] - 255.0) * (0.2 + 0.6 * sure)
    return _image(rgb, gx, gy)


def _image(rgb: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> dict:
    """Grid colours (rows along gy) as an image trace, one pixel centred on each grid point.

    The browser scales it up smoothly itself ("zsmooth": "fast", its native image scaling):
    a 60x60 PNG is ~8 KB and ~1 ms to encode, where one upscaled 4x here cost ~10 ms and
    ~110 KB on every tick.
    """
    picture = Image.fromarray(np.clip(rgb, 0, 255)[::-1].astype(np.uint8))  # rows top down
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    corner = {"x0": float(gx[0]), "dx": float(gx[1] - gx[0])}
    corner.update({"y0": float(gy[-1]), "dy": float(gy[0] - gy[1])})
    return {"type": "image", "source": source, "zsmooth": "fast", "hoverinfo": "skip", **corner}


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def surface_figure(
    snap: Snapshot | None, axes: tuple, data: Dataset, plane: Plane | None = None
) -> go.Figure:
    """The model's prediction over the plane with the data on top (TensorFlow Playground).

    With ``plane``, a table of many features: the points projected on its two principal
    components, the model sliced along them, and the chart says so.
    """
    x, y = _points(data)
    if plane is not None:
        x = plane.project(x)
    gx, gy = axes
    traces = [] if snap is None else _surface(snap, gx, gy, data)
    if data.task == REGRESSION:
        marker = {
            "color": y,
            "colorscale": "Viridis",
            "size": 6,
            "line": {"width": 0.5, "color": "white"},
        }
        traces.append(_markers(x[:, 0], x[:, 1], "data", marker))
    else:
        for c in range(data.n_classes):
            marker = {
                "color": CLASS_COLORS[c % 10],
                "size": 6,
                "line": {"width": 0.7, "color": "white"},
            }
            traces.append(_markers(x[y == c, 0], x[y == c, 1], f"class {c}", marker))
    title = "Decision surface" if data.task != REGRESSION else "Prediction ŷ over the plane"
    x_title, y_title = "x₁", "x₂"
    if plane is not None:  # short: the title shares half a screen
        title = "Surface" if data.task != REGRESSION else "ŷ"
        title += f" on PC1–PC2 of {data.input_shape[0]} features"
        x_title, y_title = (
            f"PC{i + 1} ({share:.0%} of variance)" for i, share in enumerate(plane.explained)
        )
    if snap is not None:
        title += f" · epoch {snap.epoch}"
    fig = _figure(traces, title, "surface", x_title=x_title, y_title=y_title, height=460)
    fig.layout.yaxis.scaleanchor = "x"  # equal units: circles look like circles
    fig.layout.xaxis.constrain = "domain"  # a wide chart narrows the plot, not widens the axis
    fig.layout.yaxis.autorange = True  # an image trace would flip the y axis otherwise
    return fig


def curve_figure(snap: Snapshot | None, axes: tuple, data: Dataset) -> go.Figure:
    """1-D regression: the data and the model's current curve through it."""
    x, y = _points(data)
    traces = [_markers(x[:, 0], y, "data", {"color": TRAIN_COLOR, "size": 5, "opacity": 0.5})]
    if snap is not None:
        traces.append(_line(axes[0], snap.values, "model", VAL_COLOR, width=4))
    title = "Fitted curve" + (f" · epoch {snap.epoch}" if snap is not None else "")
    return _figure(traces, title, "curve", x_title="x", y_title="y", height=460)


def images_figure(shown: ImagePredictions, epoch: int | None) -> go.Figure:
    """Validation images in a grid, each titled with the model's guess and its probability:
    mistakes first, the surest first (the most telling), then right ones, the least sure first."""
    right = shown.predicted == shown.labels
    order = np.lexsort((np.where(right, shown.confidence, -shown.confidence), right))
    n, (channels, h, w) = len(order), shown.images.shape[1:]
    cols = 6  # 4 rows of 6: about the shape of a chart in half a screen
    rows = -(-n // cols)
    # Pixels scaled to [0, 1] over the grid (the data are standardised); gaps stay paper white.
    low, high = float(shown.images.min()), float(shown.images.max())
    pixels = (shown.images - low) / max(high - low, 1e-6)
    mosaic = np.ones((rows * (h + 3), cols * (w + 1), 3), np.float32)
    notes = []
    for slot, i in enumerate(order):
        r, c = divmod(slot, cols)
        top, left = r * (h + 3), c * (w + 1)
        picture = pixels[i].transpose(1, 2, 0)  # [C, H, W] -> [H, W, C] for drawing
        if channels == 1:
            picture = 1.0 - np.repeat(picture, 3, axis=2)  # grey ink on white paper
        mosaic[top + 3 : top + 3 + h, left : left + w] = picture
        guess = f"{shown.predicted[i]}" if right[i] else f"{shown.predicted[i]} ({shown.labels[i]})"
        text = f"{guess} {shown.confidence[i]:.0%}"
        font = {"color": CORRECT_COLOR if right[i] else MISTAKE_COLOR, "size": 13}
        notes.append(dict(x=left + w / 2 - 0.5, y=top + 1, text=text, showarrow=False, font=font))
    trace = {"type": "image", "z": (mosaic * 255).astype(np.uint8), "hoverinfo": "skip"}
    wrong = int((shown.predicted != shown.labels).sum())
    title = f"Guess (truth): {wrong} of {n} wrong" + (f" · epoch {epoch}" if epoch else "")
    fig = _figure([trace], title, "images", x_title="", height=460, annotations=notes)
    fig.layout.yaxis.update(visible=False, scaleanchor="x")
    fig.layout.xaxis.update(visible=False)
    return fig


TWINS = (("with the mistake", MISTAKE_COLOR), ("correct twin", CORRECT_COLOR))


def twin_step_figure(mistake: LiveCurve, correct: LiveCurve, log_y: bool = True) -> go.Figure:
    """Smoothed step loss of a run with a mistake and its correct twin, on one chart."""
    traces = []
    for curve, (name, color) in zip((mistake, correct), TWINS, strict=True):
        idx = curve.indices()
        traces.append(_line((idx + 1).astype(np.float32), curve.smooth[idx], name, color))
    return _figure(
        traces,
        "Loss per step (smoothed)",
        "twin-steps",
        x_title="step",
        height=360,
        log_y=log_y,
        legend_below=True,
    )


def twin_epoch_figure(mistake: dict, correct: dict, key: str, title: str) -> go.Figure:
    """One per-epoch column (e.g. 'val_loss') of both runs; columns from epoch_columns()."""
    traces = [
        _epoch_line(columns, key, name, color)
        for columns, (name, color) in zip((mistake, correct), TWINS, strict=True)
        if len(columns.get(key, ()))
    ]
    return _figure(traces, title, f"twin-{key}", x_title="epoch", height=360, legend_below=True)
