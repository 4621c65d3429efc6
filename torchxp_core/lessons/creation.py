"""Lesson #9, creating tensors: which constructors copy a numpy array and which share it.

Build tensors from one array by each constructor, write into the array, and see which tensors
change; ``data_ptr()`` says the same thing from the memory side. Then the edge cases: a dtype
or device change forces a copy, and ``from_numpy`` meets a read-only or a big-endian array.
"""

import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import torch
from torch.utils._python_dispatch import TorchDispatchMode

NEW_VALUE = 99.0  # what the experiment writes into the array's first element


def _constructors(device: str):
    """Expression text -> how to build it from a float32 array ``a``."""
    ctors = {
        "torch.tensor(a)": torch.tensor,
        "torch.Tensor(a)": torch.Tensor,
        "torch.from_numpy(a)": torch.from_numpy,
        "torch.as_tensor(a)": torch.as_tensor,
        "torch.as_tensor(a, dtype=torch.float64)": partial(torch.as_tensor, dtype=torch.float64),
        "torch.as_tensor(a, dtype=torch.float32)": partial(torch.as_tensor, dtype=torch.float32),
    }
    if device != "cpu":
        ctors[f"torch.as_tensor(a, device='{device}')"] = partial(torch.as_tensor, device=device)
    return ctors


def mutation_table(device: str = "cpu", size: int = 4) -> pd.DataFrame:
    """Make ``a = np.arange(size, dtype=float32)``, build each tensor, then ``a[0] = 99``.

    Columns: expression, dtype, device, same data_ptr (as the array's buffer), first before,
    first after, changed. ``changed`` and ``same data_ptr`` agree when torch shares memory.
    """
    if not 1 <= size <= 1000:
        raise ValueError(f"Size must be between 1 and 1000, not {size}.")
    a = np.arange(size, dtype=np.float32)
    built = {expr: make(a) for expr, make in _constructors(device).items()}
    before = {expr: t[0].item() for expr, t in built.items()}
    a[0] = NEW_VALUE
    rows = []
    for expr, t in built.items():
        after = t[0].item()
        rows.append(
            {
                "expression": expr,
                "dtype": str(t.dtype).removeprefix("torch."),
                "device": str(t.device),
                "same data_ptr": t.data_ptr() == a.ctypes.data,
                "first before": before[expr],
                "first after": after,
                "changed": after != before[expr],
            }
        )
    return pd.DataFrame(rows)


def verdicts(table: pd.DataFrame) -> dict[str, str]:
    """'copied' or 'shared' for the rows the page explains, read off a ``mutation_table``."""
    words = table["changed"].map({True: "shared", False: "copied"})
    said = dict(zip(table["expression"], words, strict=True))
    device = [v for e, v in said.items() if "device=" in e]
    return {
        "dtype change": said["torch.as_tensor(a, dtype=torch.float64)"],
        "no change": said["torch.as_tensor(a, dtype=torch.float32)"],
        "device change": device[0] if device else "pick a GPU device to try it",
        "Tensor": said["torch.Tensor(a)"],
    }


@dataclass
class EdgeCase:
    """One ``from_numpy`` edge case: what torch did, said, and whether memory is shared."""

    case: str
    outcome: str  # "tensor", "warning" or "error"
    message: str  # torch's own warning or error text; "" when it said nothing
    kind: str  # the exception's or warning's class name, e.g. "ValueError"; "" when none
    shares_memory: bool | None  # None when no tensor was made
    note: str = ""  # what the experiment saw afterwards, in our words


def _try_from_numpy(case: str, arr: np.ndarray) -> tuple[EdgeCase, torch.Tensor | None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            t = torch.from_numpy(arr)
        except (ValueError, TypeError, RuntimeError) as exc:
            return EdgeCase(case, "error", str(exc), type(exc).__name__, None), None
    message = " ".join(str(w.message) for w in caught)
    kind = caught[0].category.__name__ if caught else ""
    shares = t.data_ptr() == arr.ctypes.data
    return EdgeCase(case, "warning" if caught else "tensor", message, kind, shares), t


def from_numpy_edge_cases() -> list[EdgeCase]:
    """A read-only array (torch warns, once per process, and writes through anyway) and a
    big-endian array (torch refuses; ``astype`` to native order first)."""
    cases = []
    frozen = np.arange(4, dtype=np.float32)
    frozen.setflags(write=False)
    case, t = _try_from_numpy("read-only array (a.setflags(write=False))", frozen)
    if t is not None:
        t[0] = NEW_VALUE  # undefined behaviour by torch's own words: the "read-only" array changes
        case.note = f"After t[0] = {NEW_VALUE:g}, the read-only array reads {frozen[0]:g}."
        if not case.message:
            case.note += " No warning this time: torch gives this one once per process."
    cases.append(case)
    swapped = np.arange(4, dtype=np.dtype(np.float32).newbyteorder())  # non-native endian
    cases.append(_try_from_numpy(f"non-native byte order (dtype {swapped.dtype.str})", swapped)[0])
    native = swapped.astype(swapped.dtype.newbyteorder("="))
    cases.append(_try_from_numpy("the same array after .astype(native order)", native)[0])
    return cases


class _OpLog(TorchDispatchMode):
    """Records the aten ops torch dispatches inside its ``with`` block (this thread only)."""

    def __init__(self):
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.append(str(func))
        return func(*args, **(kwargs or {}))


# float64 values that float32 cannot hold exactly, so a cast shows in the digits
FLOAT64_VALUES = (0.1, 1 / 3, 2.0)


def tensor_class_calls() -> pd.DataFrame:
    """``torch.Tensor`` (the class) against ``torch.tensor`` (the factory), asked by torch.

    On a float64 array the class casts to the default dtype, so it must copy; given an int it
    reads a size, not a value, and the op torch dispatches for it says what the values are.
    Columns: expression, dtype, shape, shares a's memory (None without an array), aten ops
    (what torch dispatched, recorded with a TorchDispatchMode), values.
    """
    a = np.array(FLOAT64_VALUES, dtype=np.float64)
    calls = {
        "torch.Tensor(a)": lambda: torch.Tensor(a),
        "torch.tensor(a)": lambda: torch.tensor(a),
        "torch.from_numpy(a)": lambda: torch.from_numpy(a),
        "torch.Tensor(3)": lambda: torch.Tensor(3),
        "torch.tensor(3)": lambda: torch.tensor(3),
        "torch.empty(3)": lambda: torch.empty(3),
    }
    rows = []
    for expr, make in calls.items():
        with _OpLog() as log:
            t = make()
        rows.append(
            {
                "expression": expr,
                "dtype": str(t.dtype).removeprefix("torch."),
                "shape": str(tuple(t.shape)),
                "shares a's memory": (t.data_ptr() == a.ctypes.data) if "(a)" in expr else None,
                "aten ops": ", ".join(log.ops),
                "values": ", ".join(f"{v:.10g}" for v in t.flatten().tolist()),
            }
        )
    return pd.DataFrame(rows)
