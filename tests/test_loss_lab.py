"""The Loss Explorer's numbers, checked against torch called here and against the closed forms.

Expectations come from torch at test time, never from a torch version's remembered output.
"""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from torchxp_core.figures import losses as figs
from torchxp_core.loss_lab import bce, contracts, cross_entropy, logits, mse
from torchxp_core.loss_lab.attempt import agreeing_digits, attempt
from torchxp_core.losses import LOSSES

# ---- attempt -------------------------------------------------------------------------------


def test_attempt_keeps_torchs_own_error_message() -> None:
    try:
        nn.CrossEntropyLoss()(torch.zeros(1, 3), torch.tensor([7]))
    except Exception as exc:  # the message torch gives right now
        expected = f"{type(exc).__name__}: {exc}"
    got = attempt(lambda: nn.CrossEntropyLoss()(torch.zeros(1, 3), torch.tensor([7])))
    assert not got.ok and got.value is None
    assert got.error == expected


def test_attempt_records_warnings_even_if_shown_before() -> None:
    for _ in range(2):  # the default filter would show the second one nowhere
        got = attempt(lambda: nn.MSELoss()(torch.zeros(3, 1), torch.zeros(3)))
        assert got.ok and len(got.warnings) == 1


@pytest.mark.parametrize(
    ("a", "b", "digits"),
    [(1.2345, 1.2346, 4), (1.0, 1.0, 16), (1.0, math.inf, 0), (100.0, 99.9, 3)],
)
def test_agreeing_digits_counts_shared_leading_digits(a, b, digits) -> None:
    assert agreeing_digits(a, b) == digits


# ---- BCE -----------------------------------------------------------------------------------


def test_bce_curves_match_torch_and_minus_log() -> None:
    frame = bce.curves(n=200, y=0.3)
    h = torch.tensor(frame["h"].to_numpy())
    for col, y in (("y1", 1.0), ("y0", 0.0), ("y", 0.3)):
        expected = nn.BCELoss(reduction="none")(h, torch.full_like(h, y)).numpy()
        np.testing.assert_allclose(frame[f"torch_{col}"], expected, rtol=1e-12)
        np.testing.assert_allclose(frame[f"formula_{col}"], expected, rtol=1e-9)
    np.testing.assert_allclose(frame["formula_y1"], -np.log(frame["h"]), rtol=1e-12)
    np.testing.assert_allclose(frame["formula_y0"], -np.log(1 - frame["h"]), rtol=1e-9)


def test_bce_curves_reach_the_notes_limits() -> None:
    frame = bce.curves()
    assert frame["torch_y1"].iloc[-1] < 1e-2 and frame["torch_y1"].iloc[0] > 5  # h→1: 0, h→0: big
    assert frame["torch_y0"].iloc[0] < 1e-2 and frame["torch_y0"].iloc[-1] > 5
    assert "torch_y" not in frame  # no soft-label curve unless asked


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("h", "y"), [(0.3, 1.0), (0.8, 0.0), (0.5, 0.25), (0.999, 1.0)])
def test_bce_point_matches_torch_and_formula(h, y, dtype) -> None:
    pt = bce.point(h, y, dtype)
    tdtype = getattr(torch, dtype)
    ht = torch.tensor([h], dtype=tdtype, requires_grad=True)
    loss = nn.BCELoss()(ht, torch.tensor([y], dtype=tdtype))
    loss.backward()
    assert pt.torch_loss == loss.item()
    assert pt.torch_grad == ht.grad.item()
    hv = ht.item()
    assert pt.formula_loss == pytest.approx(-(y * math.log(hv) + (1 - y) * math.log(1 - hv)))
    assert pt.formula_grad == pytest.approx(-y / hv + (1 - y) / (1 - hv))
    assert pt.digits >= (6 if dtype == "float32" else 12)
    assert not pt.clamped


def test_bce_point_at_zero_shows_torchs_clamp_not_infinity() -> None:
    pt = bce.point(0.0, 1.0)
    assert pt.torch_loss == nn.BCELoss()(torch.tensor([0.0]), torch.tensor([1.0])).item()
    assert pt.formula_loss == math.inf and pt.clamped
    assert pt.torch_loss == -bce.log_clamp()


@pytest.mark.parametrize(("h", "y"), [(1.2, 1.0), (-0.1, 0.0), (0.5, 2.0)])
def test_bce_point_refuses_values_outside_zero_one(h, y) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        bce.point(h, y)


def test_clamp_table_is_torchs_log_and_loss() -> None:
    table = bce.clamp_table()
    for row in table.itertuples(index=False):
        ht = torch.tensor([row[1]], dtype=getattr(torch, row[0]))
        assert row[3] == torch.log(ht).item()
        assert row[5] == nn.BCELoss()(ht, torch.ones_like(ht)).item()
        assert row[5] <= -bce.log_clamp()
    assert (table["BCELoss(h, y=1)"] == -bce.log_clamp()).sum() >= 4  # h = 0 and tiny h, per dtype


def test_batch_reductions_are_torchs_and_the_mean_of_the_formula() -> None:
    h, y = np.array([0.9, 0.2, 0.6, 0.05]), np.array([1.0, 0.0, 1.0, 1.0])
    b = bce.batch(h, y)
    ht, yt = torch.tensor(h, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    assert b.mean == nn.BCELoss()(ht, yt).item()
    assert b.total == nn.BCELoss(reduction="sum")(ht, yt).item()
    np.testing.assert_array_equal(b.per_sample["torch"], nn.BCELoss(reduction="none")(ht, yt))
    assert b.mean == pytest.approx(b.formula_mean, rel=1e-6)
    assert b.total == pytest.approx(b.formula_sum, rel=1e-6)
    assert b.formula_mean == pytest.approx(b.per_sample["formula"].mean())


def test_batch_with_h_out_of_range_quotes_torchs_refusal() -> None:
    said = attempt(lambda: nn.BCELoss()(torch.tensor([1.2, 0.5]), torch.tensor([1.0, 0.0])))
    with pytest.raises(ValueError, match=r"h = 1\.2 in row 0") as info:
        bce.batch(np.array([1.2, 0.5]), np.array([1.0, 0.0]))
    assert said.error in str(info.value)


@pytest.mark.parametrize(
    ("h", "y", "match"),
    [([], [], "empty"), ([0.5, np.nan], [1.0, 0.0], "empty cells"), ([0.5], [3.0], "y = 3")],
)
def test_batch_explains_bad_tables(h, y, match) -> None:
    with pytest.raises(ValueError, match=match):
        bce.batch(np.array(h), np.array(y))


@pytest.mark.parametrize("y", [0.0, 1.0, 0.4])
def test_bce_gradients_are_autograds_and_the_closed_form(y) -> None:
    g = bce.gradients(y, n=101)
    h = torch.tensor(g["h"].to_numpy(), requires_grad=True)
    nn.BCELoss(reduction="sum")(h, torch.full_like(h, y)).backward()
    np.testing.assert_allclose(g["torch_dh"], h.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g["torch_dh"], g["formula_dh"], rtol=1e-8, atol=1e-10)
    z = torch.tensor(g["z"].to_numpy(), requires_grad=True)
    nn.BCELoss(reduction="sum")(torch.sigmoid(z), torch.full_like(z, y)).backward()
    np.testing.assert_allclose(g["torch_dz"], z.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g["torch_dz"], g["formula_dz"], atol=1e-9)


# ---- BCEWithLogits -------------------------------------------------------------------------


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_sweep_is_torchs_two_step_and_fused_loss_beside_the_exact_one(y) -> None:
    frame = logits.sweep(y, z_max=120.0, n=241)
    for dtype in ("float32", "float64"):
        z = torch.tensor(frame["z"].unique(), dtype=getattr(torch, dtype))
        t = torch.full_like(z, y)
        rows = frame[frame["dtype"] == dtype]
        two = nn.BCELoss(reduction="none")(torch.sigmoid(z), t).double().numpy()
        fused = nn.BCEWithLogitsLoss(reduction="none")(z, t).double().numpy()
        np.testing.assert_array_equal(rows[rows["method"] == "sigmoid + BCELoss"]["loss"], two)
        np.testing.assert_array_equal(rows[rows["method"] == "BCEWithLogitsLoss"]["loss"], fused)
        # the fused loss stays exact over the whole sweep, to the dtype's precision
        exact = rows[rows["method"] == "BCEWithLogitsLoss"]["exact"].to_numpy()
        np.testing.assert_allclose(fused, exact, rtol=1e-5, atol=1e-5)


def test_exact_is_the_softplus_closed_form() -> None:
    z = np.linspace(-10, 10, 41)  # the naive form is itself inexact further out: the lesson
    for y in (0.0, 1.0, 0.3):
        expected = -(y * np.log(1 / (1 + np.exp(-z))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-z))))
        np.testing.assert_allclose(logits.exact(z, y), expected, rtol=1e-7)


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_partings_are_where_the_two_step_loss_first_leaves_the_exact_one(y) -> None:
    frame = logits.sweep(y)
    parts = {p.dtype: p for p in logits.partings(frame)}
    for dtype in ("float32", "float64"):
        p = parts[dtype]
        assert p.z is not None, f"{dtype}: expected the two-step loss to part within ±120"
        assert p.fused_max_error < logits.PART_TOL
        zt = torch.tensor([p.z], dtype=getattr(torch, dtype))
        got = nn.BCELoss()(torch.sigmoid(zt), torch.full_like(zt, y)).item()
        assert got == p.loss
        assert abs(got - p.exact) > logits.PART_TOL * max(p.exact, 1)
        # every z closer to 0 (on either side) is still within tolerance
        two = frame[(frame["dtype"] == dtype) & (frame["method"] == "sigmoid + BCELoss")]
        assert (two[two["z"].abs() < abs(p.z)]["error"] <= logits.PART_TOL).all()
    assert abs(parts["float64"].z) > abs(parts["float32"].z)  # more bits, later parting


@pytest.mark.parametrize("p", [1.0, 3.0, 0.5])
def test_pos_weight_curves_match_torch_and_scale_only_the_positive_branch(p) -> None:
    frame = logits.pos_weight_curves(p)
    assert sorted(frame["pos_weight"].unique()) == sorted({1.0, p})
    for (pw, y), g in frame.groupby(["pos_weight", "y"]):
        z = torch.tensor(g["z"].to_numpy())
        loss = nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor([pw]))
        np.testing.assert_allclose(g["torch"], loss(z, torch.full_like(z, y)).numpy(), rtol=1e-12)
        np.testing.assert_allclose(g["torch"], g["formula"], rtol=1e-9, atol=1e-12)
    one = frame[(frame["pos_weight"] == 1.0) & (frame["y"] == 1.0)]["torch"].to_numpy()
    mine = frame[(frame["pos_weight"] == p) & (frame["y"] == 1.0)]["torch"].to_numpy()
    np.testing.assert_allclose(mine, p * one, rtol=1e-12)
    zero = frame[frame["y"] == 0.0].groupby("pos_weight")["torch"].apply(np.asarray)
    np.testing.assert_array_equal(zero.iloc[0], zero.iloc[-1])


# ---- CrossEntropy --------------------------------------------------------------------------

LOGITS = np.array([2.0, 1.0, 0.1, -1.0])


@pytest.mark.parametrize(("target", "temperature"), [(0, 1.0), (2, 0.5), (3, 4.0)])
def test_softmax_loss_is_ce_is_nll_of_log_softmax_is_the_formula(target, temperature) -> None:
    sm = cross_entropy.softmax_loss(LOGITS, target, temperature)
    z = torch.tensor(LOGITS / temperature).reshape(1, -1).requires_grad_()
    t = torch.tensor([target])
    loss = nn.CrossEntropyLoss()(z, t)
    loss.backward()
    assert sm.ce == loss.item()
    assert sm.nll == pytest.approx(nn.NLLLoss()(F.log_softmax(z, 1), t).item(), rel=1e-14)
    assert sm.formula == pytest.approx(sm.ce, rel=1e-12)
    np.testing.assert_allclose(sm.probs, torch.softmax(z, 1)[0].detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(sm.grad, z.grad[0].numpy(), rtol=1e-14)
    np.testing.assert_allclose(sm.grad, sm.formula_grad, atol=1e-12)
    assert sm.ce == pytest.approx(-math.log(sm.probs[target]), rel=1e-12)


@pytest.mark.parametrize("target", [4, -1, 99])
def test_out_of_range_target_is_a_sentence_with_torchs_words(target) -> None:
    said = attempt(lambda: nn.CrossEntropyLoss()(torch.zeros(1, 4), torch.tensor([target])))
    with pytest.raises(ValueError, match="between 0 and 3") as info:
        cross_entropy.softmax_loss(LOGITS, target)
    assert said.error in str(info.value)


@pytest.mark.parametrize(
    ("logits", "temperature", "match"),
    [([1.0], 1.0, "at least two"), ([1.0, np.nan], 1.0, "finite"), ([1.0, 2.0], 0.0, "above 0")],
)
def test_softmax_loss_explains_bad_input(logits, temperature, match) -> None:
    with pytest.raises(ValueError, match=match):
        cross_entropy.softmax_loss(np.array(logits), 0, temperature)


def test_temperature_sweep_is_torchs_softmax_and_loss_per_temperature() -> None:
    frame = cross_entropy.temperature_sweep(LOGITS, 1, n=21)
    for row in frame.itertuples(index=False):
        z = torch.tensor(LOGITS).reshape(1, -1) / row.T
        assert row.loss == pytest.approx(nn.CrossEntropyLoss()(z, torch.tensor([1])).item())
        probs = torch.softmax(z, 1)[0].numpy()
        np.testing.assert_allclose([row.p0, row.p1, row.p2, row.p3], probs, rtol=1e-12)
    assert frame["p0"].iloc[0] > 0.99  # T = 0.1: almost argmax
    assert frame[["p0", "p1", "p2", "p3"]].iloc[-1].max() < 0.35  # T = 10: near 1/C


def test_label_dtype_table_is_what_torch_does_now() -> None:
    table = cross_entropy.label_dtype_table([LOGITS], [1])
    x = torch.tensor(LOGITS, dtype=torch.float32).reshape(1, -1)
    assert len(table) == len(cross_entropy.LABEL_DTYPES)
    for dtype, row in zip(cross_entropy.LABEL_DTYPES, table.itertuples(index=False), strict=True):
        assert row[0] == str(dtype).removeprefix("torch.")
        try:
            value = nn.CrossEntropyLoss()(x, torch.tensor([1]).to(dtype)).item()
        except Exception as exc:
            assert not row.accepted
            assert row[3] == f"{type(exc).__name__}: {exc}"
        else:
            assert row.accepted and row[3] == ""
            assert row.loss == pytest.approx(value)
    assert table.iloc[0]["accepted"]  # int64, the note's rule, is always accepted


def test_label_dtype_table_by_default_is_the_lessons_batch_of_four() -> None:
    table = cross_entropy.label_dtype_table().set_index("label dtype")
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    expected = nn.CrossEntropyLoss()(logits, torch.tensor([0, 2, 1, 2])).item()
    assert table.loc["int64", "loss"] == pytest.approx(expected)


def test_out_of_range_table_is_what_torch_does_now() -> None:
    table = cross_entropy.out_of_range(3)
    for bad, row in zip((3, -1, -100), table.itertuples(index=False), strict=True):
        got = attempt(
            lambda bad=bad: nn.CrossEntropyLoss()(torch.zeros(2, 3), torch.tensor([0, bad]))
        )
        assert row.accepted == got.ok
        assert row.result == (f"loss = {got.value.item():.6f}" if got.ok else got.error)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5])
def test_label_smoothing_equals_the_smoothed_probability_target(eps) -> None:
    pt = cross_entropy.probability_targets(LOGITS, 2, eps)
    z = torch.tensor(LOGITS).reshape(1, -1)
    assert pt.index_loss == nn.CrossEntropyLoss(label_smoothing=eps)(z, torch.tensor([2])).item()
    q = torch.tensor(pt.q).reshape(1, -1)
    assert pt.probability_loss == nn.CrossEntropyLoss()(z, q).item()
    assert pt.probability_loss == pytest.approx(pt.index_loss, rel=1e-12)
    assert pt.formula == pytest.approx(pt.index_loss, rel=1e-12)
    assert pt.q.sum() == pytest.approx(1.0) and pt.q[2] == pytest.approx(1 - eps + eps / 4)
    long_one_hot = attempt(lambda: nn.CrossEntropyLoss()(z, F.one_hot(torch.tensor([2]), 4)))
    assert pt.long_probabilities_error == long_one_hot.error


def test_ce_keeps_pushing_when_confidently_wrong_while_mse_goes_quiet() -> None:
    frame = cross_entropy.ce_vs_mse_gradient(n_classes=3, n=81)
    for name, g in frame.groupby("loss"):
        np.testing.assert_allclose(g["torch"], g["formula"], atol=1e-12)
        # autograd, here, on the same logits
        logits_ = torch.zeros(len(g), 3, dtype=torch.float64)
        logits_[:, 0] = torch.tensor(g["z_t"].to_numpy())
        logits_.requires_grad_()
        if name == "CrossEntropyLoss":
            loss = nn.CrossEntropyLoss(reduction="sum")(logits_, torch.zeros(len(g), dtype=int))
        else:
            onehot = F.one_hot(torch.zeros(len(g), dtype=int), 3).double()
            p = torch.softmax(logits_, 1)
            loss = nn.MSELoss(reduction="none")(p, onehot).mean(1).sum()
        loss.backward()
        np.testing.assert_allclose(g["torch"], logits_.grad[:, 0].numpy(), rtol=1e-12)
    wrong = frame[frame["p_t"] < 1e-3]
    assert (wrong[wrong["loss"] == "CrossEntropyLoss"]["torch"] < -0.99).all()
    assert (wrong[wrong["loss"] == "MSELoss on softmax"]["torch"].abs() < 1e-3).all()


# ---- MSE -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "noise", "seed"), [(8, 0.3, 0), (2, 0.0, 5), (12, 1.0, 42)])
def test_broadcast_bug_is_torchs_wrong_value_and_warning(n, noise, seed) -> None:
    b = mse.broadcast(n, noise, seed)
    pred = torch.tensor(b.prediction, dtype=torch.float32).reshape(n, 1)
    target = torch.tensor(b.target, dtype=torch.float32)
    wrong = attempt(lambda: nn.MSELoss()(pred, target))
    assert b.input_shape == (n, 1) and b.target_shape == (n,) and b.diff_shape == (n, n)
    assert b.squared.shape == (n, n)
    assert b.wrong == wrong.value.item()
    assert b.warnings == wrong.warnings and len(b.warnings) == 1
    assert b.right == nn.MSELoss()(pred.squeeze(1), target).item()
    assert b.fix_warnings == []
    assert b.wrong == pytest.approx(b.wrong_formula, rel=1e-5)
    assert b.right == pytest.approx(b.right_formula, rel=1e-5, abs=1e-9)
    assert b.wrong > b.right


class _RefusingMSE(nn.MSELoss):
    """An MSELoss as a future torch might make it: mismatched shapes are an error."""

    def forward(self, input, target):
        if input.shape != target.shape:
            raise RuntimeError(f"shapes {tuple(input.shape)} and {tuple(target.shape)} differ")
        return super().forward(input, target)


def test_broadcast_reports_a_refusal_instead_of_a_loss(monkeypatch) -> None:
    from dataclasses import replace

    monkeypatch.setitem(LOSSES, "mse", replace(LOSSES["mse"], factory=_RefusingMSE))
    b = mse.broadcast(4)
    assert b.wrong is None
    assert b.wrong_error == "RuntimeError: shapes (4, 1) and (4,) differ"
    assert b.warnings == []
    assert b.right == pytest.approx(b.right_formula, rel=1e-5)
    assert "torch refused" in figs.broadcast_heatmap(b).layout.title.text


def test_broadcast_needs_two_samples() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        mse.broadcast(1)


# ---- contracts tried: target dtypes and shapes ---------------------------------------------


@pytest.mark.parametrize("name", contracts.LOSS_NAMES)
def test_dtype_shape_table_is_what_torch_does_now(name) -> None:
    table = contracts.dtype_shape_table(name)
    assert len(table) == len(contracts.CASES)
    for row, (in_dtype, in_shape, t_dtype, t_shape) in zip(
        table.to_dict("records"), contracts.CASES, strict=True
    ):
        x = contracts.inputs(name, in_dtype, in_shape)
        t = torch.tensor([0, 1, 1, 0]).reshape(t_shape).to(t_dtype)
        got = attempt(lambda x=x, t=t: LOSSES[name].factory()(x, t))
        assert row["accepted"] == got.ok, row
        assert row["warned"] == bool(got.warnings), row
        if got.ok:
            assert row["torch says"].startswith(f"loss = {got.value.item():.6f}")
        else:
            assert row["torch says"] == got.error


def test_the_notes_gaps_as_this_torch_decides() -> None:
    """The facts the page states, each checked against a direct call."""
    names = [n for n in LOSSES if n != "cross_entropy"]
    rows = {n: contracts.dtype_shape_table(n).set_index(["input", "target"]) for n in names}
    f64_in = ("float64 (N, 1)", "float32 (N, 1)")
    int_t = ("float32 (N, 1)", "int64 (N, 1)")
    flat_t = ("float32 (N, 1)", "float32 (N,)")

    def ok(loss, x, t) -> bool:
        return attempt(lambda: loss(x, t)).ok

    p = torch.rand(4, 1)
    assert rows["bce"].loc[f64_in, "accepted"] == ok(nn.BCELoss(), p.double(), p) is False
    assert rows["bce_with_logits"].loc[f64_in, "accepted"] == ok(
        nn.BCEWithLogitsLoss(), p.double(), p
    )
    assert rows["mse"].loc[f64_in, "accepted"] == ok(nn.MSELoss(), p.double(), p)
    assert rows["bce"].loc[int_t, "accepted"] == ok(nn.BCELoss(), p, p.long()) is False
    assert rows["bce"].loc[flat_t, "accepted"] == ok(nn.BCELoss(), p, p[:, 0]) is False
    assert rows["mse"].loc[flat_t, "warned"]  # accepted with a warning, not refused


def test_saturation_is_torchs_sigmoid_and_both_losses() -> None:
    for y in (1.0, 0.0):
        for sat in logits.saturation(y, z_max=120.0):
            dtype = bce.DTYPES[sat.dtype]
            z = torch.tensor([sat.z], dtype=dtype)
            t = torch.full_like(z, y)
            assert sat.z == (-120.0 if y == 1.0 else 120.0)
            assert sat.sigmoid == torch.sigmoid(z).item()
            assert sat.sigmoid_is_exact_label == (sat.sigmoid in (0.0, 1.0))
            assert sat.two_step == nn.BCELoss()(torch.sigmoid(z), t).item()
            assert sat.fused == nn.BCEWithLogitsLoss()(z, t).item()
            assert sat.clamp_hit == (sat.two_step == 100.0)
    # a logit small enough for sigmoid to hold: no clamp, and the two agree
    for sat in logits.saturation(1.0, z_max=5.0):
        assert not sat.clamp_hit and not sat.sigmoid_is_exact_label
        assert sat.two_step == pytest.approx(sat.exact, rel=1e-5)


@pytest.mark.parametrize("p", [0.5, 3.0])
def test_pos_weight_ratio_is_p_for_positives_and_one_for_negatives(p) -> None:
    ratios = logits.pos_weight_ratios(logits.pos_weight_curves(p))
    z = torch.linspace(-6, 6, 11, dtype=torch.float64)
    for y in (0.0, 1.0):
        t = torch.full_like(z, y)
        weighted = nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor([p]))(z, t)
        plain = nn.BCEWithLogitsLoss(reduction="none")(z, t)
        assert ratios[y] == pytest.approx(float((weighted / plain).median()), rel=1e-9)
    assert ratios[1.0] == pytest.approx(p) and ratios[0.0] == pytest.approx(1.0)


def test_ignored_sample_is_skipped_as_torch_does() -> None:
    ig = cross_entropy.ignored_sample(4)
    loss = nn.CrossEntropyLoss()
    assert ig.ignore_index == loss.ignore_index
    z = torch.tensor([[2.0, 0, 0, 0], [0.0, 0, 0, 0]])
    assert ig.with_ignored == loss(z, torch.tensor([0, loss.ignore_index])).item()
    assert ig.first_alone == loss(z[:1], torch.tensor([0])).item()
    assert ig.skipped
    # a real class in place of ignore_index changes the mean: the check can say no
    assert loss(z, torch.tensor([0, 1])).item() != ig.first_alone


def test_log_clamp_is_measured() -> None:
    for dtype, torch_dtype in bce.DTYPES.items():
        zero, one = torch.zeros(1, dtype=torch_dtype), torch.ones(1, dtype=torch_dtype)
        assert bce.log_clamp(dtype) == -nn.BCELoss()(zero, one).item()


# ---- the catalogue and the figures ---------------------------------------------------------


def test_every_loss_in_the_catalogue_has_latex_and_docs() -> None:
    for spec in LOSSES.values():
        assert spec.latex and spec.docs_url.endswith(f"torch.nn.{spec.label}.html")


def test_figures_carry_numpy_arrays_and_the_computed_values() -> None:
    pt = bce.point(0.3, 1.0)
    fig = figs.bce_curves(bce.curves(y=0.5), pt)
    assert all(isinstance(t.x, np.ndarray) and t.x.dtype.kind == "f" for t in fig.data)
    assert fig.data[-1].y[0] == pytest.approx(pt.torch_loss)
    sweep = logits.sweep(0.0)
    parts = logits.partings(sweep)
    fig = figs.logit_sweep(sweep, parts, 0.0)
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert all(f"parts at z = {p.z:g}" in notes for p in parts)
    sm = cross_entropy.softmax_loss(LOGITS, 1)
    assert f"{sm.ce:.4f}" in figs.softmax_bars(sm).layout.title.text
    b = mse.broadcast(5)
    heat = figs.broadcast_heatmap(b)
    np.testing.assert_array_equal(heat.data[0].z, b.squared)
    for build in (
        lambda: figs.bce_gradients(bce.gradients(1.0), 1.0),
        lambda: figs.pos_weight(logits.pos_weight_curves(2.0)),
        lambda: figs.temperature(cross_entropy.temperature_sweep(LOGITS, 0), 1.0, 0),
        lambda: figs.ce_vs_mse_gradient(cross_entropy.ce_vs_mse_gradient()),
    ):
        assert len(build().data) > 0


def test_core_never_imports_streamlit() -> None:
    code = (
        "import sys, torchxp_core.loss_lab.bce, torchxp_core.loss_lab.logits, "
        "torchxp_core.loss_lab.cross_entropy, torchxp_core.loss_lab.mse, "
        "torchxp_core.figures.losses; print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_sentences_follow_the_numbers() -> None:
    table = contracts.dtype_shape_table("mse")
    said = contracts.summary("mse", table)
    assert said.endswith(".") and ("refused none" in said) == bool(table["accepted"].all())
    bc = mse.broadcast(4, 0.3, 0)
    if bc.wrong is not None:
        assert "the mean of all 16 cells" in mse.broadcast_note(bc)
    assert "(4, 1)" in mse.broken_code(bc) and "(4,)" in mse.fixed_code(bc)
    pt = bce.point(0.0, 1.0, "float32")
    assert pt.clamped and f"at most {-bce.log_clamp('float32'):g}" in bce.clamp_note(pt)
    note = logits.saturation_note(1.0, logits.saturation(1.0))
    assert note.startswith("A confidently wrong logit with y = 1")
