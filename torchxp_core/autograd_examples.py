"""Ready autograd examples built from chosen numbers and requires_grad switches (lesson #10).

No user text is ever evaluated: each example is a fixed Python function whose source the page
shows (``source``), fed only floats and booleans. Every fact the page states (the table, the
error messages, the accumulated gradients) is read off the tensors torch actually built.
"""

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from torchxp_core.graph import Graph, read_grad, trace


@dataclass
class Built:
    """The tensors one example made, by variable name, and the one to call backward on."""

    tensors: dict[str, torch.Tensor]
    output: str
    error: str = ""  # torch's message when a step of the example itself failed
    backward_error: str = ""  # torch's message when backward failed
    backward_done: bool = False


def _scalar(value: float, requires_grad: bool) -> torch.Tensor:
    return torch.tensor(float(value), requires_grad=requires_grad)


def linear(v: dict, rg: dict, option: str) -> Built:
    """y = w * x + b, with the product kept as u so the intermediate shows up."""
    x = _scalar(v["x"], rg["x"])
    w = _scalar(v["w"], rg["w"])
    b = _scalar(v["b"], rg["b"])
    u = w * x  # an intermediate result: not a leaf
    y = u + b
    return Built({"x": x, "w": w, "b": b, "u": u, "y": y}, output="y")


def two_layer(v: dict, rg: dict, option: str) -> Built:
    """A 2-3-1 network on one sample: ReLU hidden layer, squared error against a target."""
    g = torch.Generator().manual_seed(int(v["seed"]))  # the weights' values
    x = torch.tensor(
        [[float(v["x1"]), float(v["x2"])]], requires_grad=rg["x"]
    )  # (1, 2): one sample
    W1 = torch.randn(3, 2, generator=g).requires_grad_(rg["W1"])
    b1 = torch.zeros(3).requires_grad_(rg["b1"])
    W2 = torch.randn(1, 3, generator=g).requires_grad_(rg["W2"])
    b2 = torch.zeros(1).requires_grad_(rg["b2"])
    target = torch.tensor([[float(v["target"])]])  # (1, 1); labels never need grad
    h = torch.relu(x @ W1.T + b1)  # (1, 3)
    y_hat = h @ W2.T + b2  # (1, 1)
    loss = ((y_hat - target) ** 2).mean()
    names = {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "target": target}
    return Built({**names, "h": h, "y_hat": y_hat, "loss": loss}, output="loss")


def cut(v: dict, rg: dict, option: str) -> Built:
    """y = c * v + h, where c is h cut off the graph by .detach() or torch.no_grad()."""
    x = _scalar(v["x"], rg["x"])
    w = _scalar(v["w"], rg["w"])
    k = _scalar(v["v"], rg["v"])
    h = w * x
    if option == "detach":
        c = h.detach()  # same value, no grad_fn: gradients stop here
    elif option == "no_grad":
        with torch.no_grad():
            c = w * x  # computed without recording: no grad_fn
    else:
        c = h  # no cut: both paths carry gradient back to w
    y = c * k + h
    return Built({"x": x, "w": w, "v": k, "h": h, "c": c, "y": y}, output="y")


def in_place(v: dict, rg: dict, option: str) -> Built:
    """s = sigmoid(w * x), with one in-place op that torch allows or refuses."""
    error = ""
    x = _scalar(v["x"], rg["x"])
    w = _scalar(v["w"], rg["w"])
    if option == "leaf":
        try:
            w.add_(v["k"])  # in place on a leaf that requires grad
        except RuntimeError as exc:
            error = str(exc)
    a = w * x
    if option == "intermediate":
        a.add_(v["k"])  # allowed: nothing saved a; a's grad_fn becomes AddBackward0
    s = torch.sigmoid(a)  # sigmoid saves its result s for backward
    if option == "saved":
        s.mul_(v["k"])  # allowed now, but changes the s that backward needs
    return Built({"x": x, "w": w, "a": a, "s": s}, output="s", error=error)


def retain(v: dict, rg: dict, option: str) -> Built:
    """y = (w * x + b) ** 2; h = w * x may keep its .grad with retain_grad()."""
    x = _scalar(v["x"], rg["x"])
    w = _scalar(v["w"], rg["w"])
    b = _scalar(v["b"], rg["b"])
    h = w * x
    if option == "retain" and h.requires_grad:
        h.retain_grad()  # keep .grad on this non-leaf after backward
    z = h + b
    y = z**2
    return Built({"x": x, "w": w, "b": b, "h": h, "z": z, "y": y}, output="y")


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    build: Callable[[dict, dict, str], Built]
    values: dict[str, float]  # name -> default value
    requires_grad: dict[str, bool]  # the switchable inputs -> default
    options: dict[str, str] = field(default_factory=dict)  # option key -> label
    integers: tuple[str, ...] = ()  # values that must be whole numbers (seeds)

    def source(self) -> str:
        """The code that runs, as the page shows it."""
        return inspect.getsource(self.build)


EXAMPLES: dict[str, Example] = {
    e.key: e
    for e in (
        Example(
            "linear",
            "y = w * x + b",
            linear,
            {"x": 2.0, "w": 3.0, "b": 1.0},
            {"x": False, "w": True, "b": True},
        ),
        Example(
            "two_layer",
            "A two-layer net on one sample",
            two_layer,
            {"x1": 1.0, "x2": -0.5, "target": 1.0, "seed": 0},
            {"x": False, "W1": True, "b1": True, "W2": True, "b2": True},
            integers=("seed",),
        ),
        Example(
            "cut",
            "Cutting the graph: .detach() and torch.no_grad()",
            cut,
            {"x": 2.0, "w": 3.0, "v": 4.0},
            {"x": False, "w": True, "v": False},
            {
                "detach": "c = h.detach()",
                "no_grad": "c = w * x under torch.no_grad()",
                "none": "c = h (no cut)",
            },
        ),
        Example(
            "in_place",
            "An in-place op",
            in_place,
            {"x": 2.0, "w": 0.5, "k": 3.0},
            {"x": False, "w": True},
            {
                "none": "no in-place op",
                "intermediate": "a.add_(k) on an intermediate (allowed)",
                "saved": "s.mul_(k) on a tensor backward needs (backward fails)",
                "leaf": "w.add_(k) on a leaf that requires grad (fails at once)",
            },
        ),
        Example(
            "retain",
            "retain_grad() on an intermediate",
            retain,
            {"x": 2.0, "w": 3.0, "b": 1.0},
            {"x": False, "w": True, "b": True},
            {"retain": "h.retain_grad()", "plain": "no retain_grad()"},
        ),
    )
}


def build(
    key: str,
    values: dict | None = None,
    requires_grad: dict | None = None,
    option: str | None = None,
) -> Built:
    """Run example ``key`` with the given numbers and switches (defaults where missing)."""
    if key not in EXAMPLES:
        raise ValueError(f"Unknown example '{key}'. Choose one of: {', '.join(EXAMPLES)}.")
    ex = EXAMPLES[key]
    v = {**ex.values, **(values or {})}
    for name, value in v.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number, not {value!r}.")
        if not math.isfinite(value) or abs(value) > 1e6:
            raise ValueError(f"{name} must be a finite number between -1e6 and 1e6; got {value}.")
        if name in ex.integers and (not float(value).is_integer() or value < 0):
            raise ValueError(f"{name} must be a whole number of 0 or more; got {value}.")
    rg = {**ex.requires_grad, **(requires_grad or {})}
    option = option if option is not None else next(iter(ex.options), "")
    if ex.options and option not in ex.options:
        raise ValueError(f"Unknown option '{option}' for {ex.title}: {', '.join(ex.options)}.")
    return ex.build(v, {name: bool(on) for name, on in rg.items()}, option)


def backward(built: Built, retain_graph: bool = False) -> str:
    """Call backward on the example's output; '' or torch's own error message."""
    try:
        built.tensors[built.output].backward(retain_graph=retain_graph)
    except RuntimeError as exc:
        built.backward_error = str(exc)
        return built.backward_error
    built.backward_done = True
    return ""


def fmt(t: torch.Tensor | None) -> str:
    """A tensor's values as short text: '6.0' or '[0.25, -1.5]'."""
    if t is None:
        return "None"
    values = t.detach().cpu().numpy()
    if values.ndim == 0:
        return f"{float(values):.4g}"
    text = np.array2string(
        values.squeeze(), precision=4, separator=", ", suppress_small=True, max_line_width=10_000
    )
    return text.replace("\n", "")


def tensor_table(built: Built) -> list[dict]:
    """One row per tensor, each value read off the tensor itself."""
    rows = []
    for name, t in built.tensors.items():
        grad, warning = read_grad(t)
        rows.append(
            {
                "tensor": name,
                "shape": "scalar" if t.dim() == 0 else "×".join(map(str, t.shape)),
                "value": fmt(t),
                "requires_grad": t.requires_grad,
                "is_leaf": t.is_leaf,
                "grad_fn": None if t.grad_fn is None else type(t.grad_fn).__name__,
                "retains_grad": t.retains_grad,
                "version": t._version,  # bumped by every in-place op
                ".grad filled": grad is not None,
                ".grad": fmt(grad) if grad is not None else "",
                "torch's warning": warning,
            }
        )
    return rows


def second_backward(key: str, values=None, requires_grad=None, option=None) -> tuple[str, str]:
    """Backward twice without retain_graph: (first call's error, second call's error)."""
    built = build(key, values, requires_grad, option)
    first = backward(built)
    second = backward(built) if not first else ""
    return first, second


def saved_for_backward(key: str, values=None, requires_grad=None, option=None) -> int:
    """How many tensors the example's ops saved for backward, counted by saved_tensors_hooks.

    backward frees these after its first run; a graph that saved none has nothing to free, so
    a second backward without retain_graph runs again.
    """
    count = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal count
        count += 1
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        build(key, values, requires_grad, option)
    return count


def accumulation(key: str, values=None, requires_grad=None, option=None) -> list[dict]:
    """Backward twice with retain_graph=True: every leaf's .grad after each call."""
    built = build(key, values, requires_grad, option)
    leaves = {n: t for n, t in built.tensors.items() if t.is_leaf and t.requires_grad}
    rows = {n: {"tensor": n} for n in leaves}
    for call in (1, 2):
        error = backward(built, retain_graph=True)
        if error:
            raise ValueError(error)
        for name, t in leaves.items():
            rows[name][f".grad after call {call}"] = fmt(t.grad)
            rows[name][f"_g{call}"] = t.grad.detach().clone()
    for row in rows.values():
        g1, g2 = row.pop("_g1"), row.pop("_g2")
        row["call 2 = 2 × call 1"] = bool(torch.allclose(g2, 2 * g1))
    return list(rows.values())


@dataclass
class Played:
    """One run of an example as the page shows it: tensors, graph, and backward's outcome."""

    built: Built
    graph: Graph  # traced before backward, while the ops' saved tensors still exist
    backward_error: str | None  # None: backward was not asked for; "": it ran


def play(key: str, values: dict, requires_grad: dict, option, backward_now: bool) -> Played:
    """Build example ``key``, trace its graph, then call backward if asked (in that order)."""
    built = build(key, values, requires_grad, option)
    traced = trace(built.tensors)
    return Played(built, traced, backward(built) if backward_now else None)


@dataclass(frozen=True)
class Rules:
    """Autograd's rules tried on one example: a second backward, and gradients adding up."""

    first_error: str  # backward cannot run on this variant at all
    second_error: str  # a second backward without retain_graph; "" when torch ran it
    saved: int  # tensors the ops saved for backward
    accumulation: list[dict]  # each leaf's .grad after two backward(retain_graph=True) calls
    accumulation_error: str

    @property
    def doubled(self) -> bool:
        return all(row["call 2 = 2 × call 1"] for row in self.accumulation)


def rules(key: str, values: dict, requires_grad: dict, option) -> Rules:
    first, second = second_backward(key, values, requires_grad, option)
    if first:
        return Rules(first, "", 0, [], "")
    saved = 0 if second else saved_for_backward(key, values, requires_grad, option)
    try:
        rows, error = accumulation(key, values, requires_grad, option), ""
    except ValueError as exc:
        rows, error = [], str(exc)
    return Rules("", second, saved, rows, error)
