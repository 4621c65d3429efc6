"""nn.MSELoss (lesson #8): input.shape must equal target.shape, and what torch does when it does
not: (N, 1) against (N,) broadcasts to (N, N) and torch warns (2.13), so the loss is wrong. A
torch that refuses the mismatch instead is reported as such: the loss is then None and its
error is kept."""

from dataclasses import dataclass

import numpy as np
import torch

from torchxp_core.loss_lab.attempt import agreeing_digits, attempt
from torchxp_core.losses import LOSSES


@dataclass(frozen=True)
class Broadcast:
    """One batch scored twice: with the shape bug and with the fix."""

    prediction: np.ndarray  # (N,) the model's outputs, as values
    target: np.ndarray  # (N,)
    input_shape: tuple[int, ...]  # (N, 1): a model with one output unit
    target_shape: tuple[int, ...]  # (N,): labels straight from the dataset
    diff_shape: tuple[int, ...]  # shape of input − target after broadcasting: (N, N)
    squared: np.ndarray  # (N, N) (input_i − target_j)², what the wrong loss averages
    wrong: float | None  # MSELoss()(input (N, 1), target (N,)); None if torch refused
    wrong_formula: float  # mean over i, j of (x_i − t_j)²: what broadcasting computes
    warnings: list[str]  # what torch warned, verbatim
    wrong_error: str | None  # torch's error, if it refused the mismatched shapes
    right: float  # MSELoss()(input.squeeze(1), target): the diagonal only
    right_formula: float  # mean over i of (x_i − t_i)²
    fix_warnings: list[str]  # empty: the fixed call is quiet


def broadcast(n: int = 8, noise: float = 0.3, seed: int = 0) -> Broadcast:
    """A nearly right model on n targets: the (N, 1) vs (N,) bug against the fixed shapes."""
    if n < 2:
        raise ValueError(f"The demo needs at least 2 samples to broadcast, got {n}.")
    gen = torch.Generator().manual_seed(seed)
    target = torch.randn(n, generator=gen)  # (N,)
    prediction = (target + noise * torch.randn(n, generator=gen)).reshape(n, 1)  # (N, 1)
    mse = LOSSES["mse"].factory()
    wrong = attempt(lambda: mse(prediction, target))
    right = attempt(lambda: mse(prediction.squeeze(1), target))
    x = prediction[:, 0].double().numpy()
    t = target.double().numpy()
    squared = (x[:, None] - t[None, :]) ** 2  # (N, N): row i = prediction i, column j = target j
    return Broadcast(
        x,
        t,
        tuple(prediction.shape),
        tuple(target.shape),
        tuple(torch.broadcast_shapes(prediction.shape, target.shape)),
        squared,
        wrong.value.item() if wrong.ok else None,
        float(squared.mean()),
        wrong.warnings,
        wrong.error,
        right.value.item(),
        float(np.diag(squared).mean()),
        right.warnings,
    )


def broken_code(bc: Broadcast) -> str:
    return (
        f"pred.shape   = {bc.input_shape}\ntarget.shape = {bc.target_shape}\n"
        f"(pred - target).shape = {bc.diff_shape}\nnn.MSELoss()(pred, target)"
    )


def fixed_code(bc: Broadcast) -> str:
    return (
        f"pred.squeeze(1).shape = {(len(bc.target),)}\ntarget.shape          = {bc.target_shape}\n"
        "nn.MSELoss()(pred.squeeze(1), target)"
    )


def broadcast_note(bc: Broadcast) -> str:
    """What torch did with the mismatched shapes (``bc.wrong`` is not None)."""
    cells = bc.diff_shape[0] * bc.diff_shape[1]
    mean_of_all = agreeing_digits(bc.wrong, bc.wrong_formula) >= 5
    return (
        f"torch {'warned, then' if bc.warnings else 'said nothing and'} went on: "
        f"{bc.input_shape} against {bc.target_shape} broadcast to {bc.diff_shape}, "
        + (
            f"and the loss is the mean of all {cells} cells below."
            if mean_of_all
            else f"and the loss is not the mean of the {cells} cells below."
        )
    )
