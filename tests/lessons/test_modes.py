"""Lesson #3 against torch as it runs: Dropout and BatchNorm in train and eval mode."""

import numpy as np
import pytest
import torch
from torch import nn

from torchxp_core.lessons import modes


def test_eval_outputs_repeat_exactly_and_train_outputs_differ():
    outputs = modes.outputs_by_mode(p=0.5, calls=4, samples=6)
    spread = modes.call_spread(outputs)
    assert spread["eval"] == 0.0
    assert spread["train"] > 0.0


def test_without_dropout_train_mode_still_differs_from_eval_through_batchnorm():
    outputs = modes.outputs_by_mode(p=0.0, calls=2, samples=6)
    assert modes.call_spread(outputs)["train"] == 0.0  # batch stats are deterministic
    by_mode = outputs[outputs["call"] == 0].pivot(index="sample", columns="mode", values="output")
    assert not np.allclose(by_mode["train"], by_mode["eval"])


@pytest.mark.parametrize("p", [0.2, 0.5, 0.75])
def test_dropout_scales_kept_units_by_one_over_one_minus_p(p):
    mask = modes.dropout_mask(p=p, rows=16, cols=32)
    assert mask.expected_scale == pytest.approx(1 / (1 - p))
    np.testing.assert_allclose(mask.kept_values, [1 / (1 - p)], rtol=1e-6)
    assert set(np.unique(mask.train_output)) <= {0.0, float(mask.kept_values[0])}
    assert (mask.eval_output == 1).all()
    assert abs(mask.kept_fraction - (1 - p)) < 0.15


def test_bad_dropout_probability_is_refused():
    with pytest.raises(ValueError, match="Dropout probability"):
        modes.dropout_mask(p=1.0)


def test_batchnorm_train_mode_uses_batch_stats_and_eval_uses_running_stats():
    stats = modes.batchnorm_stats(samples=16, shift=2.0)
    np.testing.assert_allclose(stats["output mean (train mode)"], 0.0, atol=1e-5)
    # eval: (batch mean - running mean) / sqrt(running var + eps), with the layer's affine
    # parameters at their initial weight 1 and bias 0
    expected = (stats["batch mean"] - stats["running mean"]) / np.sqrt(stats["running var"] + 1e-5)
    np.testing.assert_allclose(stats["output mean (eval mode)"], expected, rtol=1e-4)


def test_running_stats_move_when_validation_runs_in_train_mode():
    drift = modes.running_stats_drift(passes=10, shift=3.0)
    eval_means = drift[drift["mode"] == "eval"]["running_mean"].to_numpy()
    train_means = drift[drift["mode"] == "train"]["running_mean"].to_numpy()
    assert (eval_means == eval_means[0]).all()
    assert train_means[0] == eval_means[0]
    assert train_means[-1] > train_means[0] + 1.0  # dragged toward the validation mean 3
    # and that is torch's own rule: running = (1 - momentum) * running + momentum * batch mean
    bn = nn.BatchNorm1d(1)
    with torch.no_grad():
        bn(torch.full((4, 1), 3.0) + torch.tensor([[1.0], [-1.0], [1.0], [-1.0]]))
    assert bn.running_mean.item() == pytest.approx(bn.momentum * 3.0)


@pytest.mark.parametrize("p", [0.0, 0.3])
def test_eval_mode_dropout_is_the_identity_as_torch_says(p):
    mask = modes.dropout_mask(p=p)
    expected = nn.Dropout(p).eval()(torch.ones(8, 24))
    assert mask.eval_is_identity == bool(torch.equal(expected, torch.ones(8, 24)))
    assert mask.eval_is_identity
    broken = modes.DropoutMask(p, mask.train_output, mask.train_output, 0.5, np.array([2.0]), 2.0)
    assert broken.eval_is_identity == bool((mask.train_output == 1).all())


@pytest.mark.parametrize("shift", [0.0, 3.0])
def test_batchnorm_uses_batch_stats_in_train_and_running_in_eval(shift):
    assert modes.batchnorm_uses(shift=shift) == {"eval": "running", "train": "batch"}


def test_drift_summary_reads_the_running_mean_before_and_after():
    drift = modes.running_stats_drift(passes=5, shift=3.0)
    moved = modes.drift_summary(drift)
    for mode, part in drift.groupby("mode"):
        assert moved[mode] == (part["running_mean"].iloc[0], part["running_mean"].iloc[-1])
    assert moved["eval"][0] == moved["eval"][1]  # eval mode leaves the buffers alone
    assert moved["train"][1] > moved["train"][0] + 0.5  # train mode drags them toward 3
