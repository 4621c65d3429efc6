"""A run's memory, estimated before it starts, and refused past a budget in one sentence.

The estimate counts what a run holds at its peak: the data (in the server and again in its
worker), the weights with their gradients and the optimizer's state, one batch's
activations (kept for backward), and the weight history the server keeps for the pages.
The model is built on torch's meta device: shapes only, no memory, no random numbers.
"""

import math
import os
from functools import lru_cache

import torch

from torchxp_core.config import RunConfig
from torchxp_core.metrics import MetricsLog
from torchxp_core.models import build_model

# What a run may take: a default that fits a laptop beside a browser; a setting for servers.
BUDGET = int(os.environ.get("TORCHXP_RUN_BUDGET_MB", "2048")) * 2**20
_FLOAT = 4  # bytes of a float32
# Tensors of optimizer state per parameter tensor (Adam keeps two moving averages).
_STATE = {"sgd": 1, "adam": 2, "adamw": 2, "rmsprop": 2, "adagrad": 1}


def _model_and_activations(cfg: RunConfig) -> tuple[int, int]:
    """(parameters, activation values of one training batch) of a meta-device model.

    Output shapes are worked out layer by layer, not by a meta forward pass: that first
    imports torch's reference kernels, seconds the lab's first page would wait for.
    """
    shape = cfg.data.input_shape()
    with torch.device("meta"):
        model = build_model(cfg.model, shape, cfg.data.class_count(), cfg.loss)
    values = 0
    for layer in model:
        shape = _output_shape(layer, shape)
        values += math.prod(shape)
    return sum(p.numel() for p in model.parameters()), values * cfg.train.batch_size


def _output_shape(layer: torch.nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """One sample's shape after ``layer`` (the layers build_model uses)."""
    if isinstance(layer, torch.nn.Linear):
        return (layer.out_features,)
    if isinstance(layer, torch.nn.Flatten):
        return (math.prod(shape),)
    if isinstance(layer, torch.nn.Conv2d):
        (kh, kw), (ph, pw), (sh, sw) = layer.kernel_size, layer.padding, layer.stride
        return (
            layer.out_channels,
            (shape[1] + 2 * ph - kh) // sh + 1,
            (shape[2] + 2 * pw - kw) // sw + 1,
        )
    if isinstance(layer, torch.nn.MaxPool2d):
        return (shape[0], shape[1] // layer.kernel_size, shape[2] // layer.kernel_size)
    return shape  # activations, BatchNorm, Dropout, Sigmoid keep the shape


def estimate(cfg: RunConfig) -> dict[str, int]:
    """Bytes by term, largest first."""
    samples = cfg.data.sample_count()
    features = math.prod(cfg.data.input_shape())
    params, activations = _model_and_activations(cfg)
    kept = min(cfg.train.epochs, MetricsLog.max_snapshots) + 1  # one weight snapshot an epoch
    if cfg.train.endless:
        kept = MetricsLog.max_snapshots + 1
    terms = {
        # The server's copy, the worker's, and the worker's shuffled copy of each epoch.
        "the data (in the server and in its worker)": 3 * samples * (features + 1) * _FLOAT,
        "the weights, their gradients and the optimizer's state": params
        * (2 + _STATE.get(cfg.train.optimizer, 2))
        * _FLOAT,
        "one batch's activations, kept for backward": 2 * activations * _FLOAT,
        f"the weight history the pages show ({kept} snapshots of weights and gradients)": kept
        * 2
        * params
        * _FLOAT,
    }
    return dict(sorted(terms.items(), key=lambda item: -item[1]))


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


@lru_cache(maxsize=64)  # the lab asks on every rerun; a config is immutable
def check(cfg: RunConfig, budget: int = BUDGET) -> str:
    """'' when the run fits the budget, else a sentence naming its biggest term."""
    terms = estimate(cfg)
    total = sum(terms.values())
    if total <= budget:
        return ""
    biggest, size = next(iter(terms.items()))
    return (
        f"This run would need about {_size(total)} of memory, more than the {_size(budget)} "
        f"a run may use here; the biggest part is {biggest}, {_size(size)}. Use fewer samples, "
        "smaller hidden layers, a smaller batch or fewer epochs."
    )
