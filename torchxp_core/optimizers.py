"""The optimizer catalogue: torch.optim classes with the settings the sidebar exposes."""

from collections.abc import Iterable

import torch

OPTIMIZERS: dict[str, str] = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}
MOMENTUM_OPTIMIZERS = ("sgd", "rmsprop")  # the ones whose constructor takes momentum


def check_name(name: str) -> None:
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer '{name}'. Choose one of: {', '.join(OPTIMIZERS)}.")


def build_optimizer(
    name: str,
    params: Iterable[torch.nn.Parameter],
    lr: float,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> torch.optim.Optimizer:
    """An optimizer over ``params``; momentum and Nesterov only where torch supports them."""
    check_name(name)
    cls = getattr(torch.optim, OPTIMIZERS[name])
    kwargs: dict = {"lr": lr, "weight_decay": weight_decay}
    if name == "sgd":
        kwargs.update(momentum=momentum, nesterov=nesterov)
    elif name == "rmsprop":
        kwargs.update(momentum=momentum)
    return cls(params, **kwargs)
