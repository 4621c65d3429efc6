"""Lesson #4 against torch as it runs: accumulation, grad modes, and the cost of a graph."""

import inspect
import warnings

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
    assert acc.spacing == np.spacing(np.float32(np.abs(acc.full_batch).max()))
    assert acc.undivided_ratio == pytest.approx(k, rel=1e-4)


def test_k_that_does_not_divide_the_batch_is_refused():
    with pytest.raises(ValueError, match="divisor"):
        grads.accumulation_done_right(k=5, samples=32)


def test_outputs_without_grad_mode_have_no_grad_fn_and_backward_fails_with_torchs_message():
    table = grads.grad_modes().set_index("context")
    model = torch.nn.Linear(3, 1)
    for context in ("default (grad enabled)", "model.eval() only (grad enabled)"):
        y = (model.eval() if "eval" in context else model.train())(torch.randn(2, 3))
        assert table.loc[context, "requires_grad"] == y.requires_grad is True
        assert table.loc[context, "grad_fn"] == type(y.grad_fn).__name__
        assert table.loc[context, "backward()"] == "ran: .grad filled"
    with torch.no_grad():
        y = torch.nn.Linear(3, 1)(torch.randn(2, 3))
    try:
        y.sum().backward()
        message = None
    except RuntimeError as exc:
        message = str(exc)
    for context, row in table.iloc[2:].iterrows():
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


def test_zero_grad_leaves_what_torch_leaves():
    table = grads.zero_grad_effects().set_index("call")
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    expected = {}
    for call, run in {
        "optimizer.zero_grad()": lambda: opt.zero_grad(),
        "model.zero_grad()": lambda: model.zero_grad(),
        "optimizer.zero_grad(set_to_none=False)": lambda: opt.zero_grad(set_to_none=False),
    }.items():
        model(torch.randn(4, 3)).sum().backward()
        run()
        expected[call] = model.weight.grad
    for call, grad in expected.items():
        shown = table.loc[call, "weight.grad after"]
        assert shown == ("None" if grad is None else str(grad.numpy().ravel())), call
        assert table.loc[call, "weight.grad before"] != "None"
    assert table.loc["optimizer.zero_grad()", "weight.grad after"] == "None"  # torch >= 2.0
    assert table.loc["optimizer.zero_grad(set_to_none=False)", "weight.grad after"] == "[0. 0. 0.]"
    default = inspect.signature(torch.optim.Optimizer.zero_grad).parameters["set_to_none"].default
    assert table.loc["optimizer.zero_grad()", "set_to_none default"] == str(default)


def test_a_moved_leaf_is_a_non_leaf_without_grad_and_the_optimizer_refuses_it():
    table = grads.moved_leaf()
    w = torch.randn(3, requires_grad=True)
    moved = w.double()
    (2 * moved).sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert moved.grad is None
    try:
        torch.optim.SGD([moved], lr=0.1)
        refusal = "accepted"
    except ValueError as exc:
        refusal = str(exc)
    rows = table.set_index("w made by")
    for expr in (
        "w = torch.randn(3, requires_grad=True).double()",
        "w = torch.randn(3, requires_grad=True).to('cpu', torch.float64)",
    ):
        row = rows.loc[expr]
        assert row["is_leaf"] == moved.is_leaf is False
        assert row["grad_fn"] == type(moved.grad_fn).__name__
        assert row["w.grad after backward"] == "None"
        assert row["torch's warning"] == str(caught[0].message).split(". ")[0] + "."
        assert row["torch.optim.SGD([w])"] == refusal != "accepted"
    fixed = table[table["is_leaf"]]
    assert len(fixed) == 3
    assert (fixed["w.grad after backward"] == "[2. 2. 2.]").all()
    assert (fixed["torch.optim.SGD([w])"] == "accepted").all()
    assert (fixed["torch's warning"] == "").all()
