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
# Optimizers with a fused kernel in torch (one kernel for every parameter's update instead
# of several small ops per parameter): Adam measured 1.3x faster per step on MLP 2-64-64-2.
FUSED_OPTIMIZERS = ("sgd", "adam", "adamw", "adagrad")


def fused(name: str, device: str) -> bool:
    """Whether torch has a fused update for this optimizer on this device type."""
    from torch.utils._foreach_utils import _get_fused_kernels_supported_devices

    kind = torch.device(device).type
    return name in FUSED_OPTIMIZERS and kind in _get_fused_kernels_supported_devices()


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
    device: str = "cpu",
) -> torch.optim.Optimizer:
    """An optimizer over ``params``; momentum and Nesterov only where torch supports them,
    and torch's fused kernel wherever it has one for this optimizer and device."""
    return getattr(torch.optim, OPTIMIZERS[name])(
        params, **optimizer_kwargs(name, lr, weight_decay, momentum, nesterov, device)
    )


def optimizer_kwargs(
    name: str, lr: float, weight_decay: float, momentum: float, nesterov: bool, device: str
) -> dict:
    """The constructor's arguments: the code panel and exported scripts show these too."""
    check_name(name)
    kwargs: dict = {"lr": lr, "weight_decay": weight_decay}
    if name == "sgd":
        kwargs.update(momentum=momentum, nesterov=nesterov)
    elif name == "rmsprop":
        kwargs.update(momentum=momentum)
    if fused(name, device):
        kwargs["fused"] = True
    return kwargs
