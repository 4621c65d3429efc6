"""nn.CrossEntropyLoss (lesson #5): logits → softmax → loss, CE = NLL(log_softmax), temperature,
the target contract tried live (dtypes, out-of-range classes, probability targets), and why
one-hot + MSE is a poor classification loss."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from torchxp_core.loss_lab.attempt import agreeing_digits, attempt
from torchxp_core.losses import LOSSES


def _ce(**kwargs) -> torch.nn.Module:
    return LOSSES["cross_entropy"].factory(**kwargs)


def check_target(target: int, n_classes: int) -> None:
    """A ValueError in words, quoting torch's own refusal, if target is not in [0, C − 1]."""
    if 0 <= target < n_classes:
        return
    said = attempt(lambda: _ce()(torch.zeros(1, n_classes), torch.tensor([target])))
    raise ValueError(
        f"The target class must be between 0 and {n_classes - 1} for {n_classes} classes, "
        f"got {target}. torch said: {said.error or 'nothing (it accepted it)'}"
    )


@dataclass(frozen=True)
class Softmax:
    """One sample's logits through CrossEntropyLoss, every step computed by torch."""

    logits: np.ndarray  # (C,) as typed, before temperature
    scaled: np.ndarray  # (C,) logits / T, what the loss sees
    probs: np.ndarray  # (C,) softmax(scaled)
    target: int
    temperature: float
    ce: float  # nn.CrossEntropyLoss()(scaled, target)
    nll: float  # nn.NLLLoss on F.log_softmax(scaled): the same number
    formula: float  # −z_t + log Σ_k e^{z_k}, in numpy float64
    grad: np.ndarray  # (C,) dCE/dz from autograd (z = scaled logits)
    formula_grad: np.ndarray  # softmax(z) − onehot(t)


def softmax_loss(logits: np.ndarray, target: int, temperature: float = 1.0) -> Softmax:
    """CE for one row of logits (float64), with NLL(log_softmax) and the closed form beside it."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 1 or len(logits) < 2:
        raise ValueError("Cross-entropy needs at least two logits, one per class.")
    if not np.isfinite(logits).all():
        raise ValueError("Every logit must be a finite number: fill in the empty cells.")
    if temperature <= 0:
        raise ValueError(f"The temperature must be above 0, got {temperature:g}.")
    check_target(target, len(logits))
    z = torch.tensor(logits / temperature).reshape(1, -1).requires_grad_()  # (1, C)
    t = torch.tensor([target])  # (1,) int64
    ce = _ce()(z, t)
    ce.backward()
    with torch.no_grad():
        nll = torch.nn.NLLLoss()(F.log_softmax(z, dim=1), t)
        probs = torch.softmax(z, dim=1)[0].numpy()
    zs = logits / temperature
    m = zs.max()
    formula = -zs[target] + m + np.log(np.exp(zs - m).sum())  # log-sum-exp, shifted for safety
    onehot = np.eye(len(logits))[target]
    p_np = np.exp(zs - m) / np.exp(zs - m).sum()
    return Softmax(
        logits,
        zs,
        probs,
        target,
        temperature,
        ce.item(),
        nll.item(),
        float(formula),
        z.grad[0].numpy(),
        p_np - onehot,
    )


def temperature_sweep(logits: np.ndarray, target: int, n: int = 121) -> pd.DataFrame:
    """Softmax probabilities and the loss as T runs over 0.1 .. 10 (log-spaced).

    Columns: T, loss, and p0 .. p{C−1}. Small T sharpens towards argmax, large T flattens to 1/C.
    """
    check_target(target, len(logits))
    temps = np.logspace(-1, 1, n)
    z = torch.tensor(np.asarray(logits, dtype=np.float64)).reshape(1, -1) / torch.tensor(
        temps
    ).reshape(-1, 1)  # (n, C): one row per temperature
    with torch.no_grad():
        probs = torch.softmax(z, dim=1).numpy()
        loss = _ce(reduction="none")(z, torch.full((n,), target)).numpy()
    frame = pd.DataFrame({"T": temps, "loss": loss})
    for k in range(probs.shape[1]):
        frame[f"p{k}"] = probs[:, k]
    return frame


LABEL_DTYPES = (
    torch.int64,
    torch.int32,
    torch.int16,
    torch.int8,
    torch.uint8,
    torch.bool,
    torch.float32,
    torch.float64,
)


def label_dtype_table(logits=None, labels=(0, 2, 1, 2), device: str = "cpu") -> pd.DataFrame:
    """Class-index labels of shape (N,) in each dtype through CrossEntropyLoss, on this torch.

    ``logits``: (N, C), used as float32; by default N samples of 3 classes drawn with seed 0.
    Columns: label dtype, accepted, loss, torch says (its error verbatim, or "").
    """
    if logits is None:
        logits = torch.randn(len(labels), 3, generator=torch.Generator().manual_seed(0))
    x = torch.as_tensor(np.asarray(logits, dtype=np.float32)).reshape(len(labels), -1).to(device)
    y = torch.tensor(list(labels), device=device)
    rows = []
    for dtype in LABEL_DTYPES:
        got = attempt(lambda dtype=dtype: _ce()(x, y.to(dtype)))
        rows.append(
            {
                "label dtype": str(dtype).removeprefix("torch."),
                "accepted": got.ok,
                "loss": got.value.item() if got.ok else None,
                "torch says": got.error or "",
            }
        )
    return pd.DataFrame(rows)


def out_of_range(n_classes: int) -> pd.DataFrame:
    """What torch does with targets C, −1 and −100 (the default ignore_index) for C classes."""
    x = torch.zeros(2, n_classes)
    rows = []
    for bad in (n_classes, -1, -100):
        got = attempt(lambda bad=bad: _ce()(x, torch.tensor([0, bad])))
        rows.append(
            {
                "target": f"[0, {bad}]",
                "accepted": got.ok,
                "result": f"loss = {got.value.item():.6f}" if got.ok else got.error,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ProbabilityTargets:
    """Class indices with label_smoothing against float (1, C) probability targets."""

    q: np.ndarray  # (C,) the probabilities torch reads: (1 − ε)·onehot + ε / C
    index_loss: float  # CrossEntropyLoss(label_smoothing=ε)(z, t)
    probability_loss: float  # CrossEntropyLoss()(z, q)
    formula: float  # −Σ_k q_k log softmax(z)_k
    long_probabilities_error: str | None  # torch's message for an int64 (1, C) one-hot


def probability_targets(logits: np.ndarray, target: int, smoothing: float) -> ProbabilityTargets:
    """The same loss three ways: smoothed class index, float probabilities, the formula."""
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0 and 1, got {smoothing:g}.")
    logits = np.asarray(logits, dtype=np.float64)
    n_classes = len(logits)
    check_target(target, n_classes)
    z = torch.tensor(logits).reshape(1, -1)
    t = torch.tensor([target])
    q = (1 - smoothing) * F.one_hot(t, n_classes).double() + smoothing / n_classes  # (1, C)
    index_loss = _ce(label_smoothing=smoothing)(z, t).item()
    prob_loss = _ce()(z, q).item()
    log_p = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
    formula = float(-(q[0].numpy() * log_p).sum())
    long_try = attempt(lambda: _ce()(z, F.one_hot(t, n_classes)))  # int64 one-hot
    return ProbabilityTargets(q[0].numpy(), index_loss, prob_loss, formula, long_try.error)


def ce_vs_mse_gradient(n_classes: int = 3, n: int = 241) -> pd.DataFrame:
    """dL/dz_t for the right class's logit z_t, others at 0, as z_t runs from 8 down to −8.

    At z_t = −8 the model is confidently wrong (p_t ≈ 0). CE's gradient is p_t − 1 → −1: a
    strong push. One-hot + MSE on the softmax (mean over C) has dL/dz_t = p_t·(g_t − Σ p_k g_k)
    with g = 2(p − onehot)/C, which carries a factor p_t → 0: it stops learning.
    Columns: z_t, p_t, loss ("CrossEntropyLoss" or "MSELoss on softmax"), torch, formula.
    """
    zt = torch.linspace(8, -8, n, dtype=torch.float64)
    logits = torch.zeros(n, n_classes, dtype=torch.float64)
    logits[:, 0] = zt  # class 0 is the right class
    logits.requires_grad_()
    target = torch.zeros(n, dtype=torch.int64)
    onehot = F.one_hot(target, n_classes).double()
    # sum over samples so each row's gradient is that sample's own
    ce_grad = torch.autograd.grad(_ce(reduction="sum")(logits, target), logits)[0][:, 0]
    p = torch.softmax(logits, dim=1)
    mse_rows = LOSSES["mse"].factory(reduction="none")(p, onehot).mean(dim=1)  # (n,)
    mse_grad = torch.autograd.grad(mse_rows.sum(), logits)[0][:, 0]
    pn = p.detach().numpy()
    g = 2 * (pn - onehot.numpy()) / n_classes
    mse_formula = pn[:, 0] * (g[:, 0] - (pn * g).sum(axis=1))
    common = {"z_t": zt.numpy(), "p_t": pn[:, 0]}
    return pd.concat(
        [
            pd.DataFrame(
                {
                    **common,
                    "loss": "CrossEntropyLoss",
                    "torch": ce_grad.numpy(),
                    "formula": pn[:, 0] - 1,
                }
            ),
            pd.DataFrame(
                {
                    **common,
                    "loss": "MSELoss on softmax",
                    "torch": mse_grad.numpy(),
                    "formula": mse_formula,
                }
            ),
        ],
        ignore_index=True,
    )


@dataclass(frozen=True)
class Ignored:
    """A target equal to CrossEntropyLoss's ignore_index, against the batch without that sample."""

    ignore_index: int  # the default, read off a fresh nn.CrossEntropyLoss
    with_ignored: float  # loss of [sample 0, sample 1 with target ignore_index]
    first_alone: float  # loss of sample 0 alone
    skipped: bool  # the two are equal: the sample is left out of the mean, not an error


def ignored_sample(n_classes: int) -> Ignored:
    """Two samples, the second labelled with ignore_index's default; the first one alone."""
    loss = _ce()
    z = torch.tensor([[2.0] + [0.0] * (n_classes - 1), [0.0] * n_classes])  # (2, C)
    got = attempt(lambda: loss(z, torch.tensor([0, loss.ignore_index])))
    alone = loss(z[:1], torch.tensor([0])).item()
    with_ignored = got.value.item() if got.ok else float("nan")
    return Ignored(loss.ignore_index, with_ignored, alone, got.ok and with_ignored == alone)


def ignored_note(ig: Ignored) -> str:
    """What ignore_index's default did to a batch with one sample labelled with it."""
    return f"{ig.ignore_index} is `ignore_index`'s default: " + (
        f"the loss with that sample ({ig.with_ignored:.6f}) equals the loss of the other "
        "sample alone, so it is skipped, not an error."
        if ig.skipped
        else f"the loss with it is {ig.with_ignored:.6f}, without it {ig.first_alone:.6f}."
    )


def probability_note(pt: ProbabilityTargets) -> str:
    """Did torch read the float (1, C) target as class probabilities?"""
    if agreeing_digits(pt.probability_loss, pt.formula) >= 10:
        return "torch read the float target as class probabilities: its loss equals −Σ q_k log p_k."
    return "torch's loss for the float target is not −Σ q_k log p_k here."


def smoothing_latex(pt: ProbabilityTargets) -> str:
    """The smoothed target q in LaTeX, its values to 4 decimals."""
    values = ", ".join(f"{v:.4f}" for v in pt.q)
    return rf"q = (1-\varepsilon)\,\mathrm{{onehot}}(t) + \varepsilon / C = [{values}]"
