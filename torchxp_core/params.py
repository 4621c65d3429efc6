"""A model's parameters as tables and histories: what requires grad, what trains, what moved.

``preview`` builds exactly what the Training Lab would train (``training.prepare``), so the
parameter table, the graph and the optimizer's count shown before a run are the run's own.
A run's history comes from its ``ParamSnapshot`` per epoch (``metrics.py``).
"""

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
from torch import nn

from torchxp_core.config import RunConfig, layers_with_parameters
from torchxp_core.data import DATASETS, Dataset
from torchxp_core.graph import Graph, model_tensors, trace
from torchxp_core.metrics import ParamSnapshot
from torchxp_core.models import trainable_layers
from torchxp_core.training import Setup, prepare

PREVIEW_BATCH = 8  # samples in the one forward/backward pass of the preview


@dataclass
class Preview:
    """The model, loss and optimizer a run would start with, and one batch to feed it."""

    setup: Setup
    inputs: torch.Tensor  # (B, ...) the first PREVIEW_BATCH training samples
    targets: torch.Tensor


def preview(cfg: RunConfig, batch: int = PREVIEW_BATCH) -> Preview:
    setup = prepare(cfg)
    inputs, targets = setup.tensors["train"]
    return Preview(setup, inputs[:batch], targets[:batch])


def live_preview(
    cfg: RunConfig, data: Dataset, weights: ParamSnapshot, batch: int = PREVIEW_BATCH
) -> Preview:
    """A run's model at one moment, rebuilt in this process from the weights its worker sent.

    The run trains in another process, so this is a copy by construction: a forward/backward
    on it never touches the live weights, grads or BatchNorm statistics.
    """
    setup = prepare(cfg, data)
    state = {**weights.weights, **weights.buffers}
    setup.model.load_state_dict({name: torch.from_numpy(a) for name, a in state.items()})
    inputs, targets = setup.tensors["train"]
    return Preview(setup, inputs[:batch], targets[:batch])


@dataclass
class ModelView:
    """A model to look at: its preview, the layers that can be frozen, and the frozen ones."""

    preview: Preview
    layers: list[str]
    frozen: list[str]


def lab_model(cfg: RunConfig, wanted_frozen) -> ModelView:
    """The model the Training Lab would build now, frozen as asked where those layers exist."""
    layers = list(layers_with_parameters(cfg.model, DATASETS[cfg.data.dataset].image))
    frozen = [name for name in wanted_frozen if name in layers]
    pv = preview(replace(cfg, model=replace(cfg.model, frozen=tuple(frozen))))
    return ModelView(pv, layers, frozen)


def run_model(cfg: RunConfig, data: Dataset, weights: ParamSnapshot) -> ModelView:
    """A run's model at one moment (``live_preview``); its frozen layers are the run's own."""
    pv = live_preview(cfg, data, weights)
    return ModelView(pv, trainable_layers(pv.setup.model), list(cfg.model.frozen))


def one_backward(model: nn.Module, loss: torch.Tensor) -> None:
    """Clear the grads, then backward once: each parameter that requires grad gets .grad."""
    model.zero_grad(set_to_none=True)
    loss.backward()


def layer_of(name: str) -> str:
    """'3.weight' -> '3': the Sequential index that owns a parameter."""
    return name.rsplit(".", 1)[0]


def param_table(model: nn.Module) -> list[dict]:
    """One row per parameter, read off the parameter itself; grad norm as .grad stands now."""
    rows = []
    for name, p in model.named_parameters():
        grad = p.grad
        rows.append(
            {
                "name": name,
                "layer": f"{layer_of(name)} ({type(model.get_submodule(layer_of(name))).__name__})",
                "shape": "×".join(map(str, p.shape)),
                "dtype": str(p.dtype).removeprefix("torch."),
                "device": str(p.device),
                "requires_grad": p.requires_grad,
                "is_leaf": p.is_leaf,
                "numel": p.numel(),
                "grad norm": None if grad is None else float(grad.detach().norm()),
            }
        )
    return rows


@dataclass(frozen=True)
class Counts:
    tensors: int
    elements: int


def count(params) -> Counts:
    params = list(params)
    return Counts(len(params), sum(p.numel() for p in params))


def optimizer_count(optimizer: torch.optim.Optimizer) -> Counts:
    """How many tensors and numbers the optimizer will actually update."""
    return count(p for group in optimizer.param_groups for p in group["params"])


def norm_history(history: list[ParamSnapshot]) -> pd.DataFrame:
    """Long table: epoch, step, parameter, layer, weight L2 norm, grad L2 norm (NaN: no grad)."""
    rows = []
    for snap in history:
        for name, w in snap.weights.items():
            g = snap.grads.get(name)
            rows.append(
                {
                    "epoch": snap.epoch,
                    "step": snap.step,
                    "param": name,
                    "layer": layer_of(name),
                    "weight_norm": float(np.linalg.norm(w)),
                    "grad_norm": float("nan") if g is None else float(np.linalg.norm(g)),
                }
            )
    columns = ["epoch", "step", "param", "layer", "weight_norm", "grad_norm"]
    return pd.DataFrame(rows, columns=columns)


def weight_change(history: list[ParamSnapshot], frozen: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per layer, how far its weights moved from the first snapshot (epoch 0: the initial
    weights) to the last.

    ``max |Δw|`` is exact: a frozen layer shows 0.0, not a small number.
    """
    columns = ["layer", "frozen", "params", "max |Δw|", "‖Δw‖", "‖Δw‖ / ‖w₀‖"]
    if not history:
        return pd.DataFrame(columns=columns)
    first, last = history[0], history[-1]
    rows = []
    for layer in dict.fromkeys(layer_of(n) for n in first.weights):
        names = [n for n in first.weights if layer_of(n) == layer]
        delta = np.concatenate([(last.weights[n] - first.weights[n]).ravel() for n in names])
        start = np.concatenate([first.weights[n].ravel() for n in names])
        start_norm = float(np.linalg.norm(start))
        rows.append(
            {
                "layer": layer,
                "frozen": layer in frozen,
                "params": ", ".join(names),
                "max |Δw|": float(np.abs(delta).max()) if delta.size else 0.0,
                "‖Δw‖": float(np.linalg.norm(delta)),
                "‖Δw‖ / ‖w₀‖": float(np.linalg.norm(delta)) / start_norm if start_norm else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def values_at(history: list[ParamSnapshot], epoch: int, name: str, kind: str) -> np.ndarray | None:
    """Flattened weights or grads of one parameter at one epoch; None if never filled."""
    if kind not in ("weights", "grads"):
        raise ValueError(f"kind must be 'weights' or 'grads', not {kind!r}.")
    snap = next((s for s in history if s.epoch == epoch), None)
    if snap is None:
        raise ValueError(f"No parameters were recorded at epoch {epoch}.")
    if name not in snap.weights:
        raise ValueError(f"This run has no parameter '{name}'.")
    values = getattr(snap, kind)[name]
    return None if values is None else values.ravel()


@dataclass
class Inspection:
    """One forward, loss and backward of a preview: the graph and what the parameters say."""

    graph: Graph  # traced before backward frees the saved tensors
    loss: float
    total: Counts  # parameters in the model
    trains: Counts  # parameters the optimizer updates
    table: list[dict]  # param_table after the backward


def inspect(pv: Preview) -> Inspection:
    model = pv.setup.model
    tensors, named = model_tensors(model, pv.setup.criterion, pv.inputs, pv.targets)
    traced = trace(tensors, named)
    one_backward(model, tensors["loss"])
    return Inspection(
        traced,
        tensors["loss"].item(),
        count(model.parameters()),
        optimizer_count(pv.setup.optimizer),
        param_table(model),
    )
