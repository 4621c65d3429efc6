"""Inside the network: every unit's activation, the weights between units, gradient flow per
layer, and for images the confusion matrix, the first convolution's filters and feature maps.

Everything here is computed from copies: a ``ParamSnapshot`` the worker sent, loaded into a
model rebuilt on the cpu in this process (``rebuild``), so looking never touches the run's
process, RNG, graph or optimizer. Activations come from forward hooks, in eval mode: Dropout
off, BatchNorm on its running statistics, as at validation.
"""

import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from torchxp_core.config import RunConfig
from torchxp_core.data import Dataset
from torchxp_core.metrics import ParamSnapshot
from torchxp_core.params import layer_of
from torchxp_core.smoothing import decimate
from torchxp_core.surface import SurfaceGrid
from torchxp_core.training import initial_model, prepare

MAX_UNITS = 8  # units drawn per layer; a wider layer says how many more it has
CELLS = 9_000  # grid points drawn for all units together: a tick's payload stays small
MAX_POINTS = 600  # per gradient-flow line, as the lab's live series
# Points per gradient-flow chart, shared by its lines (as CELLS by the units): a deep net's
# 17 layers keep ~94 each (min and max of each bucket, so spikes stay), a 3-layer net's up
# to MAX_POINTS. Two charts of 17 lines x 200 points were 60 KiB of a 200 KiB tick.
FLOW_POINTS = 1_600


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread while a view computes, then as it was.

    These ops are tiny, and with a run's worker busy on one of 2 cores, an OpenMP region
    of 2 threads waits for a descheduled thread at every op: a 16-16 MLP on the 3,600 grid
    points took 40-160 ms with 2 threads and 0.2 ms with 1, measured here. torch's OpenMP
    and MKL thread counts are per calling thread, so other script threads keep theirs.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def rebuild(cfg: RunConfig, data: Dataset, weights: ParamSnapshot | None = None) -> nn.Module:
    """The run's model on the cpu, in eval mode: its initial weights, or ``weights``' copy."""
    model = initial_model(cfg, data)
    if "logits_into_bce" in cfg.train.pitfalls:  # as prepare() trains it: no final Sigmoid
        model = model[:-1]
    if weights is not None:
        state = {**weights.weights, **weights.buffers}
        # load_state_dict copies into the model's own tensors: the snapshot stays untouched.
        model.load_state_dict({name: torch.from_numpy(a) for name, a in state.items()})
    return model.eval()


# Models kept between ticks, idle, by shape: building one (random init, BatchNorm) took as long
# as the rest of a tick; a tick only needs a model to load a snapshot's weights into. Each is
# kept with its parameters and buffers by name, to copy a snapshot into directly
# (load_state_dict's walk over the modules took ~1.7 ms of an 8 x 64 MLP's tick).
_IDLE: OrderedDict[tuple, list[tuple[nn.Module, dict[str, torch.Tensor]]]] = OrderedDict()
_IDLE_LOCK = threading.Lock()
IDLE_SHAPES = 8  # settings kept (the oldest dropped), at most 2 models each


def _shape_key(cfg: RunConfig, data: Dataset) -> tuple:
    """What decides the model's modules and tensor shapes (not its weights)."""
    bce_logits = "logits_into_bce" in cfg.train.pitfalls
    return (cfg.model, cfg.train.loss, data.input_shape, data.n_classes, bce_logits)


@torch.no_grad()
def _copy_in(targets: dict[str, torch.Tensor], weights: ParamSnapshot) -> None:
    """Every parameter and buffer overwritten by the snapshot's, strictly as load_state_dict:
    the same names, the same shapes, or an error."""
    state = {**weights.weights, **weights.buffers}
    if state.keys() != targets.keys():
        missing, unexpected = targets.keys() - state.keys(), state.keys() - targets.keys()
        raise RuntimeError(
            f"Snapshot does not fit the model: missing {missing}, extra {unexpected}"
        )
    for name, tensor in targets.items():
        array = state[name]
        if tuple(tensor.shape) != array.shape:
            raise RuntimeError(f"{name}: snapshot {array.shape}, model {tuple(tensor.shape)}")
        tensor.copy_(torch.from_numpy(array))


@contextmanager
def _loaded(cfg: RunConfig, data: Dataset, weights: ParamSnapshot | None) -> Iterator[nn.Module]:
    """``rebuild(cfg, data, weights)``, from an idle model of the same shape where one is kept.

    Every parameter and buffer is overwritten (``_copy_in``, strict), so what the model held
    before cannot show; the model goes back to the idle ones when the block ends. Each model
    is used by one thread at a time (taken out under a lock), and is in eval mode."""
    if weights is None:  # the untrained model: its seed's weights, built fresh
        yield rebuild(cfg, data)
        return
    key = _shape_key(cfg, data)
    with _IDLE_LOCK:
        idle = _IDLE.get(key)
        kept = idle.pop() if idle else None
    if kept is None:
        model = rebuild(cfg, data, weights)
    else:
        model = kept[0]
        _copy_in(kept[1], weights)
        if model.training:
            model.eval()
    try:
        yield model
    finally:
        if kept is None:  # its tensors by name once this tick's use (channels-last) is done
            kept = (model, model.state_dict(keep_vars=True))
        with _IDLE_LOCK:
            idle = _IDLE.setdefault(key, [])
            if len(idle) < 2:
                idle.append(kept)
            _IDLE.move_to_end(key)
            while len(_IDLE) > IDLE_SHAPES:
                _IDLE.popitem(last=False)


def _as_fed(cfg: RunConfig, x: np.ndarray) -> torch.Tensor:
    """Validation inputs as the run feeds them (scrambled under the NHWC pitfall)."""
    inputs = torch.from_numpy(x)
    if "nhwc_reshape" in cfg.train.pitfalls:  # as prepare() does to that run's images
        inputs = inputs.permute(0, 2, 3, 1).reshape(inputs.shape)
    return inputs


# --- the network over the input plane ---------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One column of the network view: inputs, a hidden layer, or the outputs."""

    title: str  # "input", "hidden 1", "output"
    modules: str  # what makes it, e.g. "Linear(2→16) · BatchNorm1d · ReLU"
    index: str  # Sequential index of its Linear ("0"); "" for the inputs
    units: int  # all units of the layer; only the first MAX_UNITS are kept below
    activations: np.ndarray  # (shown, ny, nx) float32: each unit's output over the grid's
    # points drawn (every ``Network.stride``-th per axis)
    bias: np.ndarray | None  # (shown,) float32; None for the inputs


@dataclass(frozen=True)
class Network:
    """What the network view draws: columns of units and the weights between them."""

    layers: list[Layer]
    weights: list[np.ndarray]  # weights[k]: (shown of layer k+1, shown of layer k) float32
    axes: tuple[np.ndarray, ...]  # the points drawn: (gx, gy), or (gx,) for a line
    stride: int  # every stride-th point of the grid's axes is drawn (and computed)
    eval_note: str  # what eval mode changed in this model ("" when nothing)
    output_is_probability: bool  # the last layer ends in a Sigmoid: values in [0, 1]


def _blocks(model: nn.Sequential) -> list[list[tuple[str, nn.Module]]]:
    """The model cut before each Linear: [[Linear, BatchNorm, act, Dropout], ..., [Linear]]."""
    blocks: list[list[tuple[str, nn.Module]]] = []
    for name, module in model.named_children():
        if isinstance(module, nn.Linear) or not blocks:
            blocks.append([])
        blocks[-1].append((name, module))
    return blocks


def _describe(block: list[tuple[str, nn.Module]]) -> str:
    first = block[0][1]
    parts = [f"Linear({first.in_features}→{first.out_features})"]
    return " · ".join(parts + [type(m).__name__ for _, m in block[1:]])


def eval_note(model: nn.Module) -> str:
    """What eval mode changes in this model, in words ('' when it changes nothing)."""
    kinds = {type(m).__name__ for m in model.modules()}
    notes = []
    if any(k.startswith("BatchNorm") for k in kinds):
        notes.append("BatchNorm uses its running statistics, not the batch's")
    if any(k.startswith("Dropout") for k in kinds):
        notes.append("Dropout is off (every unit passes, unscaled)")
    return "; ".join(notes)


@torch.no_grad()
def network(model: nn.Sequential, grid: SurfaceGrid, max_units: int = MAX_UNITS) -> Network:
    """Every shown unit's output over the grid's points drawn, read by forward hooks (eval mode).

    The hook sits on each block's last module, so a hidden unit's value is what the next
    Linear receives: after BatchNorm, the activation and Dropout (identity in eval mode).
    """
    blocks = _blocks(model)
    if not isinstance(blocks[0][0][1], nn.Linear):
        raise ValueError(
            "The network view draws MLPs on points; this model starts with "
            f"{type(blocks[0][0][1]).__name__}."
        )
    full = tuple(len(a) for a in reversed(grid.axes))  # (ny, nx), or (nx,) for a line
    full = full if len(full) == 2 else (1, full[0])
    n_in = blocks[0][0][1].in_features
    shown = min(n_in, max_units) + sum(min(b[0][1].out_features, max_units) for b in blocks)
    stride = drawn_stride(full, shown)
    rows, cols = np.arange(full[0])[::stride], np.arange(full[1])[::stride]
    shape = (len(rows), len(cols))
    points = grid.points.cpu().float()[torch.from_numpy((rows[:, None] * full[1] + cols).ravel())]
    seen: dict[int, np.ndarray] = {}

    def keep(k: int):
        def hook(_module, _inputs, output):  # (M, units) -> (shown, ny, nx)
            seen[k] = output[:, :max_units].T.float().reshape(-1, *shape).numpy().copy()

        return hook

    handles = [block[-1][1].register_forward_hook(keep(k)) for k, block in enumerate(blocks)]
    was_training = model.training
    if was_training:  # a view must not switch Dropout on or update BatchNorm's statistics
        model.eval()
    try:
        model(points)
    finally:
        if was_training:
            model.train()
        for handle in handles:
            handle.remove()
    inputs = points.numpy()[:, :max_units].T.reshape(-1, *shape).astype(np.float32)
    names = ["x₁", "x₂"] if n_in == 2 else ["x"] if n_in == 1 else [f"x{i}" for i in range(n_in)]
    layers = [Layer("input", ", ".join(names), "", n_in, inputs, None)]
    weights = []
    for k, block in enumerate(blocks):
        linear: nn.Linear = block[0][1]
        shown_in, shown_out = len(layers[-1].activations), min(linear.out_features, max_units)
        weights.append(linear.weight[:shown_out, :shown_in].float().numpy().copy())
        bias = None if linear.bias is None else linear.bias[:shown_out].float().numpy().copy()
        title = "output" if k == len(blocks) - 1 else f"hidden {k + 1}"
        layers.append(
            Layer(title, _describe(block), block[0][0], linear.out_features, seen[k], bias)
        )
    last = blocks[-1][-1][1]
    axes = tuple(a[::stride] for a in grid.axes)
    return Network(layers, weights, axes, stride, eval_note(model), isinstance(last, nn.Sigmoid))


def drawn_stride(shape: tuple[int, int], units: int, cells: int = CELLS) -> int:
    """Every k-th grid point per axis, so that ``units`` pictures together stay under ``cells``
    (8 to 16 points a side). Only those points are computed: a 64-wide layer over all 3,600
    points cost 10 ms a tick, for pictures that show 100 of them."""
    side = int(np.clip(np.sqrt(cells / max(units, 1)), 8, 16))
    return max(1, -(-max(shape) // side))


# --- gradient flow --------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """Per layer with parameters, over the run: gradient norm and update-to-weight ratio."""

    layers: dict[str, str]  # Sequential index -> its name in the legend ("0 Linear")
    grad_steps: dict[str, np.ndarray]  # index -> (n,) float32 steps (decimated)
    grad_norm: dict[str, np.ndarray]  # index -> (n,) float32 ‖g‖ of all its parameters
    ratio_steps: dict[str, np.ndarray]
    update_ratio: dict[str, np.ndarray]  # index -> ‖w_t − w_{t−1}‖ / ‖w_{t−1}‖ of one step
    frozen: tuple[str, ...]  # layers whose weights never moved (ratio exactly 0)


def layer_names(model: nn.Module) -> dict[str, str]:
    """'0' -> '0 Linear' for each layer that owns parameters, in model order."""
    owners = dict.fromkeys(layer_of(name) for name, _ in model.named_parameters())
    return {layer: f"{layer} {type(model.get_submodule(layer)).__name__}" for layer in owners}


_NAMES: dict[tuple, dict[str, str]] = {}  # layer_names per model shape (~0.1 ms a tick)


def _layer_names(cfg: RunConfig, data: Dataset, model: nn.Module) -> dict[str, str]:
    key = _shape_key(cfg, data)
    if key not in _NAMES:
        if len(_NAMES) >= 4 * IDLE_SHAPES:
            _NAMES.clear()
        _NAMES[key] = layer_names(model)
    return dict(_NAMES[key])


def _squared_norms(arrays: dict, layers: dict[str, list[str]]) -> dict[str, float]:
    """Per layer, the squared L2 norm of all its parameters together; NaN if any is None."""
    out = {}
    for layer, names in layers.items():
        parts = [arrays.get(name) for name in names]
        ok = parts and all(p is not None for p in parts)
        out[layer] = sum(float(np.vdot(p, p)) for p in parts) if ok else float("nan")
    return out


def _row(snap: ParamSnapshot, layers: dict[str, list[str]]):
    """One snapshot's numbers: per layer ‖g‖, and ‖Δw‖ / ‖w‖ of its last optimizer step."""
    grads = {k: np.sqrt(v) for k, v in _squared_norms(snap.grads, layers).items()}
    update = snap.last_update
    if update is None:  # that step was not watched
        return grads, dict.fromkeys(layers, float("nan"))
    ratios = {}
    for layer, names in layers.items():
        moved, size = (sum(update[n][i] for n in names) for i in (0, 1))
        ratios[layer] = np.sqrt(moved / size) if size else float("nan")
    return grads, ratios


def gradient_flow(
    history: list[ParamSnapshot], names: dict[str, str], cache: dict | None = None
) -> Flow:
    """Gradient norm and update ratio per layer from a run's parameter history.

    A layer's gradient norm is the L2 norm of all its parameters' .grad together (the last
    batch before the snapshot); NaN where .grad was never filled (frozen, or step 0). Its
    update ratio is how far that batch's optimizer.step() moved them, relative to their size
    (measured by the worker: snapshots are many steps apart, and further as a run's history
    is thinned, so comparing two would grow with the gap). ``cache`` (a dict kept per run)
    keeps each snapshot's numbers: a tick computes only the snapshots that arrived since.
    """
    cache = {} if cache is None else cache
    params = tuple(history[0].weights) if history else ()
    layers = _params_by_layer(params, tuple(names))
    rows = []
    for snap in history:
        key = (snap.step, snap.final)
        if key not in cache:  # kept as two rows of numbers in the order of ``names``
            grads, ratios = _row(snap, layers)
            cache[key] = tuple(np.array([d[k] for k in names], np.float32) for d in (grads, ratios))
        rows.append(cache[key])
    for key in set(cache) - {(s.step, s.final) for s in history}:
        del cache[key]  # snapshots the log has dropped
    steps = np.array([s.step for s in history], np.float32)
    # (snapshots, layers) each: a tick's only per-snapshot work is these two arrays.
    none = np.zeros((0, len(names)), np.float32)
    norms = np.stack([row[0] for row in rows]) if rows else none
    ratios = np.stack([row[1] for row in rows]) if rows else none
    grad_steps, grad_norm, ratio_steps, update_ratio, frozen = {}, {}, {}, {}, []
    points = min(MAX_POINTS, FLOW_POINTS // max(len(names), 1))
    for col, layer in enumerate(names):
        measured = ratios[:, col][np.isfinite(ratios[:, col])]
        if len(measured) and not measured.any():  # every watched step left it exactly as it was
            frozen.append(layer)
        grad_steps[layer], grad_norm[layer] = _decimated(steps, norms[:, col], points)
        ratio_steps[layer], update_ratio[layer] = _decimated(steps, ratios[:, col], points)
    return Flow(names, grad_steps, grad_norm, ratio_steps, update_ratio, tuple(frozen))


@lru_cache(maxsize=32)
def _params_by_layer(params: tuple[str, ...], layers: tuple[str, ...]) -> dict[str, list[str]]:
    return {layer: [n for n in params if layer_of(n) == layer] for layer in layers}


def _decimated(x: np.ndarray, y: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(y) & (y > 0)  # a log axis cannot show 0 (a frozen layer's update)
    x, y = x[keep], y[keep]
    idx = decimate(y, points)
    return x[idx], y[idx]


def one_batch_grad_norms(cfg: RunConfig, data: Dataset) -> dict[str, float]:
    """Per layer, ‖g‖ of the untrained model after one backward on its first training batch.

    Before Train there is no history: this is the first point of the run's gradient flow,
    enough to see a deep sigmoid MLP's early layers get almost nothing. Built by
    ``prepare`` as the run would be (its own model and data tensors, pitfalls included).
    """
    setup = prepare(cfg, data)
    inputs, targets = setup.tensors["train"]
    size = cfg.train.batch_size
    setup.model.train()  # as the first training batch sees it
    try:
        with warnings.catch_warnings():  # the lab relays torch's warnings; not repeated here
            warnings.simplefilter("ignore")
            setup.criterion(setup.model(inputs[:size]), targets[:size]).backward()
    except RuntimeError:  # a mistake torch refuses (float64 data): the lab says why
        return {}
    norms = {}
    for layer in layer_names(setup.model):
        grads = [p.grad for n, p in setup.model.named_parameters() if layer_of(n) == layer]
        if grads and all(g is not None for g in grads):
            norms[layer] = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
    return norms


# --- images -----------------------------------------------------------------------------------


@torch.no_grad()
def predictions(cfg: RunConfig, model: nn.Module, data: Dataset) -> np.ndarray:
    """The model's class for every validation sample, in eval mode: (N,) int64."""
    return _predict(cfg, model, data)[0]


# The validation inputs as a CNN is fed them, channels-last, per dataset: converting 300
# images took ~0.3 ms a tick. Keyed by id, the array kept with it (an id is not reused while
# its object lives).
_FED: OrderedDict[tuple, tuple[np.ndarray, torch.Tensor]] = OrderedDict()
_FED_LOCK = threading.Lock()


def _val_inputs(cfg: RunConfig, data: Dataset) -> torch.Tensor:
    nhwc = "nhwc_reshape" in cfg.train.pitfalls
    key = (id(data.x_val), nhwc)
    with _FED_LOCK:
        kept = _FED.get(key)
        if kept is not None and kept[0] is data.x_val:
            _FED.move_to_end(key)
            return kept[1]
    inputs = _as_fed(cfg, data.x_val)
    if inputs.ndim == 4:  # channels-last: max-pooling 300 images on one thread 3x faster
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    with _FED_LOCK:
        _FED[key] = (data.x_val, inputs)
        while len(_FED) > IDLE_SHAPES:
            _FED.popitem(last=False)
    return inputs


@torch.no_grad()
def _predict(
    cfg: RunConfig,
    model: nn.Module,
    data: Dataset,
    image: int | None = None,
    predicted: np.ndarray | None = None,
) -> tuple[np.ndarray, "FeatureMaps | None"]:
    """Every validation sample's class, and with ``image`` that sample's FeatureMaps (layer
    0's output kept by a hook on the same pass). ``predicted``: the classes the run's own
    validation gave these weights; then only ``image`` goes through the model (300 shapes
    through the CNN were ~6 ms, most of a tick)."""
    if predicted is not None and image is None:
        return predicted.astype(np.int64), None
    if model.training:
        model.eval()
    inputs = _val_inputs(cfg, data)
    at = image  # the image's row in what goes through the model
    if predicted is not None:
        inputs, at = inputs[image : image + 1], 0
    first = model[0]
    if isinstance(first, nn.Conv2d) and not first.weight.is_contiguous(
        memory_format=torch.channels_last
    ):  # once per model kept: its weights stay so, copied into
        model.to(memory_format=torch.channels_last)
    seen = {}
    handle = None
    if image is not None:
        first_conv_filters(model)  # refuses a model without a first convolution
        handle = model[0].register_forward_hook(lambda _m, _i, out: seen.setdefault("maps", out))
    try:
        outputs = model(inputs)
    finally:
        if handle is not None:
            handle.remove()
    if predicted is None:
        predicted = cfg.loss.predict(outputs).reshape(-1).long().numpy()
    if image is None:
        return predicted, None
    probs = cfg.loss.positive_probability(outputs[at : at + 1]).float()
    if probs.ndim == 1:
        probs = torch.stack([1 - probs, probs], dim=1)
    confidence, chosen = probs[0].max(dim=0)
    maps = FeatureMaps(
        image,
        inputs[at].contiguous().numpy().copy(),
        seen["maps"][at].contiguous().float().numpy().copy(),
        int(data.y_val[image]),
        int(chosen),
        float(confidence),
    )
    return predicted.astype(np.int64), maps


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, C) int64 counts: row = true class, column = predicted class."""
    counts = np.bincount(labels * n_classes + predicted, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


@dataclass(frozen=True)
class FeatureMaps:
    """One validation image through the first convolution, channel by channel."""

    index: int  # which validation image
    image: np.ndarray  # (C, H, W) float32 as the model receives it
    maps: np.ndarray  # (16, H, W) float32: layer 0 (Conv2d)'s output, before its ReLU
    label: int
    predicted: int
    confidence: float  # the predicted class's probability


def first_conv_filters(model: nn.Module) -> np.ndarray:
    """The first Conv2d's weight, (out channels, in channels, kH, kW) float32."""
    conv = model[0]
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"Layer 0 is {type(conv).__name__}, not a convolution.")
    return conv.weight.detach().float().numpy().copy()


@torch.no_grad()
def feature_maps(cfg: RunConfig, model: nn.Module, data: Dataset, index: int) -> FeatureMaps:
    """Validation image ``index`` through the whole model; a hook keeps layer 0's output."""
    first_conv_filters(model)  # refuses a model without a first convolution
    x = _as_fed(cfg, data.x_val[index : index + 1])  # (1, C, H, W)
    seen = {}
    handle = model[0].register_forward_hook(lambda _m, _i, out: seen.setdefault("maps", out))
    model.eval()
    try:
        outputs = model(x)
    finally:
        handle.remove()
    probs = cfg.loss.positive_probability(outputs).float()
    if probs.ndim == 1:
        probs = torch.stack([1 - probs, probs], dim=1)
    confidence, predicted = probs[0].max(dim=0)
    return FeatureMaps(
        index,
        x[0].numpy().copy(),
        seen["maps"][0].float().numpy().copy(),
        int(data.y_val[index]),
        int(predicted),
        float(confidence),
    )


def class_names(dataset: str, n_classes: int) -> list[str]:
    """What each class index means: shapes are shape + 3 × colour (data._shapes)."""
    if dataset == "shapes":
        return [
            f"{('red', 'blue')[c // 3]} {('square', 'disc', 'cross')[c % 3]}"
            for c in range(n_classes)
        ]
    return [str(c) for c in range(n_classes)]


# The images' views of the newest snapshots: a page ticks every 2 s whether or not a new
# snapshot came (a paused or finished run sends none), and predicting 300 shapes with the CNN
# is most of such a tick. Keyed by the snapshot's step and identity (the snapshot kept with
# it: the worker sends a new object for every one), the data's, and the image chosen.
_SEEN: OrderedDict[tuple, tuple] = OrderedDict()
_SEEN_LOCK = threading.Lock()


def _images(cfg, model, data, weights, image):
    if weights is None:  # the untrained model is rebuilt fresh each time: not kept
        return _predict(cfg, model, data, image)
    key = (weights.step, id(weights), id(data), image, _shape_key(cfg, data), cfg.train.pitfalls)
    with _SEEN_LOCK:
        kept = _SEEN.get(key)
        if kept is not None and kept[0] is weights and kept[1] is data:
            _SEEN.move_to_end(key)
            return kept[2]
    result = _predict(cfg, model, data, image, weights.val_predicted)
    with _SEEN_LOCK:
        _SEEN[key] = (weights, data, result)
        while len(_SEEN) > IDLE_SHAPES:
            _SEEN.popitem(last=False)
    return result


# --- every view at once, as the page draws them -------------------------------------------------


@dataclass(frozen=True)
class Views:
    """Every view of one model at one moment; None where the data has no such view."""

    step: int
    epoch: int
    layers: dict[str, str]  # layers with parameters: '0' -> '0 Linear'
    network: Network | None  # points (2-D or 1-D) with an MLP
    flow: Flow | None  # a run with a parameter history
    first_batch: dict[str, float] | None  # before Train: ‖g‖ per layer on one batch
    confusion: np.ndarray | None  # image classification: (C, C) on the validation set
    filters: np.ndarray | None  # CNN: (16, C, 3, 3)
    maps: FeatureMaps | None  # CNN: one validation image after the first convolution


def compute(
    cfg: RunConfig,
    data: Dataset,
    grid: SurfaceGrid | None,
    weights: ParamSnapshot | None = None,
    history: list[ParamSnapshot] | None = None,
    image: int = 0,
    flow_cache: dict | None = None,
) -> Views:
    """The page's views from copies: ``weights`` (None: the untrained model) and ``history``
    (None: before Train, when one batch's gradients stand in for the gradient flow);
    ``flow_cache``: a dict kept per run between ticks (see ``gradient_flow``)."""
    with one_thread(), _loaded(cfg, data, weights) as model:
        names = _layer_names(cfg, data, model)
        cnn = isinstance(model[0], nn.Conv2d)
        net = network(model, grid) if grid is not None else None
        flow = gradient_flow(history, names, flow_cache) if history is not None else None
        first = one_batch_grad_norms(cfg, data) if history is None else None
        confusion = filters = maps = None
        if data.x_val.ndim == 4 and data.n_classes:
            chosen = min(max(image, 0), len(data.x_val) - 1) if cnn else None
            predicted, maps = _images(cfg, model, data, weights, chosen)
            confusion = confusion_matrix(data.y_val, predicted, data.n_classes)
            if cnn:
                filters = first_conv_filters(model)
    step, epoch = (weights.step, weights.epoch) if weights is not None else (0, 0)
    return Views(step, epoch, names, net, flow, first, confusion, filters, maps)
