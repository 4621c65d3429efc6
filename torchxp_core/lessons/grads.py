"""Lesson #4, gradients: ``backward()`` adds into ``.grad``, so zero it every batch; and only
track the graph when you will call backward.

Backward N times without zeroing against the single gradient; gradient accumulation over k
micro-batches done on purpose; what ``grad_fn`` looks like under each grad mode; and what a
validation pass without a graph saves, in time and in the bytes autograd would have kept.
"""

import inspect
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from torchxp_core.graph import read_grad
from torchxp_core.lessons.timing import measure_many


def _tiny_problem(device: str, samples: int = 32, seed: int = 0):
    """Linear(3, 1) and a fixed regression batch: x (samples, 3), y (samples, 1)."""
    torch.manual_seed(seed)
    model = nn.Linear(3, 1).to(device)
    x = torch.randn(samples, 3, device=device)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]], device=device) + 0.1 * torch.randn(
        samples, 1, device=device
    )
    return model, x, y


def accumulate_without_zeroing(steps: int = 10, device: str = "cpu") -> pd.DataFrame:
    """The same batch's backward ``steps`` times, without and with ``zero_grad()`` in between.

    Columns: step (1..steps), without_zero_grad and with_zero_grad (the weight[0, 0] gradient
    after that step), and step_times_single (step × the single gradient, the line it follows).
    No optimizer step is taken, so only the accumulation differs.
    """
    if not 1 <= steps <= 200:
        raise ValueError(f"Steps must be between 1 and 200, not {steps}.")
    model, x, y = _tiny_problem(device)
    criterion = nn.MSELoss()
    rows = []
    for zero in (False, True):
        model.zero_grad(set_to_none=True)
        for step in range(1, steps + 1):
            if zero:
                model.zero_grad()
            criterion(model(x), y).backward()
            rows.append((zero, step, model.weight.grad[0, 0].item()))
    frame = pd.DataFrame(rows, columns=["zeroed", "step", "grad"])
    out = frame.pivot(index="step", columns="zeroed", values="grad").reset_index()
    out.columns = ["step", "without_zero_grad", "with_zero_grad"]
    out["step_times_single"] = out["step"] * out["with_zero_grad"].iloc[0]
    return out


@dataclass
class Accumulation:
    """Full-batch gradient against k micro-batches accumulated on purpose (flattened params)."""

    k: int
    full_batch: np.ndarray  # (n_params,) gradient of the mean loss over the whole batch
    accumulated: np.ndarray  # (n_params,) sum over micro-batches of grad(loss_i / k)
    undivided: np.ndarray  # (n_params,) the same without "/ k": k times too large
    max_abs_diff: float  # largest |full_batch - accumulated|
    spacing: float  # float32's gap between neighbours at the largest |full_batch| entry

    @property
    def undivided_ratio(self) -> float:
        """How many times the full-batch gradient the undivided sum is (median over params)."""
        return float(np.median(self.undivided / self.full_batch))


def accumulation_done_right(k: int = 4, samples: int = 32, device: str = "cpu") -> Accumulation:
    """Split one batch into k equal micro-batches, backward each ``loss / k`` without zeroing."""
    if k < 1 or samples % k:
        raise ValueError(f"k must be a divisor of the batch size {samples}, and {k} is not.")
    model, x, y = _tiny_problem(device, samples)
    criterion = nn.MSELoss()

    def flat_grad() -> np.ndarray:
        return torch.cat([p.grad.flatten() for p in model.parameters()]).cpu().numpy().copy()

    model.zero_grad()
    criterion(model(x), y).backward()
    full = flat_grad()
    grads = {}
    for divide in (True, False):
        model.zero_grad()
        for xb, yb in zip(x.chunk(k), y.chunk(k), strict=True):
            loss = criterion(model(xb), yb)
            (loss / k if divide else loss).backward()  # accumulates into .grad
        grads[divide] = flat_grad()
    diff = float(np.abs(full - grads[True]).max())
    spacing = float(np.spacing(np.abs(full).max().astype(np.float32)))
    return Accumulation(k, full, grads[True], grads[False], diff, spacing)


def grad_modes(device: str = "cpu") -> pd.DataFrame:
    """``y = model(x)`` under each grad mode: requires_grad, grad_fn, and what backward says.

    One row calls ``model.eval()`` and nothing else, to show that eval mode alone still builds
    the graph: it switches Dropout and BatchNorm, not autograd.
    """
    torch.manual_seed(0)
    model = nn.Linear(3, 1).to(device)
    x = torch.randn(4, 3, device=device)
    phase = "val"
    contexts = {
        "default (grad enabled)": torch.enable_grad,
        "model.eval() only (grad enabled)": torch.enable_grad,
        "torch.no_grad()": torch.no_grad,
        "torch.set_grad_enabled(False)": lambda: torch.set_grad_enabled(False),
        "torch.set_grad_enabled(phase == 'train'), phase='val'": (
            lambda: torch.set_grad_enabled(phase == "train")
        ),
        "torch.inference_mode()": torch.inference_mode,
    }
    rows = []
    for name, context in contexts.items():
        model.train(not name.startswith("model.eval()"))  # eval() changes layers, not autograd
        with context():
            y = model(x)
        try:
            y.sum().backward()
            backward = "ran: .grad filled"
        except RuntimeError as exc:
            backward = str(exc)
        model.zero_grad(set_to_none=True)
        grad_fn = type(y.grad_fn).__name__ if y.grad_fn is not None else "None"
        rows.append(
            {
                "context": name,
                "requires_grad": y.requires_grad,
                "grad_fn": grad_fn,
                "backward()": backward,
            }
        )
    return pd.DataFrame(rows)


def _grad_text(grad: torch.Tensor | None) -> str:
    return "None" if grad is None else np.array2string(grad.detach().cpu().numpy().ravel())


def zero_grad_effects(device: str = "cpu") -> pd.DataFrame:
    """What ``.grad`` holds after each way of zeroing it, and each method's default.

    One backward fills the weight's gradient, then the call under test runs. Columns: call,
    set_to_none default (read from the method's signature), weight.grad after.
    """
    calls = {
        "optimizer.zero_grad()": lambda model, opt: opt.zero_grad(),
        "model.zero_grad()": lambda model, opt: model.zero_grad(),
        "optimizer.zero_grad(set_to_none=False)": (
            lambda model, opt: opt.zero_grad(set_to_none=False)
        ),
    }
    defaults = {
        "optimizer": inspect.signature(torch.optim.Optimizer.zero_grad).parameters,
        "model": inspect.signature(nn.Module.zero_grad).parameters,
    }
    rows = []
    for call, run in calls.items():
        model, x, y = _tiny_problem(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        nn.MSELoss()(model(x), y).backward()
        before = model.weight.grad.clone()
        run(model, opt)
        owner = defaults[call.split(".")[0]]
        default = owner["set_to_none"].default if "set_to_none" in owner else "no such argument"
        rows.append(
            {
                "call": call,
                "set_to_none default": str(default),
                "weight.grad before": _grad_text(before),
                "weight.grad after": _grad_text(model.weight.grad),
            }
        )
    return pd.DataFrame(rows)


def moved_leaf(device: str = "cpu") -> pd.DataFrame:
    """A leaf that requires grad, moved with ``.double()`` / ``.to(...)``: the result is a new,
    non-leaf tensor, so backward fills the original's ``.grad`` and never the moved one's, and
    an optimizer refuses it. The fixes make the tensor in its final dtype or device first.

    Columns: how it was made, is_leaf, grad_fn, .grad after backward, torch's warning on reading
    it, and what ``torch.optim.SGD([w], lr=0.1)`` says.
    """
    makers = {
        "w = torch.randn(3, requires_grad=True)": lambda: torch.randn(3, requires_grad=True),
        "w = torch.randn(3, requires_grad=True).double()": (
            lambda: torch.randn(3, requires_grad=True).double()
        ),
        f"w = torch.randn(3, requires_grad=True).to('{device}', torch.float64)": (
            lambda: torch.randn(3, requires_grad=True).to(device, torch.float64)
        ),
        f"w = torch.randn(3, dtype=torch.float64, device='{device}', requires_grad=True)": (
            lambda: torch.randn(3, dtype=torch.float64, device=device, requires_grad=True)
        ),
        "w = torch.randn(3).double().requires_grad_()": (
            lambda: torch.randn(3).double().requires_grad_()
        ),
    }
    rows = []
    for expr, make in makers.items():
        torch.manual_seed(0)
        w = make()
        (2 * w).sum().backward()
        grad, warning = read_grad(w)
        try:
            torch.optim.SGD([w], lr=0.1)
            optimizer = "accepted"
        except ValueError as exc:
            optimizer = str(exc)
        rows.append(
            {
                "w made by": expr,
                "is_leaf": w.is_leaf,
                "grad_fn": "None" if w.grad_fn is None else type(w.grad_fn).__name__,
                "w.grad after backward": _grad_text(grad),
                "torch's warning": warning,
                "torch.optim.SGD([w])": optimizer,
            }
        )
    return pd.DataFrame(rows)


@dataclass
class ValidationCost:
    """A validation forward pass with a graph and without one."""

    times: pd.DataFrame  # columns: mode, repeat, ms
    saved: pd.DataFrame  # per mode: tensors saved for backward, activation and parameter bytes
    cuda_peak_bytes: dict[str, int] | None  # peak extra CUDA memory while the output lives


def _saved_bytes(model: nn.Module, x: torch.Tensor, grad: bool) -> dict:
    """Count what autograd saves for backward during one forward, by saved_tensors_hooks.

    Each saved tensor's whole storage counts once. Storages that belong to a parameter are
    counted apart: they are in memory anyway, so only activations are memory the graph adds.
    """
    param_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}
    count = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal count
        count += 1
        storage = t.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), torch.set_grad_enabled(grad):
        model(x)
    params = sum(n for ptr, n in seen.items() if ptr in param_storages)
    acts = sum(n for ptr, n in seen.items() if ptr not in param_storages)
    return {"saved tensors": count, "activation bytes": acts, "parameter bytes": params}


def validation_cost(
    device: str = "cpu", batch: int = 512, width: int = 512, repeats: int = 15
) -> ValidationCost:
    """Forward a (batch, 64) validation batch through a 64-width-width-10 MLP, graph on and off."""
    if not (1 <= batch <= 16384 and 8 <= width <= 4096):
        raise ValueError("Use a batch of 1-16384 and a width of 8-4096.")
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10)
    ).to(device)
    model.eval()
    x = torch.randn(batch, 64, device=device)
    modes = {"with graph (grad enabled)": True, "no graph (grad disabled)": False}

    def forward(grad: bool):
        with torch.set_grad_enabled(grad):
            return model(x)

    fns = {name: (lambda grad=grad: forward(grad)) for name, grad in modes.items()}
    seconds = measure_many(fns, device, repeats=repeats)
    rows = [
        {"mode": name, "repeat": i, "ms": s * 1e3}
        for name, times in seconds.items()
        for i, s in enumerate(times)
    ]
    saved = [{"mode": name, **_saved_bytes(model, x, grad)} for name, grad in modes.items()]
    peak = None
    if device.startswith("cuda"):
        peak = {}
        dev = torch.device(device)
        for name, grad in modes.items():
            torch.cuda.synchronize(dev)
            torch.cuda.reset_peak_memory_stats(dev)
            base = torch.cuda.memory_allocated(dev)
            with torch.set_grad_enabled(grad):
                out = model(x)  # keep the output, and with it the graph, alive
            torch.cuda.synchronize(dev)
            peak[name] = torch.cuda.max_memory_allocated(dev) - base
            del out
    return ValidationCost(pd.DataFrame(rows), pd.DataFrame(saved), peak)


def accumulation_note(acc: Accumulation) -> str:
    """How close k divided micro-batches came to the full batch, and how far undivided ones."""
    return (
        f"Largest |full batch − accumulated| = {acc.max_abs_diff:.2g}; float32's step at the "
        f"largest gradient entry is {acc.spacing:.2g}. Without dividing each micro-batch loss by "
        f"k the sum is **{acc.undivided_ratio:.4g}×** the full-batch gradient (k = {acc.k}); "
        "accumulating on purpose means zeroing after the step, not before each micro-batch."
    )


def zero_grad_note(effects: pd.DataFrame) -> str:
    """What ``optimizer.zero_grad()`` left in ``.grad`` (a ``zero_grad_effects`` table)."""
    left = effects.set_index("call")["weight.grad after"]["optimizer.zero_grad()"]
    why = (
        ": it sets gradients to None by default, not to zeros; the next backward then writes "
        "a fresh tensor instead of adding. Code that reads `.grad` between the two must "
        "expect None, or pass `set_to_none=False`."
        if left == "None"
        else "."
    )
    return f"`optimizer.zero_grad()` left `.grad` as **{left}**{why}"


def eval_only_note(modes: pd.DataFrame) -> str:
    """Whether ``model.eval()`` alone built a graph (a ``grad_modes`` table)."""
    row = modes.set_index("context").loc["model.eval() only (grad enabled)"]
    if not row["requires_grad"]:
        return "`model.eval()` alone built no graph here."
    return (
        f"`model.eval()` alone still built a graph (`grad_fn` = `{row['grad_fn']}`): eval mode "
        "switches Dropout and BatchNorm, not autograd, so validation also needs "
        "`torch.no_grad()` or `set_grad_enabled(False)`."
    )


def moved_leaf_note(leaves: pd.DataFrame) -> str:
    """What became of the tensors that are no longer leaves (a ``moved_leaf`` table); '' if
    every one is still a leaf."""
    lost = leaves[~leaves["is_leaf"]]
    if not len(lost):
        return ""
    first = lost.iloc[0]
    warned, refused = first["torch's warning"], first["torch.optim.SGD([w])"]
    return (
        f"{len(lost)} of these are not leaves (`grad_fn` = `{first['grad_fn']}`): backward left "
        f"their `.grad` {first['w.grad after backward']}, torch warned *{warned}*, and the "
        f"optimizer said *{refused}*. Make the tensor in its final dtype and device, then ask "
        "for grad."
    )


def cuda_peak_note(cost: ValidationCost) -> str:
    """The CUDA peak of each mode in MiB; '' off CUDA."""
    if not cost.cuda_peak_bytes:
        return ""
    return "CUDA peak memory above the start while the output lives: " + ", ".join(
        f"{mode}: **{peak / 2**20:.2f} MiB**" for mode, peak in cost.cuda_peak_bytes.items()
    )
