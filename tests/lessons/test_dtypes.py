"""Lesson #1 against torch as it runs: expectations come from calling torch here, not 2.13."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from torchxp_core.lessons import dtypes
from torchxp_core.lessons.timing import measure_many


def test_matmul_and_step_timings_have_every_repeat_per_dtype_and_pairwise_ratios():
    for timing in (
        dtypes.time_matmul("cpu", size=32, repeats=3),
        dtypes.time_train_step("cpu", batch=8, repeats=3),
    ):
        assert not timing.errors
        assert timing.times.groupby("dtype").size().to_dict() == {"float32": 3, "float64": 3}
        assert (timing.times["ms"] > 0).all()
        summary = timing.summary().set_index("dtype")
        for dtype, part in timing.times.groupby("dtype"):
            assert summary.loc[dtype, "median_ms"] == pytest.approx(part["ms"].median())
            assert summary.loc[dtype, "min_ms"] <= summary.loc[dtype, "median_ms"]
        assert summary.loc["float32", "x_base_pairs"] == pytest.approx(1.0)
        by = timing.times.pivot(index="repeat", columns="dtype", values="ms")
        pairs = (by["float64"] / by["float32"]).median()
        ratio = timing.ratio("float64", "float32")
        assert ratio.pairs == 3
        assert ratio.pair_median == pytest.approx(pairs)
        assert summary.loc["float64", "x_base_pairs"] == pytest.approx(pairs)
        assert ratio.of_minima == pytest.approx(by["float64"].min() / by["float32"].min())
        assert summary.loc["float64", "x_base_min"] == pytest.approx(ratio.of_minima)


def _timings(float32_ms, float64_ms) -> dtypes.Timings:
    rows = [
        {"dtype": name, "repeat": i, "ms": ms}
        for name, times in (("float32", float32_ms), ("float64", float64_ms))
        for i, ms in enumerate(times)
    ]
    return dtypes.Timings(pd.DataFrame(rows))


def test_ratio_comes_from_pairs_not_from_separate_medians():
    # Load hits rounds 0-2 hard. Medians of the separate timings (20 vs 11) say float64 is
    # faster; every back-to-back pair and the minima say it takes twice as long.
    slow = _timings([5, 5, 20, 20, 20], [10, 10, 40, 11, 11])
    assert slow.times.groupby("dtype")["ms"].median().to_dict() == {"float32": 20, "float64": 11}
    ratio = slow.ratio()
    assert ratio.of_minima == pytest.approx(2.0)
    assert ratio.pair_median == pytest.approx(2.0)
    assert ratio.verdict == "slower"
    assert _timings([10, 10, 10], [5, 5, 5]).ratio().verdict == "faster"
    assert _timings([10, 10, 5], [5, 5, 10]).ratio().verdict == "unclear"  # pairs 0.5, minima 1


def test_ratio_is_none_when_a_dtype_did_not_run():
    assert _timings([1.0, 2.0], []).ratio() is None


def test_measure_many_flips_the_order_every_round():
    calls = []
    times = measure_many(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, "cpu", repeats=4, warmup=0
    )
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert {name: len(t) for name, t in times.items()} == {"a": 4, "b": 4}


def test_bad_sizes_and_unknown_dtypes_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="Matrix size"):
        dtypes.time_matmul("cpu", size=2)
    with pytest.raises(ValueError, match="not a torch dtype"):
        dtypes.time_matmul("cpu", size=16, repeats=1, dtypes=("float99",))


def test_element_sizes_are_torchs_element_size():
    sizes = dtypes.element_sizes().set_index("dtype")["bytes_per_element"]
    for name, size in sizes.items():
        assert size == torch.empty(0, dtype=getattr(torch, name)).element_size()
    assert sizes["float64"] == 2 * sizes["float32"]


def test_defaults_table_reports_torch_and_numpy_defaults():
    table = dict(dtypes.defaults().values)
    assert table["torch.get_default_dtype()"] == str(torch.get_default_dtype())
    assert table["np.array([1.0]).dtype"] == str(np.array([1.0]).dtype)


def test_float64_into_float32_model_reports_torchs_own_error():
    result = dtypes.float64_into_float32_model("cpu")
    try:
        nn.Linear(4, 2)(torch.zeros(3, 4, dtype=torch.float64))
        expected = None
    except RuntimeError as exc:
        expected = str(exc)
    assert result.error == expected
    assert result.input_dtype == "torch.float64"
    assert result.fixed_output_dtype == "torch.float32"
