"""Comparing runs: TensorBoard's smoothing, labels that name the difference, seed bands."""

import numpy as np
import plotly.graph_objects as go
import pytest

from torchxp_core import compare
from torchxp_core.figures import compare as figs
from torchxp_core.history import StoredRun
from torchxp_core.metrics import StepSeries
from torchxp_core.smoothing import debiased_ema


def tensorboard_smoothing(values, weight: float) -> list[float]:
    """TensorBoard's debiased EMA, written from its definition, one point at a time."""
    last, shown = 0.0, []
    for t, y in enumerate(values, start=1):
        last = weight * last + (1 - weight) * y
        shown.append(last / (1 - weight**t))
    return shown


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99])
def test_smoothing_matches_tensorboards_debiased_ema(weight):
    values = np.random.default_rng(1).lognormal(size=500).astype(np.float32)
    reference = tensorboard_smoothing(values.tolist(), weight)
    np.testing.assert_allclose(debiased_ema(values, weight), reference, rtol=1e-12)
    # No pull towards zero at the start (TensorBoard's old bias): the first point is the value.
    assert debiased_ema(values, weight)[0] == pytest.approx(values[0])


def _run(run_id: str, **train) -> StoredRun:
    settings = {
        "data": {"dataset": "moons", "seed": 0},
        "model": {"hidden": [16, 16]},
        "train": {"optimizer": "adam", "lr": 0.01, "seed": 0, **train},
    }
    return StoredRun(
        run_id,
        run_id,
        [],
        settings,
        "finished",
        "",
        0.0,
        1.0,
        "2.13.0",
        "cpu",
        {"epoch": 3, "val_loss": 0.5 + train.get("lr", 0.01)},
        10,
    )


def _series(values) -> StepSeries:
    values = np.asarray(values, np.float32)
    return StepSeries(values, np.arange(len(values), dtype=np.float32) * 0.1)


def test_legend_labels_name_only_the_settings_that_differ():
    runs = [_run("a", lr=0.1), _run("b", lr=0.01, optimizer="sgd")]
    assert compare.differing_keys(runs) == ["train.optimizer", "train.lr"]
    series = {r.id: _series([1.0, 0.5, 0.25]) for r in runs}
    curves = compare.curves(runs, series, 0.5)
    assert [c.label for c in curves] == ["a (optimizer=adam, lr=0.1)", "b (optimizer=sgd, lr=0.01)"]
    assert np.array_equal(curves[0].x, [1, 2, 3])
    np.testing.assert_allclose(curves[0].smooth, tensorboard_smoothing([1.0, 0.5, 0.25], 0.5))
    seconds = compare.curves(runs, series, 0.5, "seconds")[0].x
    np.testing.assert_allclose(seconds, [0, 0.1, 0.2], rtol=1e-6)


def test_runs_differing_only_by_seed_form_a_band_of_mean_and_std():
    runs = [_run("s0", seed=0), _run("s1", seed=1), _run("s2", seed=2), _run("x", lr=0.1)]
    [group] = compare.seed_groups(runs)
    assert [r.id for r in group] == ["s0", "s1", "s2"]
    series = {"s0": _series([1, 2, 3, 9]), "s1": _series([3, 4, 5]), "s2": _series([2, 3, 4])}
    band = compare.band(group, series, 0.0)  # no smoothing: plain mean and std
    assert band.members == 3 and len(band.x) == 3  # aligned on the shortest run
    np.testing.assert_allclose(band.mean, [2, 3, 4])
    np.testing.assert_allclose(band.std, np.std([[1, 2, 3], [3, 4, 5], [2, 3, 4]], axis=0))
    fig = figs.overlay_figure([], [band], log_y=True)
    assert any(t.fill == "toself" for t in fig.data) and fig.layout.yaxis.type == "log"


def test_settings_table_highlights_the_rows_that_differ():
    runs = [_run("a", lr=0.1), _run("b", lr=0.01)]
    table, differing = compare.settings_table(runs)
    assert "train.lr" in differing and "final val_loss" in differing
    assert "train.optimizer" not in differing
    css = figs.style_settings(table, differing).to_html().split("</style>")[0]
    rows = list(table.index)
    for key in differing:
        assert f"_row{rows.index(key)}_col0" in css
    assert f"_row{rows.index('train.optimizer')}_col0" not in css


def test_parallel_coordinates_put_settings_against_final_validation_loss():
    runs = [_run("a", lr=0.1, optimizer="sgd"), _run("b", lr=0.01), _run("c", lr=0.001)]
    frame = compare.parallel_frame(runs)
    assert list(frame.columns) == ["optimizer", "lr", "final val loss"]
    fig = figs.parallel_figure(frame)
    assert isinstance(fig.data[0], go.Parcoords)
    assert [d.label for d in fig.data[0].dimensions] == ["optimizer", "lr", "final val loss"]


def test_overlay_draws_a_decimated_copy_of_the_smoothed_full_series():
    values = np.random.default_rng(0).lognormal(size=50_000).astype(np.float32)
    runs = [_run("a")]
    [curve] = compare.curves(runs, {"a": _series(values)}, 0.9)
    fig = figs.overlay_figure([curve], [], log_y=True)
    raw, smooth = fig.data[0], fig.data[1]
    assert len(smooth.y) < 2000 and len(smooth.y) == len(raw.y)
    full = debiased_ema(values, 0.9)
    drawn_at = np.asarray(smooth.x, dtype=np.int64) - 1
    np.testing.assert_allclose(smooth.y, full[drawn_at], rtol=1e-6)  # not smoothed after decimating


def test_filters_and_sorting_of_the_runs_table():
    runs = [_run("a", lr=0.1, optimizer="sgd"), _run("b", lr=0.01), _run("c", lr=0.001)]
    runs[0].started_at = 5.0
    assert compare.filter_options(runs, "optimizer") == ["adam", "sgd"]
    assert [r.id for r in compare.filter_runs(runs, {"optimizer": ["adam"]})] == ["b", "c"]
    by_loss = compare.sort_runs(runs, compare.SORTS[1])
    assert [r.id for r in by_loss] == ["c", "b", "a"]
    assert compare.sort_runs(runs, compare.SORTS[0])[0].id == "a"
    frame = compare.runs_frame(runs)
    assert list(frame["id"]) == ["a", "b", "c"] and "val loss" in frame.columns
