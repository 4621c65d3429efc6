"""Lesson #3, train and eval modes: ``model.train()`` and ``model.eval()`` change Dropout and
BatchNorm, and nothing else in a plain model.

The same input through a Dropout + BatchNorm model in both modes; the dropout mask and its
1/(1-p) scaling; BatchNorm's batch statistics against its running ones; and how the running
statistics drift when a validation pass runs in train mode by mistake.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn


def _check_p(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"Dropout probability must be at least 0 and below 1, not {p}.")


def small_model(p: float = 0.5, device: str = "cpu", seed: int = 0) -> nn.Sequential:
    """Linear(4,16) → BatchNorm1d → ReLU → Dropout(p) → Linear(16,1), its running stats warmed
    up on 20 training batches so that eval mode has something to use."""
    _check_p(p)
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(p), nn.Linear(16, 1)
    ).to(device)
    model.train()
    with torch.no_grad():
        for _ in range(20):
            model(torch.randn(32, 4, device=device))  # (32, 4)
    return model


def outputs_by_mode(p: float = 0.5, calls: int = 5, samples: int = 6, device: str = "cpu"):
    """The same ``samples`` inputs through the model ``calls`` times in train and in eval mode.

    Returns a frame with columns mode, call, sample, output. No gradients are involved; the
    running stats are restored after the train-mode calls so both modes see the same model.
    """
    if not (1 <= calls <= 50 and 2 <= samples <= 64):
        raise ValueError("Use 1-50 calls and 2-64 samples (BatchNorm needs 2 or more).")
    model = small_model(p, device)
    torch.manual_seed(1)
    x = torch.randn(samples, 4, device=device)  # (samples, 4), fixed input
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    rows = []
    with torch.no_grad():
        for mode in ("train", "eval"):
            model.load_state_dict(saved)
            model.train(mode == "train")
            for call in range(calls):
                out = model(x).squeeze(1).cpu().numpy()  # (samples,)
                rows += [
                    {"mode": mode, "call": call, "sample": i, "output": float(v)}
                    for i, v in enumerate(out)
                ]
    return pd.DataFrame(rows)


def call_spread(outputs: pd.DataFrame) -> dict[str, float]:
    """Per mode, the largest (max - min) over calls of one sample's output: 0 means repeatable."""
    per_sample = outputs.groupby(["mode", "sample"])["output"].agg(lambda s: s.max() - s.min())
    return per_sample.groupby("mode").max().to_dict()


@dataclass
class DropoutMask:
    """Dropout(p) applied to a tensor of ones: what survives, and by how much it is scaled."""

    p: float
    train_output: np.ndarray  # (rows, cols): 0 where dropped, the scale where kept
    eval_output: np.ndarray  # (rows, cols): all ones, eval mode passes input through
    kept_fraction: float
    kept_values: np.ndarray  # distinct non-zero values in train mode
    expected_scale: float  # 1 / (1 - p)

    @property
    def eval_is_identity(self) -> bool:
        """Eval mode returned its input (ones) unchanged."""
        return bool(np.all(self.eval_output == 1.0))


def dropout_mask(p: float = 0.5, rows: int = 8, cols: int = 24, device: str = "cpu", seed: int = 0):
    """Why the kept units are scaled: so the expected output equals the input in both modes."""
    _check_p(p)
    torch.manual_seed(seed)
    drop = nn.Dropout(p)
    ones = torch.ones(rows, cols, device=device)
    train_out = drop.train()(ones).cpu().numpy()
    eval_out = drop.eval()(ones).cpu().numpy()
    kept = train_out[train_out != 0]
    return DropoutMask(
        p, train_out, eval_out, float(kept.size / train_out.size), np.unique(kept), 1.0 / (1.0 - p)
    )


def batchnorm_stats(device: str = "cpu", samples: int = 16, shift: float = 2.0) -> pd.DataFrame:
    """One BatchNorm1d(3) whose running stats were learnt on N(0, 1) data, given a batch from
    N(shift, 2²). Per feature: the batch's mean/var, the running mean/var, and the mean of the
    output in each mode (train normalises by the batch, eval by the running stats)."""
    torch.manual_seed(0)
    bn = nn.BatchNorm1d(3).to(device)
    bn.train()
    with torch.no_grad():
        for _ in range(50):
            bn(torch.randn(64, 3, device=device))
        x = shift + 2.0 * torch.randn(samples, 3, device=device)  # (samples, 3)
        running_mean, running_var = bn.running_mean.clone(), bn.running_var.clone()
        eval_out = bn.eval()(x)
        train_out = bn.train()(x)
    return pd.DataFrame(
        {
            "feature": range(3),
            "batch mean": x.mean(0).cpu().numpy(),
            "batch var": x.var(0, unbiased=False).cpu().numpy(),
            "running mean": running_mean.cpu().numpy(),
            "running var": running_var.cpu().numpy(),
            "output mean (train mode)": train_out.mean(0).cpu().numpy(),
            "output mean (eval mode)": eval_out.mean(0).cpu().numpy(),
        }
    )


def batchnorm_uses(device: str = "cpu", samples: int = 16, shift: float = 2.0) -> dict[str, str]:
    """Which statistics BatchNorm1d normalised with in each mode, found by recomputing its output
    from each candidate: "batch" (this batch's mean and biased variance), "running", or "other".

    The layer is the one ``batchnorm_stats`` builds (same seed), so the page's table and this
    answer describe the same call.
    """
    torch.manual_seed(0)
    bn = nn.BatchNorm1d(3).to(device)
    with torch.no_grad():
        for _ in range(50):
            bn(torch.randn(64, 3, device=device))
        x = shift + 2.0 * torch.randn(samples, 3, device=device)  # (samples, 3)
        candidates = {
            "running": (bn.running_mean.clone(), bn.running_var.clone()),
            "batch": (x.mean(0), x.var(0, unbiased=False)),
        }
        outputs = {"eval": bn.eval()(x), "train": bn.train()(x)}

    def normalised(mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
        return (x - mean) / torch.sqrt(var + bn.eps) * bn.weight + bn.bias

    found = {}
    for mode, out in outputs.items():
        found[mode] = next(
            (
                name
                for name, (mean, var) in candidates.items()
                if torch.allclose(out, normalised(mean, var), atol=1e-5, rtol=1e-4)
            ),
            "other",
        )
    return found


def drift_summary(drift: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Per mode, feature 0's running mean before the first and after the last validation pass."""
    return {
        mode: (float(part["running_mean"].iloc[0]), float(part["running_mean"].iloc[-1]))
        for mode, part in drift.sort_values("pass").groupby("mode", sort=False)
    }


def batchnorm_momentum() -> float:
    """The momentum a fresh BatchNorm layer uses for its running statistics."""
    return nn.BatchNorm1d(1).momentum


def running_stats_drift(passes: int = 20, shift: float = 3.0, device: str = "cpu") -> pd.DataFrame:
    """Validation batches from N(shift, 1) through a BatchNorm trained on N(0, 1), ``passes``
    times in eval mode (right) and in train mode (the forgotten ``model.eval()``).

    Returns columns pass, mode, running_mean, running_var (feature 0), starting at pass 0:
    eval leaves the stats alone; train mode drags them toward the validation data, even under
    ``torch.no_grad()``, because the update is not a gradient.
    """
    if not 1 <= passes <= 500:
        raise ValueError(f"Passes must be between 1 and 500, not {passes}.")
    rows = []
    for mode in ("eval", "train"):
        torch.manual_seed(0)
        bn = nn.BatchNorm1d(1).to(device)
        with torch.no_grad():
            for _ in range(50):
                bn(torch.randn(64, 1, device=device))  # training data: N(0, 1)
            bn.train(mode == "train")
            for i in range(passes + 1):
                if i:
                    bn(shift + torch.randn(64, 1, device=device))  # a validation batch
                rows.append(
                    {
                        "pass": i,
                        "mode": mode,
                        "running_mean": bn.running_mean[0].item(),
                        "running_var": bn.running_var[0].item(),
                    }
                )
    return pd.DataFrame(rows)


def dropout_note(mask: DropoutMask) -> str:
    """What Dropout kept in train mode and scaled it by, against 1/(1−p), and what eval did."""
    scales = ", ".join(f"{v:.4g}" for v in mask.kept_values) or "nothing"
    if mask.eval_is_identity:
        eval_did = "returned the input unchanged."
    else:
        eval_did = "changed the input too (see the right panel)."
    return (
        f"In train mode torch kept **{mask.kept_fraction:.0%}** of the units at p = {mask.p:g} "
        f"and scaled the kept ones by **{scales}**; 1/(1−p) = {mask.expected_scale:.4g}, the "
        f"scale that keeps the expected output equal to the input. Eval mode {eval_did}"
    )


USED = {"batch": "**this batch's** mean and variance", "running": "the **running** ones"}


def batchnorm_note(uses: dict[str, str]) -> str:
    """``batchnorm_uses``' answer in a sentence, leading into the table of output means."""
    return (
        f"Recomputed from each candidate, torch's output in train mode used "
        f"{USED.get(uses['train'], 'neither')}, and in eval mode "
        f"{USED.get(uses['eval'], 'neither')}. Mean of BatchNorm's output on this batch:"
    )


def drift_note(drift: pd.DataFrame) -> str:
    """How far validation passes moved the running mean in each mode, and why train mode's
    move matters even under no_grad."""
    moved = drift_summary(drift)
    (eval_start, eval_end), (train_start, train_end) = moved["eval"], moved["train"]
    why = (
        ": the running statistics are buffers, not gradients, so no_grad does not protect them, "
        "and the model then meets the training data with statistics learnt on validation data. "
        if train_end != train_start
        else ". "
    )
    return (
        "Every validation pass here ran under `torch.no_grad()`. In eval mode the running mean "
        f"went from {eval_start:.3g} to {eval_end:.3g}; in train mode from {train_start:.3g} to "
        f"{train_end:.3g}{why}BatchNorm's momentum is {batchnorm_momentum():g}: "
        "running ← (1 − m)·running + m·batch."
    )
