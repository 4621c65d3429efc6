"""Lesson #4 against torch as it runs: accumulation, grad modes, and the cost of a graph."""

import numpy as np
import pytest
import torch

from torchxp_core.lessons import grads


def test_grads_without_zeroing_equal_n_times_the_single_grad():
    growth = grads.accumulate_without_zeroing(steps=6)
    np.testing.assert_allclose(growth["without_zero_grad"], growth["step_times_single"], rtol=1e-5)
    assert (growth["with_zero_grad"] == growth["with_zero_grad"].iloc[0]).all()
    assert growth["step"].tolist() == list(range(1, 7))


@pytest.mark.parametrize("k", [1, 2, 4, 8])
def test_micro_batch_accumulation_with_loss_over_k_equals_the_full_batch_grad(k):
    acc = grads.accumulation_done_right(k=k, samples=32)
    np.testing.assert_allclose(acc.accumulated, acc.full_batch, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acc.undivided, k * acc.full_batch, rtol=1e-5, atol=1e-5)
    assert acc.max_abs_diff < 1e-5


def test_k_that_does_not_divide_the_batch_is_refused():
    with pytest.raises(ValueError, match="divisor"):
        grads.accumulation_done_right(k=5, samples=32)


def test_outputs_without_grad_mode_have_no_grad_fn_and_backward_fails_with_torchs_message():
    table = grads.grad_modes().set_index("context")
    assert table.loc["default (grad enabled)", "requires_grad"]
    assert table.loc["default (grad enabled)", "grad_fn"] != "None"
    with torch.no_grad():
        y = torch.nn.Linear(3, 1)(torch.randn(2, 3))
    try:
        y.sum().backward()
        message = None
    except RuntimeError as exc:
        message = str(exc)
    for context, row in table.drop("default (grad enabled)").iterrows():
        assert not row["requires_grad"], context
        assert row["grad_fn"] == "None", context
        assert row["backward()"] == message, context


def test_validation_without_graph_saves_no_tensors_and_with_graph_saves_activations():
    cost = grads.validation_cost("cpu", batch=16, width=32, repeats=3)
    saved = cost.saved.set_index("mode")
    with_graph, no_graph = saved.index
    assert saved.loc[no_graph].tolist() == [0, 0, 0]
    # x (16, 64) and both ReLU outputs (16, 32), float32: autograd keeps them for backward
    assert saved.loc[with_graph, "activation bytes"] == 4 * (16 * 64 + 2 * 16 * 32)
    assert saved.loc[with_graph, "saved tensors"] > 0
    assert cost.times.groupby("mode").size().tolist() == [3, 3]
    assert cost.cuda_peak_bytes is None
