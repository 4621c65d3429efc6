"""Run a torch call and keep what it said: the value, or its real error, and any warnings."""

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class Attempt:
    """What one torch call did: a value, or the exception it raised, plus its warnings."""

    value: torch.Tensor | None  # None when the call raised
    error: str | None = None  # "RuntimeError: expected target dtype ..." as torch worded it
    warnings: list[str] = field(default_factory=list)  # each warning's message, in order

    @property
    def ok(self) -> bool:
        return self.error is None


def attempt(call: Callable[[], torch.Tensor]) -> Attempt:
    """Call `call()`; catch any exception and record every warning instead of printing it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # torch's warnings would otherwise show once per process
        try:
            value = call()
        except Exception as exc:  # any torch error is a lesson to show, not a crash
            return Attempt(None, f"{type(exc).__name__}: {exc}", [str(w.message) for w in caught])
    return Attempt(value, None, [str(w.message) for w in caught])


def agreeing_digits(a: float, b: float, most: int = 16) -> int:
    """How many significant digits a and b agree to: −log10 of their relative gap, floored."""
    if a == b:
        return most
    if not (math.isfinite(a) and math.isfinite(b)):
        return 0
    scale = max(abs(a), abs(b))
    return max(0, min(most, math.floor(-math.log10(abs(a - b) / scale))))
