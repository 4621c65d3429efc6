"""Lesson #1, data types: float32 is the default and the fast path; labels must be long.

Everything is measured on the device passed in: matmul and training-step times per dtype,
bytes per element, and what a float64 batch does to a float32 model. Which label dtypes
CrossEntropyLoss accepts is ``loss_lab.cross_entropy.label_dtype_table``, for both pages.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from torchxp_core.lessons.timing import measure_many

FLOAT_DTYPES = ("float32", "float64")
MEMORY_DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int8", "bool")


def _dtype(name: str) -> torch.dtype:
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"{name!r} is not a torch dtype; try one of {', '.join(FLOAT_DTYPES)}.")
    return dtype


@dataclass(frozen=True)
class Ratio:
    """How many times as long one dtype's calls took as another's, measured two ways.

    ``pair_median``: the median over rounds of t_slow[i] / t_base[i], each pair timed back to
    back (``measure_many`` alternates them), so load from elsewhere hits both halves alike.
    ``of_minima``: fastest call against fastest call, the closest either gets to the bare work.
    Medians of the two dtypes' separate timings are not used: under load they can rank the
    dtypes either way.
    """

    slow: str  # the numerator's dtype, e.g. "float64"
    base: str  # the denominator's, e.g. "float32"
    pairs: int
    pair_median: float
    of_minima: float

    @property
    def verdict(self) -> str:
        """ "slower" or "faster" when both measures say so, else "unclear"."""
        if self.pair_median > 1 and self.of_minima > 1:
            return "slower"
        if self.pair_median < 1 and self.of_minima < 1:
            return "faster"
        return "unclear"


@dataclass
class Timings:
    """Seconds per call for each dtype that ran, and torch's error for each that did not."""

    times: pd.DataFrame  # columns: dtype, repeat, ms; repeat i of each dtype is one pair
    errors: dict[str, str] = field(default_factory=dict)
    threads: int = field(default_factory=torch.get_num_threads)  # torch's CPU threads then

    def ratio(self, slow: str = "float64", base: str = "float32") -> Ratio | None:
        """``slow``'s time over ``base``'s, from back-to-back pairs and from the minima;
        None when either dtype did not run."""
        by = {name: part.set_index("repeat")["ms"] for name, part in self.times.groupby("dtype")}
        if slow not in by or base not in by:
            return None
        per_pair = (by[slow] / by[base]).dropna()
        return Ratio(
            slow,
            base,
            len(per_pair),
            float(per_pair.median()),
            float(by[slow].min() / by[base].min()),
        )

    def summary(self) -> pd.DataFrame:
        """Median and spread (min, quartiles, max) in ms per dtype, and each dtype's time over
        the first dtype's: the median of back-to-back pairs, and the ratio of the minima."""
        columns = ["dtype", "median_ms", "q25_ms", "q75_ms", "min_ms", "max_ms"]
        if self.times.empty:
            return pd.DataFrame(columns=[*columns, "x_base_pairs", "x_base_min"])
        g = self.times.groupby("dtype", sort=False)["ms"]
        out = pd.DataFrame(
            {
                "median_ms": g.median(),
                "q25_ms": g.quantile(0.25),
                "q75_ms": g.quantile(0.75),
                "min_ms": g.min(),
                "max_ms": g.max(),
            }
        ).reset_index()
        base = out["dtype"].iloc[0]
        ratios = [self.ratio(name, base) for name in out["dtype"]]
        out["x_base_pairs"] = [r.pair_median for r in ratios]
        out["x_base_min"] = [r.of_minima for r in ratios]
        return out


def _timings(run_one, dtypes, device: str, repeats: int) -> Timings:
    """Build one callable per dtype (torch may refuse some on this device), then time them
    all in turns."""
    fns, errors = {}, {}
    for name in dtypes:
        try:
            fn = run_one(_dtype(name))
            fn()  # a dtype the device lacks fails here, e.g. MPS has no float64
        except (RuntimeError, TypeError) as exc:
            errors[name] = str(exc)
            continue
        fns[name] = fn
    seconds = measure_many(fns, device, repeats=repeats) if fns else {}
    rows = [
        {"dtype": name, "repeat": i, "ms": s * 1e3}
        for name, times in seconds.items()
        for i, s in enumerate(times)
    ]
    return Timings(pd.DataFrame(rows, columns=["dtype", "repeat", "ms"]), errors)


def time_matmul(
    device: str = "cpu", size: int = 256, repeats: int = 15, dtypes=FLOAT_DTYPES
) -> Timings:
    """Time ``a @ b`` for two (size, size) matrices in each dtype on ``device``."""
    if not 8 <= size <= 4096:
        raise ValueError(f"Matrix size must be between 8 and 4096, not {size}.")

    def run_one(dtype: torch.dtype):
        a = torch.randn(size, size, device=device, dtype=dtype)
        b = torch.randn(size, size, device=device, dtype=dtype)
        return lambda: a @ b

    return _timings(run_one, dtypes, device, repeats)


def time_train_step(
    device: str = "cpu", batch: int = 256, repeats: int = 15, dtypes=FLOAT_DTYPES
) -> Timings:
    """Time one full training step (forward, loss, backward, Adam step) of a 64-256-256-10 MLP."""
    if not 1 <= batch <= 8192:
        raise ValueError(f"Batch size must be between 1 and 8192, not {batch}.")

    def run_one(dtype: torch.dtype):
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
        ).to(device=device, dtype=dtype)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        criterion = nn.CrossEntropyLoss()
        x = torch.randn(batch, 64, device=device, dtype=dtype)  # (B, 64)
        y = torch.randint(0, 10, (batch,), device=device)  # (B,) int64 labels

        def step():
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()

        return step

    return _timings(run_one, dtypes, device, repeats)


VERDICT = {
    "slower": "float32 was the faster of the two here",
    "faster": "**float64 was faster here**, against the note's rule",
    "unclear": "the two measures disagree, so neither is clearly faster on this machine now",
}


def ratio_note(what: str, timing: Timings) -> str:
    """float64's time over float32's for ``what`` ("a matmul") in a sentence, with the
    verdict both measures give; '' when either dtype did not run."""
    ratio = timing.ratio("float64", "float32")
    if ratio is None:
        return ""
    return (
        f"For {what}, float64 took **{ratio.pair_median:.2f}×** as long as float32 "
        f"(median of {ratio.pairs} back-to-back pairs; fastest call against fastest call: "
        f"**{ratio.of_minima:.2f}×**): {VERDICT[ratio.verdict]}."
    )


def error_notes(timings: dict[str, Timings], device: str) -> list[str]:
    """Each dtype torch refused, by what was timed: 'float64 matmul failed on mps: ...'."""
    return [
        f"{dtype} {what} failed on {device}: {message}"
        for what, timing in timings.items()
        for dtype, message in timing.errors.items()
    ]


def summary_table(timings: dict[str, Timings]) -> pd.DataFrame:
    """Every timed thing's ``Timings.summary`` in one table, a column ``what`` first."""
    frames = [timing.summary().assign(what=what) for what, timing in timings.items()]
    columns = ["what", "dtype", "median_ms", "q25_ms", "q75_ms", "min_ms", "max_ms"]
    return pd.concat(frames)[[*columns, "x_base_pairs", "x_base_min"]]


def element_sizes(dtypes=MEMORY_DTYPES) -> pd.DataFrame:
    """Bytes per element of each dtype, from ``element_size()``, and MiB per million elements."""
    rows = []
    for name in dtypes:
        size = torch.empty(0, dtype=_dtype(name)).element_size()
        rows.append(
            {"dtype": name, "bytes_per_element": size, "MiB_per_million": size / 2**20 * 1e6}
        )
    return pd.DataFrame(rows)


def defaults() -> pd.DataFrame:
    """The dtype torch and numpy pick when nobody says: where float64 sneaks in."""
    cases = {
        "torch.get_default_dtype()": torch.get_default_dtype(),
        "torch.tensor([1.0])": torch.tensor([1.0]).dtype,
        "torch.tensor([1])": torch.tensor([1]).dtype,
        "nn.Linear(2, 2).weight": nn.Linear(2, 2).weight.dtype,
        "np.array([1.0]).dtype": np.array([1.0]).dtype,
        "torch.from_numpy(np.array([1.0]))": torch.from_numpy(np.array([1.0])).dtype,
    }
    return pd.DataFrame({"expression": list(cases), "dtype": [str(d) for d in cases.values()]})


@dataclass
class MismatchResult:
    """A float64 batch into a float32 model: torch's error, then the fixed call's output dtype."""

    input_dtype: str
    weight_dtype: str
    error: str | None  # None: the installed torch ran it anyway
    fixed_output_dtype: str  # after x.float()


def float64_into_float32_model(device: str = "cpu") -> MismatchResult:
    """Feed numpy's default float64 data to a freshly built (float32) Linear layer."""
    model = nn.Linear(4, 2).to(device)
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(3, 4))).to(device)  # float64
    try:
        model(x)
        error = None
    except RuntimeError as exc:
        error = str(exc)
    fixed = model(x.float())
    return MismatchResult(str(x.dtype), str(model.weight.dtype), error, str(fixed.dtype))
