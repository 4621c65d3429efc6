"""nn.BCELoss (lesson #6): the two branches of the note's J(θ), torch's log clamp, the batch
reduction and the gradient, each computed by torch beside the closed form."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from torchxp_core.loss_lab.attempt import agreeing_digits, attempt
from torchxp_core.losses import LOSSES

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _bce(reduction: str = "none") -> torch.nn.Module:
    return LOSSES["bce"].factory(reduction=reduction)


def log_clamp(dtype: str = "float32") -> float:
    """Where BCELoss clamps log h, measured: −BCELoss(h = 0, y = 1), the loss log 0 would make ∞.

    The documentation says −100; this is what the installed torch does.
    """
    return -_bce("mean")(
        torch.zeros(1, dtype=DTYPES[dtype]), torch.ones(1, dtype=DTYPES[dtype])
    ).item()


def formula(h: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The note's per-sample J: −[y log h + (1 − y) log(1 − h)], in float64, no clamp.

    The y·log h term is dropped where y = 0 (and its mirror where y = 1), so h = 0 with y = 0
    gives 0, not 0·(−∞) = nan, matching the limits the note lists.
    """
    h = np.asarray(h, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, y * np.log(h), 0.0)
        neg = np.where(y < 1, (1 - y) * np.log1p(-h), 0.0)
    return -(pos + neg)


def curves(n: int = 400, dtype: str = "float64", y: float | None = None) -> pd.DataFrame:
    """Both branches over h ∈ (0, 1): torch's BCELoss with y = 1 and y = 0, and −log h, −log(1−h).

    h is spaced densely near 0 and 1 (a logistic grid) so the climb towards ∞ is drawn smoothly.
    Columns: h, torch_y1, torch_y0, formula_y1, formula_y0 (float64 arrays); with a soft label
    y strictly between 0 and 1, also torch_y and formula_y for that y.
    """
    h = 1 / (1 + np.exp(-np.linspace(-7, 7, n)))  # 9e-4 .. 1 - 9e-4
    ht = torch.tensor(h, dtype=DTYPES[dtype])
    with torch.no_grad():
        t1 = _bce()(ht, torch.ones_like(ht)).double().numpy()
        t0 = _bce()(ht, torch.zeros_like(ht)).double().numpy()
    h_used = ht.double().numpy()  # the h torch actually saw, after rounding to dtype
    frame = pd.DataFrame(
        {
            "h": h_used,
            "torch_y1": t1,
            "torch_y0": t0,
            "formula_y1": formula(h_used, np.ones(n)),
            "formula_y0": formula(h_used, np.zeros(n)),
        }
    )
    if y is not None and 0 < y < 1:
        with torch.no_grad():
            frame["torch_y"] = _bce()(ht, torch.full_like(ht, y)).double().numpy()
        frame["formula_y"] = formula(h_used, np.full(n, y))
    return frame


@dataclass(frozen=True)
class Point:
    """One (h, y) pair: torch's loss and gradient beside the formula's."""

    h: float
    y: float
    dtype: str
    torch_loss: float
    formula_loss: float  # may be inf where torch's clamp gives 100
    digits: int  # leading significant digits the two share
    clamped: bool  # torch's log clamp decided the value (−log h or −log(1−h) beyond the clamp)
    torch_grad: float  # dL/dh from autograd
    formula_grad: float  # −y/h + (1−y)/(1−h)


def point(h: float, y: float, dtype: str = "float32") -> Point:
    """BCELoss at one h and y, with autograd's dL/dh; raises ValueError outside [0, 1]."""
    for name, v in (("h", h), ("y", y)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"BCELoss needs {name} between 0 and 1, got {v:g}.")
    ht = torch.tensor([h], dtype=DTYPES[dtype], requires_grad=True)
    yt = torch.tensor([y], dtype=DTYPES[dtype])
    loss = _bce("mean")(ht, yt)
    loss.backward()
    f_loss = float(formula(np.array([ht.item()]), np.array([y]))[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        hv = np.float64(ht.item())
        f_grad = float(np.where(y > 0, -y / hv, 0.0) + np.where(y < 1, (1 - y) / (1 - hv), 0.0))
    t_loss = loss.item()
    clamped = not np.isfinite(f_loss) or f_loss > -log_clamp(dtype)
    return Point(
        float(hv),
        float(y),
        dtype,
        t_loss,
        f_loss,
        agreeing_digits(t_loss, f_loss),
        clamped,
        float(ht.grad.item()),
        f_grad,
    )


def clamp_table() -> pd.DataFrame:
    """y = 1 and h shrinking to 0: torch.log(h), the formula −log h, and BCELoss, per dtype.

    Where −log h passes 100 (h < e^−100 ≈ 3.7e−44) BCELoss stops at 100: the clamp, not ∞.
    """
    rows = []
    for dtype in DTYPES:
        for h in (1e-2, 1e-10, 1e-40, 1e-44, 1e-50, 0.0):
            ht = torch.tensor([h], dtype=DTYPES[dtype])
            seen = ht.item()  # 1e-50 is 0 in float32
            rows.append(
                {
                    "dtype": dtype,
                    "h asked": h,
                    "h stored": seen,
                    "torch.log(h)": torch.log(ht).item(),
                    "formula −log h": float(formula(np.array([seen]), np.array([1.0]))[0]),
                    "BCELoss(h, y=1)": _bce("mean")(ht, torch.ones_like(ht)).item(),
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Batch:
    """A batch through BCELoss with each reduction, and the formula's mean and sum."""

    per_sample: pd.DataFrame  # h, y, torch (reduction="none"), formula
    mean: float  # reduction="mean" (the default)
    total: float  # reduction="sum"
    formula_mean: float
    formula_sum: float


def batch(h: np.ndarray, y: np.ndarray) -> Batch:
    """Run BCELoss with every reduction; a ValueError quoting torch's own error if it refuses."""
    h = np.asarray(h, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(h) == 0:
        raise ValueError("The batch is empty: add at least one row with an h and a y.")
    if np.isnan(h).any() or np.isnan(y).any():
        raise ValueError("Every row needs both an h and a y: fill in the empty cells.")
    ht = torch.tensor(h, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    results = {r: attempt(lambda r=r: _bce(r)(ht, yt)) for r in ("none", "mean", "sum")}
    if not results["none"].ok:
        bad = next(
            (f"h = {v:g} in row {i}" for i, v in enumerate(h) if not 0 <= v <= 1),
            next((f"y = {v:g} in row {i}" for i, v in enumerate(y) if not 0 <= v <= 1), "a value"),
        )
        raise ValueError(
            f"BCELoss takes h and y between 0 and 1, but the table has {bad}. "
            f"torch said: {results['none'].error}"
        )
    f = formula(ht.double().numpy(), yt.double().numpy())
    frame = pd.DataFrame({"h": h, "y": y, "torch": results["none"].value.double().numpy()})
    frame["formula"] = f
    return Batch(
        frame, results["mean"].value.item(), results["sum"].value.item(), f.mean(), f.sum()
    )


def gradients(y: float, n: int = 400) -> pd.DataFrame:
    """dL/dh over h and dL/dz over z (h = sigmoid(z)), autograd beside the closed forms.

    Closed forms: dL/dh = −y/h + (1−y)/(1−h); through the sigmoid it collapses to σ(z) − y.
    Columns: h, torch_dh, formula_dh, z, torch_dz, formula_dz (float64).
    """
    h = torch.tensor(1 / (1 + np.exp(-np.linspace(-5, 5, n))), requires_grad=True)
    yt = torch.full((n,), float(y), dtype=torch.float64)
    _bce("sum")(h, yt).backward()  # sum: each sample's gradient is its own, not divided by n
    hv = h.detach().numpy()
    z = torch.linspace(-8, 8, n, dtype=torch.float64, requires_grad=True)
    _bce("sum")(torch.sigmoid(z), yt).backward()
    zv = z.detach().numpy()
    return pd.DataFrame(
        {
            "h": hv,
            "torch_dh": h.grad.numpy(),
            "formula_dh": -y / hv + (1 - y) / (1 - hv),
            "z": zv,
            "torch_dz": z.grad.numpy(),
            "formula_dz": 1 / (1 + np.exp(-zv)) - y,
        }
    )


def clamp_note(pt: Point) -> str:
    """What the clamp did at one point, when it decided the value."""
    clamp = log_clamp(pt.dtype)
    return (
        f"The formula says {pt.formula_loss:.4g}, torch says {pt.torch_loss:g}: BCELoss clamps "
        f"log h and log(1 − h) at {clamp:g}, so one sample costs at most {-clamp:g}, and "
        f"autograd's dL/dh here is {pt.torch_grad:.4g}"
        + (", finite. " if np.isfinite(pt.torch_grad) else ". ")
        + "The table below shows where the clamp starts."
    )


def gradient_note(pt: Point, grads: pd.DataFrame) -> str:
    """dL/dh at the point, and how bounded dL/dz is through a sigmoid (from ``gradients``)."""
    dz_gap = float(np.abs(grads["torch_dz"] - grads["formula_dz"]).max())
    return (
        f"At the sliders, autograd's **dL/dh = {pt.torch_grad:.6g}**, the closed form "
        f"−y/h + (1−y)/(1−h) = **{pt.formula_grad:.6g}**. Through a sigmoid, h = σ(z), "
        f"autograd's |dL/dz| is at most {grads['torch_dz'].abs().max():.4f} over "
        f"z ∈ [{grads['z'].min():g}, {grads['z'].max():g}] and matches σ(z) − y to "
        f"{dz_gap:.1e}: bounded, which is one reason to end on logits."
    )
