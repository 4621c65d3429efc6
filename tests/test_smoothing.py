"""Smoothing matches TensorBoard's debiased EMA; decimation keeps extremes and ends."""

import numpy as np
import pytest

from torchxp_core.smoothing import debiased_ema, decimate


def tensorboard_reference(values, weight):
    """Written from the definition: last = w·last + (1−w)·y; shown = last / (1 − w^t)."""
    last, shown = 0.0, []
    for t, y in enumerate(values, start=1):
        last = weight * last + (1 - weight) * float(y)
        shown.append(last / (1 - weight**t))
    return np.array(shown)


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99])
def test_debiased_ema_matches_the_reference(weight):
    values = np.random.default_rng(0).normal(2.0, 0.5, 500).astype(np.float32)
    np.testing.assert_allclose(
        debiased_ema(values, weight), tensorboard_reference(values, weight), rtol=1e-9
    )


def test_debiasing_starts_at_the_first_value_not_at_zero():
    assert debiased_ema(np.array([5.0, 5.0, 5.0]), 0.9)[0] == pytest.approx(5.0)


def test_decimation_keeps_spikes_ends_and_a_bounded_count():
    values = np.ones(1_000_000, dtype=np.float32)
    values[123_457] = 1e6  # a divergence spike a stride would drop
    values[777_777] = -5
    idx = decimate(values, 1500)
    assert len(idx) <= 1500
    assert {0, 999_999, 123_457, 777_777} <= set(idx.tolist())
    assert (np.diff(idx) > 0).all()


def test_short_series_are_not_decimated():
    assert decimate(np.arange(10.0), 1500).tolist() == list(range(10))


def test_live_curve_fed_in_pieces_equals_the_whole_series_smoothed():
    from torchxp_core.smoothing import LiveCurve

    rng = np.random.default_rng(1)
    values = rng.normal(size=200_000).astype(np.float32)
    curve, pos = LiveCurve(0.9, max_points=1500), 0
    while pos < len(values):  # ragged pieces, as ticks see them
        k = int(rng.integers(1, 3000))
        curve.extend(values[pos : pos + k])
        pos += k
        idx = curve.indices()
        assert len(idx) <= 1500 and idx[0] == 0 and idx[-1] == min(pos, len(values)) - 1
    np.testing.assert_allclose(
        curve.smooth, tensorboard_reference(values, 0.9).astype(np.float32), rtol=1e-4, atol=1e-6
    )
    idx = curve.indices()
    assert {int(values.argmin()), int(values.argmax())} <= set(idx.tolist())
    assert (np.diff(idx) > 0).all()
