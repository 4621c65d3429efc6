"""A run's model, loss and optimizer as the calls that build them, for the page and the script.

The app builds them with models.build_model and optimizers.build_optimizer; these lines are
the same calls written out (the model's repr is the constructor of each layer), so the code
panel can show what the run trains with and the exported script can build it without torchxp.
"""

import torch
from torch import nn

from torchxp_core.config import RunConfig
from torchxp_core.models import build_model
from torchxp_core.optimizers import OPTIMIZERS, optimizer_kwargs
from torchxp_core.run_rng import uses_rng


def model_of(cfg: RunConfig) -> nn.Sequential:
    """The run's model built on the meta device: no memory, no weights, torch's RNG untouched."""
    shape = cfg.data.input_shape()
    with torch.device("meta"):
        return build_model(cfg.model, shape, cfg.data.class_count(), cfg.loss)


def optimizer_call(cfg: RunConfig) -> str:
    """The optimizer's constructor with the arguments the app passes (fused where it can)."""
    t = cfg.train
    arguments = optimizer_kwargs(
        t.optimizer, t.lr, t.weight_decay, t.momentum, t.nesterov, t.device
    )
    kwargs = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"torch.optim.{OPTIMIZERS[t.optimizer]}(trainable, {kwargs})"


def setup_code(cfg: RunConfig) -> str:
    """Seed, model, loss and optimizer of the run, as lines of Python (SEED, DEVICE named)."""
    model = model_of(cfg)
    lines = [
        "torch.manual_seed(SEED)  # the run's initial weights",
        "model = nn.Sequential(",
        *(f"    nn.{child!r}," for child in model.children()),
        ").to(DEVICE)",
    ]
    if "logits_into_bce" in cfg.train.pitfalls:
        lines.append("model = model[:-1]  # PITFALL logits_into_bce: the final Sigmoid left out")
    for layer in cfg.model.frozen:
        lines.append(f"getattr(model, {layer!r}).requires_grad_(False)  # a frozen layer")
    lines += [
        f"criterion = nn.{cfg.loss.factory.__name__}()",
        "trainable = [p for p in model.parameters() if p.requires_grad]  # frozen layers stay out",
        f"optimizer = {optimizer_call(cfg)}",
    ]
    return "\n".join(lines)


def draws_random(cfg: RunConfig) -> bool:
    """Does the model's forward draw random numbers (Dropout)?"""
    return uses_rng(model_of(cfg))
