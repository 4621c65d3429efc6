"""Plotly figures for the inside of a network: units and weights, gradient flow, confusion
matrix, filters and feature maps.

The network is drawn as TensorFlow Playground draws it: a column per layer, each unit a small
square heatmap of its output over the input plane, links from one column to the next coloured
by the weight's sign (orange negative, blue positive) and thicker as |w| grows. Each unit is
a heatmap trace of its own, on its own colour scale. The filters and feature maps, dozens of
pictures on one scale, are one heatmap trace each grid: cells laid side by side by explicit
cell edges, NaN between them (``_mosaic``), so hover shows the value under the pointer. All of
it redrawn every tick, so traces are plain dicts sent as built (``Prepared``) with float32
arrays already encoded; the links are layout shapes, a few SVG paths of exact cubic curves
(``_links``).
"""

import base64
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from torchxp_core.figures import style
from torchxp_core.figures.prepared import Prepared
from torchxp_core.figures.training import log_ticks
from torchxp_core.inside import FeatureMaps, Flow, Network

# Playground's colours: orange for negative, light grey for zero, blue for positive.
DIVERGING = [[0.0, "#f59322"], [0.5, "#e8eaeb"], [1.0, "#0877bd"]]
GREYS = [[0.0, "#ffffff"], [1.0, "#111111"]]  # image pixels: low white, high dark
ROW, COL = 1.35, 3.6  # centre-to-centre distances of units (a unit is 1 x 1)
PX_PER_UNIT = 31  # a unit's side in pixels (Playground's is 30): 8 units fit a 720p screen
# |w| bins of the links: each bin one trace with its width and colour (Playground's scales:
# width grows with |w| up to 5, colour saturates at |w| = 1).
LINK_BINS = np.array([0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5, 4.0])


def _mix(t: float, far: str) -> str:
    """Grey at t = 0 to ``far`` at t = 1."""
    grey, end = np.array([232, 234, 235]), np.array([int(far[i : i + 2], 16) for i in (1, 3, 5)])
    r, g, b = (grey + (end - grey) * min(max(t, 0.0), 1.0)).round().astype(int)
    return f"rgb({r},{g},{b})"


def _tile(z, cx, cy, zmin, zmax, hover, colorscale=DIVERGING, smooth="best", size=1.0) -> dict:
    """A (ny, nx) array drawn as a ``size`` square centred on (cx, cy)."""
    ny, nx = z.shape
    short = lambda v: float(f"{v:.6g}")  # noqa: E731 (6 digits: 20 bytes less a number, 68 tiles)
    return {
        "type": "heatmap",
        "z": np.asarray(z, np.float32),
        "zmin": short(zmin),
        "zmax": short(zmax),
        "x0": short(cx - size / 2 + size / (2 * nx)),
        "dx": short(size / nx),
        "y0": short(cy - size / 2 + size / (2 * ny)),
        "dy": short(size / ny),
        "colorscale": colorscale,
        "showscale": False,
        "zsmooth": smooth,
        "hovertemplate": hover + "<extra></extra>",
    }


def _mosaic(tiles: list[tuple[np.ndarray, float, float]], size: float = 1.0):
    """Pictures of one shape, each ``(z (h, w), centre x, centre y)``, as one heatmap's ``z``
    and its cell edges: a ``size`` square each, NaN in the gaps between them.

    Returns ``(z, x_edges, y_edges, corners)``; ``corners[k]`` is tile k's (row, column) in z.
    Row 0 of a tile is its lowest row, as a heatmap placed by ``y0`` draws it.
    """
    h, w = tiles[0][0].shape
    xs, ys = sorted({t[1] for t in tiles}), sorted({t[2] for t in tiles})
    x_edges = np.concatenate([cx - size / 2 + np.arange(w + 1) * (size / w) for cx in xs])
    y_edges = np.concatenate([cy - size / 2 + np.arange(h + 1) * (size / h) for cy in ys])
    z = np.full((len(ys) * (h + 1) - 1, len(xs) * (w + 1) - 1), np.nan, np.float32)
    corners = []
    for tile, cx, cy in tiles:
        r, c = ys.index(cy) * (h + 1), xs.index(cx) * (w + 1)
        z[r : r + h, c : c + w] = tile
        corners.append((r, c))
    return z, x_edges.astype(np.float32), y_edges.astype(np.float32), corners


def _mosaic_trace(z, x_edges, y_edges, zmin, zmax, hover, customdata, colorscale, smooth) -> dict:
    return {
        "type": "heatmap",
        "z": z,
        "x": x_edges,
        "y": y_edges,
        "zmin": zmin,
        "zmax": zmax,
        "customdata": customdata,
        "colorscale": colorscale,
        "showscale": False,
        "zsmooth": smooth,
        "hoverongaps": False,
        "hovertemplate": hover + "<extra></extra>",
    }


def _links(net: Network) -> tuple[list[dict], list[dict]]:
    """Every weight as Playground's link, a cubic curve leaving and entering horizontally:
    layout shapes, one SVG path per (sign, |w| bin) holding all its links (the browser draws
    the exact curve from 4 points; as a scatter line each link was 12 sampled points, 3/4 of
    the figure's bytes for a deep net). Returns ``(shapes, hover traces)``: a hover point on
    each link near its end (t = 0.7), one trace per layer pair."""
    paths: dict[tuple[bool, int], list[str]] = {}
    hover_traces = []
    t = 0.7
    for k, w in enumerate(net.weights):
        x0, x1 = k * COL + 0.5, (k + 1) * COL - 0.5
        xm = (x0 + x1) / 2
        j, i = np.indices(w.shape).reshape(2, -1)  # every link: to unit j from unit i
        values = w.reshape(-1)
        bins = np.searchsorted(LINK_BINS, np.abs(values))
        ends = f"M{x0:.6g},%sC{xm:.6g},%s {xm:.6g},%s {x1:.6g},%s"
        for positive, bin_, a, b in zip(
            (values >= 0).tolist(), bins.tolist(), (-i * ROW).tolist(), (-j * ROW).tolist(),
            strict=True,
        ):  # fmt: skip
            ya, yb = f"{a:.6g}", f"{b:.6g}"
            paths.setdefault((positive, bin_), []).append(ends % (ya, ya, yb, yb))
        # The curve at t (x is the same for every link of the pair; sent per point all the
        # same: a scatter placed by x0 and dx = 0 put its hover points elsewhere in Chromium).
        a3, b3, c3, d3 = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
        hx = a3 * x0 + (b3 + c3) * xm + d3 * x1
        hy = (a3 + b3) * (-i * ROW) + (c3 + d3) * (-j * ROW)
        source, dest = net.layers[k].title, net.layers[k + 1].title
        hover_traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": np.full(len(hy), hx, np.float32),
                "y": hy.astype(np.float32),
                "showlegend": False,
                "customdata": np.stack([values, i, j], axis=1).astype(np.float32),
                "marker": {"size": 9, "opacity": 0},
                "hovertemplate": f"w = %{{customdata[0]:.4g}}<br>{source} unit %{{customdata[1]}}"
                f" → {dest} unit %{{customdata[2]}}<extra></extra>",
            }
        )
    shapes = []
    for (positive, bin_), parts in sorted(paths.items(), key=lambda kv: kv[0][1]):
        magnitude = float(LINK_BINS[min(bin_, len(LINK_BINS) - 1)]) if bin_ else 0.0
        color = _mix(magnitude, "#0877bd" if positive else "#f59322")
        width = 0.7 + 7.3 * min(magnitude / 4.0, 1.0) ** 0.7
        shapes.append(
            {
                "type": "path",
                "path": "".join(parts),  # on the axes "x" and "y" (plotly.js's default)
                "layer": "below",
                "line": {"color": color, "width": width},
            }
        )
    return shapes, hover_traces


def _typed(a: np.ndarray) -> dict:
    """An array as the typed array plotly's to_json would write (dtype, base64, shape).

    Written here once: plotly's own conversion inspects every array through narwhals and
    copies it twice on the way out (~0.2 ms an array, 50 arrays a network figure)."""
    if a.dtype == np.int64:
        a = a.astype(np.int32)
    elif a.dtype == np.float16:
        a = a.astype(np.float32)
    a = np.ascontiguousarray(a)
    spec = {"dtype": a.dtype.str[1:], "bdata": base64.b64encode(a).decode("ascii")}
    if a.ndim > 1:
        spec["shape"] = ", ".join(map(str, a.shape))
    return spec


def _encoded(value):
    """numpy arrays in a trace (at any depth of dicts) as typed arrays."""
    if isinstance(value, np.ndarray) and value.size and value.dtype.kind in "fiub":
        return _typed(value)
    if isinstance(value, dict):
        return {k: _encoded(v) for k, v in value.items()}
    return value


def _figure(traces: list[dict], title: str, revision: str, height: int, **layout) -> go.Figure:
    """A figure in the shared look, its traces sent as built (``Prepared``: plotly.py neither
    validates nor copies them), its arrays already encoded (``_typed``). ``revision`` stays
    the same between ticks, so plotly keeps zoom and pan."""
    data = [_encoded(trace) for trace in traces]
    return Prepared(data, style.look(title, height, revision, **layout))


def _hidden_axes(x_range: list[float], y_range: list[float] | None = None) -> dict:
    """Picture axes: no ticks, equal units (a unit's square stays square)."""
    y = {"visible": False, "scaleanchor": "x"}
    return {
        "xaxis": {"visible": False, "range": x_range},
        "yaxis": y if y_range is None else y | {"range": y_range},
    }


def network_figure(net: Network, title: str) -> go.Figure:
    """Inputs -> each hidden unit -> outputs, every unit its output over the input plane."""
    shapes, traces = _links(net)
    notes = []
    rows = max(len(layer.activations) for layer in net.layers)
    bottom = -(rows - 1) * ROW - 0.5
    bias_x, bias_y, bias_v, bias_hover = [], [], [], []
    for c, layer in enumerate(net.layers):
        cx = c * COL
        probability = c == len(net.layers) - 1 and net.output_is_probability
        # Each unit its own trace on its own scale (zmin, zmax), so its pattern shows and hover
        # reads its value from z; but a unit quieter than 5% of its layer's loudest stays
        # pale, and a dead one (all 0) grey. (One trace a column, as the filters are drawn,
        # sent every value twice, scaled for colour and as is for hover: 40% of a deep net's
        # bytes; a trace a unit costs the browser ~40 ms more a redraw of an 8 x 64 MLP.)
        loudest = float(np.abs(layer.activations).max())
        inputs = layer.modules.split(", ") if not layer.index else None
        for j, z in enumerate(layer.activations):  # the grid's points drawn (drawn_stride)
            high = 1.0 if probability else max(float(np.abs(z).max()), 0.05 * loudest, 1e-6)
            low = 0.0 if probability else -high
            name = inputs[j] if inputs else f"unit {j}"
            hover = f"<b>{layer.title} · {name}</b><br>output %{{z:.3g}}"
            traces.append(_tile(z, cx, -j * ROW, low, high, hover))
        if layer.bias is not None:
            for j in range(len(layer.activations)):
                bias_x.append(cx - 0.62), bias_y.append(-j * ROW - 0.42)
                bias_v.append(layer.bias[j]), bias_hover.append((layer.bias[j], j))
        header = f"<b>{layer.title}</b><br>{layer.units} unit{'s' * (layer.units != 1)}"
        notes.append(_note(cx, 0.62, header, "bottom"))
        shown = len(layer.activations)
        if layer.units > shown:
            more = f"+{layer.units - shown} more"
            notes.append(_note(cx, -(shown - 1) * ROW - 0.55, more, "top", 11))
        if layer.index:
            first, *rest = layer.modules.split(" · ")
            # One module a line: side by side, presenter mode's larger text ran into the next.
            label = f"layer {layer.index}<br>{first}" + "".join(f"<br>{m}" for m in rest)
            notes.append(_note(cx, bottom - 0.7, label, "top", 11))
    if bias_x:
        marker = {
            "symbol": "square",
            "size": 7,
            "color": np.array(bias_v, np.float32),
            "colorscale": DIVERGING,
            "cmin": -1,
            "cmax": 1,
            "line": {"width": 0.5, "color": "#888"},
        }
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": np.array(bias_x, np.float32),
                "y": np.array(bias_y, np.float32),
                "showlegend": False,
                "marker": marker,
                "customdata": np.array(bias_hover, np.float32),
                "hovertemplate": "bias %{customdata[0]:.4g} (unit %{customdata[1]})<extra></extra>",
            }
        )
    width = (len(net.layers) - 1) * COL
    deepest = 1 + max(len(layer.modules.split(" · ")) for layer in net.layers[1:])  # + "layer i"
    # Room for the longest label under a column, at presenter mode's larger text too.
    lowest = bottom - 0.8 - 0.75 * deepest
    height = int(50 + PX_PER_UNIT * (1.5 - lowest))
    return _figure(
        traces,
        title,
        "network",
        height,
        showlegend=False,
        annotations=notes,
        shapes=shapes,
        margin={"l": 10, "r": 10, "t": 40, "b": 6},
        hovermode="closest",
        **_hidden_axes([-1.0, width + 0.8], [lowest, 1.5]),
    )


def _note(x, y, text, anchor, size=12) -> dict:
    """A label at data coordinates (x, y): xref and yref left to plotly.js, whose default is
    the first axes, "x" and "y"; written out, plotly.py checked each against its subplot-id
    pattern, half of what an annotation cost (~20 µs, 50 of them on the filters)."""
    return {
        "x": x,
        "y": y,
        "text": text,
        "showarrow": False,
        "yanchor": anchor,
        "font": {"size": size},
    }


@lru_cache(maxsize=64)
def _depth_colors(n: int) -> tuple[str, ...]:
    """Early layers dark blue, late layers yellow: depth reads as colour (cached: plotly
    looks the colour scale up by name in ~2 ms)."""
    return tuple(sample_colorscale("Viridis", [0.85 * i / max(n - 1, 1) for i in range(n)]))


LEGEND_MAX = 6  # layers named in a legend; a deeper net gets a colour bar of depth instead


def _depth_bar(names: dict) -> dict:
    """A colour bar from the first layer (dark) to the last (yellow): the lines' legend for a
    deep net, whose 17 legend entries took most of a chart's height and hid its x axis."""
    colors = _depth_colors(len(names))
    labels = list(names.values())
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "markers",
        "hoverinfo": "skip",
        "showlegend": False,
        "marker": {
            "color": [0.0, 1.0],
            "cmin": 0.0,
            "cmax": 1.0,
            "colorscale": [[i / (len(colors) - 1), c] for i, c in enumerate(colors)],
            "showscale": True,
            "colorbar": {
                "title": {"text": "layer"},
                "tickvals": [0.0, 1.0],
                "ticktext": [labels[0], labels[-1]],
                "thickness": 12,
                "len": 0.9,
            },
        },
    }


def _lines_figure(xs: dict, ys: dict, names: dict, title: str, y_title: str) -> go.Figure:
    traces = []
    for (layer, name), color in zip(names.items(), _depth_colors(len(names)), strict=True):
        if len(ys[layer]):
            trace = {
                "type": "scatter",
                "x": _steps(xs[layer]),
                "y": ys[layer],
                "name": name,
                "mode": "lines",
                "line": {"color": color, "width": 2},
                "hovertemplate": f"{name}<br>step %{{x}}: %{{y:.3g}}<extra></extra>",
            }
            if len(ys[layer]) <= 100:  # few points: each one marked
                trace |= {"mode": "lines+markers", "marker": {"size": 4}}
            traces.append(trace)
    deep = len(names) > LEGEND_MAX
    bar = [_depth_bar(names)] if deep and traces else []
    return _figure(
        traces + bar,
        title,
        f"flow-{y_title}",
        360,
        legend_below=True,
        showlegend=not deep,
        xaxis={"title": {"text": "step"}},
        yaxis={"title": {"text": y_title}, "type": "log"} | log_ticks(traces),
    )


def _steps(x: np.ndarray) -> np.ndarray:
    """Step numbers as the smallest exact integer array: uint16 while the run is under 65,536
    steps (half the bytes of float32: the x of every line of both charts), else uint32."""
    if len(x) and float(x.max()) < 2**16 and np.all(x == np.round(x)) and x.min() >= 0:
        return x.astype(np.uint16)
    if len(x) and float(x.max()) < 2**32 and np.all(x == np.round(x)) and x.min() >= 0:
        return x.astype(np.uint32)
    return x


def grad_norm_figure(flow: Flow) -> go.Figure:
    title = "Gradient norm per layer"
    return _lines_figure(flow.grad_steps, flow.grad_norm, flow.layers, title, "‖g‖")


def update_ratio_figure(flow: Flow) -> go.Figure:
    title = "Update / weight per layer"
    return _lines_figure(flow.ratio_steps, flow.update_ratio, flow.layers, title, "‖Δw‖ / ‖w‖")


def first_batch_figure(norms: dict[str, float], names: dict[str, str]) -> go.Figure:
    """Before Train: each layer's ‖g‖ after one backward of the untrained model."""
    layers = [layer for layer in names if layer in norms]
    trace = {
        "type": "bar",
        "x": [names[layer] for layer in layers],
        "y": np.array([norms[layer] for layer in layers], np.float64),
        "marker": {"color": list(_depth_colors(len(layers)))},
        "hovertemplate": "%{x}: ‖g‖ = %{y:.3g}<extra></extra>",
    }
    return _figure(
        [trace],
        "Gradient norm per layer: one batch, untrained",
        "flow-first",
        360,
        xaxis={"title": {"text": "layer (input side → output side)"}},
        yaxis={"title": {"text": "‖g‖"}, "type": "log"} | log_ticks([trace]),
    )


def confusion_figure(counts: np.ndarray, names: list[str], title: str) -> go.Figure:
    """Rows: true class; columns: predicted class; each cell its count."""
    trace = {
        "type": "heatmap",
        "z": counts.astype(np.int32),
        "x": names,
        "y": names,
        "colorscale": [[0.0, "#ffffff"], [1.0, "#0877bd"]],
        "showscale": False,
        "texttemplate": "%{z}",
        "xgap": 1,
        "ygap": 1,
        "hovertemplate": "true %{y}, predicted %{x}: %{z}<extra></extra>",
    }
    return _figure(
        [trace],
        title,
        "confusion",
        440,
        xaxis={"title": {"text": "predicted"}, "type": "category"},
        yaxis={
            "title": {"text": "true"},
            "type": "category",
            "autorange": "reversed",
            "scaleanchor": "x",
            "constrain": "domain",
        },
    )


def filters_figure(filters: np.ndarray, per_row: int = 8) -> go.Figure:
    """Each filter of the first convolution, per_row to a row, one block per input channel:
    weight [out, in, kH, kW]."""
    out, channels = filters.shape[:2]
    rows = -(-out // per_row)
    high = max(float(np.abs(filters).max()), 1e-6)
    tiles, ids, notes = [], [], []
    for c in range(channels):
        for k in range(out):
            cx, cy = (k % per_row) * 1.15, -(c * rows + k // per_row) * 1.45 - c * 0.5
            tiles.append((filters[k, c][::-1], cx, cy))
            ids.append((k, c))
            notes.append(_note(cx, cy + 0.52, f"{k}", "bottom", 10))
        if channels > 1:
            label = f"input<br>channel {c}"
            notes.append(_note(-0.65, -c * (rows * 1.45 + 0.5), label, "middle", 11))
            notes[-1]["xanchor"] = "right"
    z, xe, ye, corners = _mosaic(tiles)
    custom = np.zeros((*z.shape, 2), np.uint8)  # (filter, input channel) under each cell
    kh, kw = filters.shape[2:]
    for (r, c), which in zip(corners, ids, strict=True):
        custom[r : r + kh, c : c + kw] = which
    hover = "filter %{customdata[0]}, input channel %{customdata[1]}<br>w = %{z:.3g}"
    traces = [_mosaic_trace(z, xe, ye, -high, high, hover, custom, DIVERGING, False)]
    shape = ", ".join(map(str, filters.shape))
    bottom = -(channels * rows - 1) * 1.45 - (channels - 1) * 0.5 - 0.6
    left = -2.1 if channels > 1 else -0.6
    return _figure(
        traces,
        f"First convolution's filters · weight [{shape}]",
        "filters",
        int(60 + 52 * (1.2 - bottom)),
        annotations=notes,
        margin={"l": 10, "r": 10, "t": 44, "b": 6},
        **_hidden_axes([left, per_row * 1.15 - 0.5], [bottom, 1.2]),
    )


def _channels_trace(tiles, low, high, hover, colorscale) -> dict:
    """Channel pictures as one heatmap; customdata: the channel under each cell."""
    z, xe, ye, corners = _mosaic(tiles)
    custom = np.zeros(z.shape, np.uint8)
    h, w = tiles[0][0].shape
    for k, (r, c) in enumerate(corners):
        custom[r : r + h, c : c + w] = k
    return _mosaic_trace(z, xe, ye, low, high, hover, custom, colorscale, False)


def feature_maps_figure(fm: FeatureMaps, names: list[str]) -> go.Figure:
    """The image's channels, then layer 0's output channel by channel: [1, C, H, W] ->
    [1, 16, H, W]."""
    channels, maps, per_row = len(fm.image), len(fm.maps), 8
    notes = []
    low, high = float(fm.image.min()), float(fm.image.max())
    for c in range(channels):
        notes.append(_note(c * 1.15, 0.55, f"input ch {c}", "bottom", 11))
    hover = "input channel %{customdata}<br>pixel %{z:.3g}"
    traces = [
        _channels_trace(
            [(fm.image[c][::-1], c * 1.15, 0) for c in range(channels)], low, high, hover, GREYS
        )
    ]
    top = max(float(np.abs(fm.maps).max()), 1e-6)
    tiles = []
    for k in range(maps):
        r, col = divmod(k, per_row)
        cy = -1.7 - r * 1.4
        tiles.append((fm.maps[k][::-1], col * 1.15, cy))
        notes.append(_note(col * 1.15, cy + 0.55, f"ch {k}", "bottom", 11))
    hover = "conv channel %{customdata}<br>value %{z:.3g}"
    traces.append(_channels_trace(tiles, -top, top, hover, DIVERGING))
    h, w = fm.image.shape[1:]
    title = (
        f"Image {fm.index}: true {names[fm.label]}, predicted {names[fm.predicted]} "
        f"({fm.confidence:.0%})<br><sup>[1, {channels}, {h}, {w}] → layer 0 Conv2d → "
        f"[1, {maps}, {h}, {w}], before its ReLU</sup>"
    )
    bottom = -1.7 - (-(-maps // per_row) - 1) * 1.4 - 0.6
    return _figure(
        traces,
        title,
        "maps",
        int(80 + 60 * (1.2 - bottom)),
        annotations=notes,
        margin={"l": 10, "r": 10, "t": 64, "b": 6},
        **_hidden_axes([-0.7, per_row * 1.15 - 0.5], [bottom, 1.2]),
    )
