"""What BCELoss, BCEWithLogitsLoss and MSELoss accept, tried on the installed torch.

The note says BCE wants input.shape == target.shape and MSE must have equal shapes; it says
nothing of dtypes. Each loss meets the same cases: float targets of each width, int64 targets,
a float64 input against a float32 target, and an (N, 1) input against an (N,) target. torch
decides each row: its loss and dtype, its warning, or its error, verbatim.
"""

import pandas as pd
import torch

from torchxp_core.loss_lab.attempt import attempt
from torchxp_core.losses import LOSSES

N = 4
# (input dtype, input shape, target dtype, target shape), the first the contract's own case
CASES = (
    (torch.float32, (N, 1), torch.float32, (N, 1)),
    (torch.float32, (N, 1), torch.float64, (N, 1)),
    (torch.float64, (N, 1), torch.float32, (N, 1)),
    (torch.float32, (N, 1), torch.int64, (N, 1)),
    (torch.float32, (N, 1), torch.float32, (N,)),
)
LOSS_NAMES = ("bce", "bce_with_logits", "mse")


def _describe(dtype: torch.dtype, shape: tuple[int, ...]) -> str:
    dims = ", ".join("N" if d == N else str(d) for d in shape)
    return f"{str(dtype).removeprefix('torch.')} ({dims}{',' if len(shape) == 1 else ''})"


def inputs(name: str, dtype: torch.dtype, shape: tuple[int, ...]) -> torch.Tensor:
    """A fixed batch the loss can take: probabilities in (0, 1) for BCELoss, else logits/values."""
    x = torch.tensor([-1.5, 0.3, 2.0, -0.2], dtype=torch.float64).reshape(shape)
    return (torch.sigmoid(x) if LOSSES[name].sigmoid_output else x).to(dtype)


def targets(dtype: torch.dtype, shape: tuple[int, ...]) -> torch.Tensor:
    return torch.tensor([0, 1, 1, 0]).reshape(shape).to(dtype)


def dtype_shape_table(name: str) -> pd.DataFrame:
    """Each case through the loss ``name``; columns input, target, accepted, warned, torch says."""
    if name not in LOSS_NAMES:
        raise ValueError(f"Pick one of {', '.join(LOSS_NAMES)}, not {name!r}.")
    loss = LOSSES[name].factory()
    rows = []
    for in_dtype, in_shape, t_dtype, t_shape in CASES:
        x, t = inputs(name, in_dtype, in_shape), targets(t_dtype, t_shape)
        got = attempt(lambda x=x, t=t: loss(x, t))
        if got.ok:
            said = f"loss = {got.value.item():.6f} ({str(got.value.dtype).removeprefix('torch.')})"
            if got.warnings:
                said += "; warning: " + " ".join(got.warnings)
        else:
            said = got.error
        rows.append(
            {
                "input": _describe(in_dtype, in_shape),
                "target": _describe(t_dtype, t_shape),
                "accepted": got.ok,
                "warned": bool(got.warnings),
                "torch says": said,
            }
        )
    return pd.DataFrame(rows)


def summary(name: str, table: pd.DataFrame) -> str:
    """``dtype_shape_table``'s outcome in a sentence: what the loss refused, what it warned on."""
    label = LOSSES[name].label
    refused = table[~table["accepted"]]
    warned = table[table["accepted"] & table["warned"]]
    parts = [f"input {r.input} against target {r.target}" for r in refused.itertuples()]
    said = f"{label} refused {'; '.join(parts)}" if parts else f"{label} refused none of these"
    if len(warned):
        said += "; it warned, and went on, for " + "; ".join(
            f"input {r.input} against target {r.target}" for r in warned.itertuples()
        )
    return said + "."
