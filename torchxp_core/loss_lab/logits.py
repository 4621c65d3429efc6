"""nn.BCEWithLogitsLoss (lesson #7): sigmoid-then-BCELoss against the fused loss over a wide
sweep of the logit z, in float32 and float64, and what pos_weight does."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from torchxp_core.loss_lab.attempt import agreeing_digits
from torchxp_core.loss_lab.bce import DTYPES, log_clamp
from torchxp_core.losses import LOSSES

# The two-step loss "parts" from the exact one once |loss − exact| > 1e-3 · max(exact, 1): a
# relative error for losses above 1, an absolute one below (a loss of 1e-6 off by 1e-7 is no
# lesson; float32 rounds small losses to multiples of ~1e-6 either way).
PART_TOL = 1e-3


def exact(z: np.ndarray, y: float, pos_weight: float = 1.0) -> np.ndarray:
    """The closed form in float64, stable for any z: p·y·softplus(−z) + (1 − y)·softplus(z).

    softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^−|z|) never overflows.
    """
    z = np.asarray(z, dtype=np.float64)

    def softplus(v: np.ndarray) -> np.ndarray:
        return np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))

    return pos_weight * y * softplus(-z) + (1 - y) * softplus(z)


def sweep(y: float, z_max: float = 120.0, n: int = 2401) -> pd.DataFrame:
    """Loss over z ∈ [−z_max, z_max]: two-step and fused, per dtype, and the exact value.

    Long format for plotting: columns z, dtype, method ("sigmoid + BCELoss" or
    "BCEWithLogitsLoss"), loss, exact, error (|loss − exact| / max(exact, 1)).
    """
    z64 = np.round(np.linspace(-z_max, z_max, n), 9)  # 0.1 steps print as 0.1, not 0.1000…02
    ref = exact(z64, y)
    frames = []
    for name, dtype in DTYPES.items():
        z = torch.tensor(z64, dtype=dtype)
        target = torch.full_like(z, y)
        with torch.no_grad():
            two_step = LOSSES["bce"].factory(reduction="none")(torch.sigmoid(z), target)
            fused = LOSSES["bce_with_logits"].factory(reduction="none")(z, target)
        for method, loss in (("sigmoid + BCELoss", two_step), ("BCEWithLogitsLoss", fused)):
            values = loss.double().numpy()
            error = np.abs(values - ref) / np.maximum(ref, 1.0)
            frames.append(
                pd.DataFrame(
                    {"z": z64, "dtype": name, "method": method, "loss": values, "exact": ref}
                ).assign(error=error)
            )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Parting:
    """Where sigmoid + BCELoss first leaves the exact loss, for one dtype."""

    dtype: str
    z: float | None  # the z of smallest |z| with error > PART_TOL; None if never
    loss: float | None  # what the two-step version returned there
    exact: float | None
    fused_max_error: float  # the fused loss's worst error over the whole sweep


def partings(frame: pd.DataFrame) -> list[Parting]:
    """For each dtype, the smallest |z| where the two-step loss parts (the sweep's data)."""
    out = []
    for dtype, group in frame.groupby("dtype", sort=False):
        two = group[group["method"] == "sigmoid + BCELoss"]
        fused = group[group["method"] == "BCEWithLogitsLoss"]
        bad = two[two["error"] > PART_TOL]
        if len(bad):
            first = bad.loc[bad["z"].abs().idxmin()]
            z, loss, ex = float(first["z"]), float(first["loss"]), float(first["exact"])
        else:
            z = loss = ex = None
        out.append(Parting(str(dtype), z, loss, ex, float(fused["error"].max())))
    return out


def pos_weight_curves(pos_weight: float, z_max: float = 6.0, n: int = 241) -> pd.DataFrame:
    """BCEWithLogitsLoss(pos_weight=p) over z for y = 1 and y = 0, with p = 1 for reference.

    pos_weight multiplies only the y = 1 term, so positives count p times as much; p = n_neg /
    n_pos balances rare positives. Columns: z, y, pos_weight, torch, formula.
    """
    z = torch.linspace(-z_max, z_max, n, dtype=torch.float64)
    rows = []
    for p in dict.fromkeys((1.0, float(pos_weight))):  # p = 1 once if the slider says 1
        loss = LOSSES["bce_with_logits"].factory(
            reduction="none", pos_weight=torch.tensor([p], dtype=torch.float64)
        )
        for y in (1.0, 0.0):
            with torch.no_grad():
                values = loss(z, torch.full_like(z, y)).numpy()
            rows.append(
                pd.DataFrame(
                    {
                        "z": z.numpy(),
                        "y": y,
                        "pos_weight": p,
                        "torch": values,
                        "formula": exact(z.numpy(), y, p),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


@dataclass(frozen=True)
class Saturation:
    """One confidently wrong logit in one dtype: σ(z) as torch stores it, and both losses."""

    dtype: str
    z: float
    sigmoid: float  # torch.sigmoid(z) in this dtype
    sigmoid_is_exact_label: bool  # σ(z) rounded to exactly 0 or 1, the wrong label's value
    two_step: float  # BCELoss(sigmoid(z), y)
    fused: float  # BCEWithLogitsLoss(z, y)
    exact: float  # the closed form in float64
    clamp_hit: bool  # the two-step loss is BCELoss's clamp value, not the true loss


def saturation(y: float, z_max: float = 120.0) -> list[Saturation]:
    """At the sweep's far wrong end (z = −z_max for y = 1, +z_max for y = 0), per dtype."""
    z_val = -z_max if y >= 0.5 else z_max
    out = []
    for name, dtype in DTYPES.items():
        z = torch.tensor([z_val], dtype=dtype)
        target = torch.full_like(z, y)
        with torch.no_grad():
            s = torch.sigmoid(z)
            two = LOSSES["bce"].factory()(s, target).item()
            fused = LOSSES["bce_with_logits"].factory()(z, target).item()
        sv = s.item()
        out.append(
            Saturation(
                dtype=name,
                z=z_val,
                sigmoid=sv,
                sigmoid_is_exact_label=sv in (0.0, 1.0),
                two_step=two,
                fused=fused,
                exact=float(exact(np.array([z_val]), y)[0]),
                clamp_hit=two == -log_clamp(name),
            )
        )
    return out


def pos_weight_ratios(frame: pd.DataFrame) -> dict[float, float]:
    """From ``pos_weight_curves``: per label y, the loss with the chosen p over the loss with
    p = 1 (median over z). pos_weight scales a branch exactly when its ratio is p."""
    chosen = frame["pos_weight"].iloc[-1]
    ratios = {}
    for y, part in frame.groupby("y"):
        base = part[part["pos_weight"] == 1.0]["torch"].to_numpy()
        weighted = part[part["pos_weight"] == chosen]["torch"].to_numpy()
        ratios[float(y)] = float(np.median(weighted / base))
    return ratios


def saturation_note(y: float, sats: list[Saturation]) -> str:
    """A confidently wrong logit in each dtype, as Markdown: the two-step loss against the fused."""
    lines = []
    for sat in sats:
        rounded = "rounds to exactly" if sat.sigmoid_is_exact_label else "is"
        lines.append(
            f"- **{sat.dtype}**, z = {sat.z:g}: σ(z) {rounded} {sat.sigmoid:.4g}; "
            f"`nn.Sigmoid()` + `nn.BCELoss()` returns **{sat.two_step:.6g}**"
            + (" (BCELoss's clamp)" if sat.clamp_hit else "")
            + f", `BCEWithLogitsLoss` **{sat.fused:.6g}**, the exact loss {sat.exact:.6g}."
        )
    fused_exact = all(agreeing_digits(sat.fused, sat.exact) >= 6 for sat in sats)
    lines.append(
        "\n`BCEWithLogitsLoss` is given z itself, not σ(z), and "
        + ("matched the exact loss in every dtype." if fused_exact else "missed the exact loss.")
    )
    return f"A confidently wrong logit with y = {y:g}, tried now:\n" + "\n".join(lines)


def parting_note(part: Parting) -> str:
    """Where sigmoid + BCELoss leaves the exact loss in one dtype (``part.z`` is not None)."""
    return (
        f"**{part.dtype}**: sigmoid + BCELoss parts at z = {part.z:g}, returning "
        f"{part.loss:.6g} where the exact loss is {part.exact:.6g}. The fused loss's "
        f"worst error over the sweep: {part.fused_max_error:.1e}."
    )


def pos_weight_note(pos_weight: float, ratio: dict[float, float]) -> str:
    return (
        f"With `pos_weight` = {pos_weight:g}, torch's loss at y = 1 is **{ratio[1.0]:.4g}×** the "
        f"unweighted one and at y = 0 **{ratio[0.0]:.4g}×**: each positive counts p times. "
        "With rare positives, p = negatives / positives balances the classes."
    )
