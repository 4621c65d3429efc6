"""Lesson #1 against torch as it runs: expectations come from calling torch here, not 2.13."""

import numpy as np
import pytest
import torch
from torch import nn

from torchxp_core.lessons import dtypes


def test_matmul_and_step_timings_have_every_repeat_per_dtype_and_a_median_summary():
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
        assert summary["x_fastest"].min() == pytest.approx(1.0)


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


def test_cross_entropy_label_table_matches_what_torch_does_now():
    table = dtypes.ce_label_dtypes("cpu").set_index("label dtype")
    logits = torch.randn(4, 3)
    for name, row in table.iterrows():
        try:
            nn.CrossEntropyLoss()(logits, torch.tensor([0, 2, 1, 2]).to(getattr(torch, name)))
            accepted, message = True, ""
        except RuntimeError as exc:
            accepted, message = False, str(exc)
        assert row["accepted"] == accepted, name
        assert row["torch says"] == message, name
    assert table.loc["int64", "accepted"]  # the note's rule: long labels always work
