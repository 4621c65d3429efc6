"""Inside the network, checked against torch: units, weights, gradient flow, confusion matrix,
filters and feature maps are what the model computes; watching a run changes nothing in it."""

import json
from dataclasses import replace

import numpy as np
import plotly.io as pio
import pytest
import torch
from runs_helpers import QuietReporter
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from torch import nn

from torchxp_core import inside
from torchxp_core.config import ACTIVATIONS, DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.data import make_dataset
from torchxp_core.figures import inside as figs
from torchxp_core.metrics import ParamSnapshot
from torchxp_core.surface import surface_grid
from torchxp_core.training import fit, prepare


def _moons(**model) -> RunConfig:
    return RunConfig(data=DataConfig(n_samples=200), model=ModelConfig(**model))


def _shaken(model: nn.Module, step: int = 7) -> ParamSnapshot:
    """A snapshot unlike the initial weights (as if trained), buffers included."""
    gen = torch.Generator().manual_seed(step)
    weights = {
        n: (p.detach() + torch.randn(p.shape, generator=gen)).numpy().copy()
        for n, p in model.named_parameters()
    }
    buffers = {}
    for n, b in model.named_buffers():
        value = b.detach().clone()
        if value.is_floating_point():
            value = value + torch.rand(value.shape, generator=gen)  # running var stays > 0
        buffers[n] = value.numpy()
    grads = {n: np.ones_like(w) for n, w in weights.items()}
    return ParamSnapshot(step, 1, weights, grads, buffers)


def _block_ends(model: nn.Sequential) -> list[int]:
    """Index of the last module before each Linear after the first, and the model's end."""
    starts = [i for i, m in enumerate(model) if isinstance(m, nn.Linear)]
    return [s - 1 for s in starts[1:]] + [len(model) - 1]


@pytest.mark.parametrize("batch_norm,dropout", [(False, 0.0), (True, 0.3)])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_units_heatmap_is_its_hidden_activation_on_the_grid(activation, batch_norm, dropout):
    cfg = _moons(hidden=(12, 5), activation=activation, batch_norm=batch_norm, dropout=dropout)
    data = make_dataset(cfg.data)
    grid = surface_grid(data, "cpu")
    weights = _shaken(inside.rebuild(cfg, data))
    net = inside.compute(cfg, data, grid, weights, []).network
    reference = inside.rebuild(cfg, data, weights).eval()
    ny, nx = len(grid.axes[1]), len(grid.axes[0])
    for layer, end in zip(net.layers[1:], _block_ends(reference), strict=True):
        with torch.no_grad():  # the unit's value computed directly: the model up to its block end
            direct = reference[: end + 1](grid.points).numpy()
        assert layer.units == direct.shape[1]
        assert len(layer.activations) == min(direct.shape[1], inside.MAX_UNITS)
        for j, heatmap in enumerate(layer.activations):  # on the grid's points drawn
            on_grid = direct[:, j].reshape(ny, nx)[:: net.stride, :: net.stride]
            np.testing.assert_allclose(heatmap, on_grid, rtol=1e-5, atol=1e-6)
    x1 = grid.axes[0][None, :].repeat(ny, 0)[:: net.stride, :: net.stride]
    np.testing.assert_array_equal(net.layers[0].activations[0], x1)
    assert net.stride == 4 and net.layers[0].activations.shape == (2, 15, 15)  # 14 units: 16 a side
    if batch_norm:
        assert "BatchNorm" in net.eval_note and "Dropout" in net.eval_note
    assert not reference.training  # eval mode, and the view left it so


def test_the_weights_and_biases_drawn_are_the_snapshots():
    cfg = _moons(hidden=(20, 6))
    data = make_dataset(cfg.data)
    weights = _shaken(inside.rebuild(cfg, data))
    net = inside.compute(cfg, data, surface_grid(data, "cpu"), weights, []).network
    for k, name in enumerate(["0", "2", "4"]):
        rows, cols = net.weights[k].shape
        np.testing.assert_array_equal(
            net.weights[k], weights.weights[f"{name}.weight"][:rows, :cols]
        )
        np.testing.assert_array_equal(
            net.layers[k + 1].bias, weights.weights[f"{name}.bias"][:rows]
        )
    assert [w.shape for w in net.weights] == [(8, 2), (6, 8), (2, 6)]  # 20 units: 8 drawn
    fig = json.loads(pio.to_json(figs.network_figure(net, "t"), validate=False))
    hover = [t for t in fig["data"] if t.get("hovertemplate", "").startswith("w = ")]
    for trace, w in zip(hover, net.weights, strict=True):
        drawn = _array(trace["customdata"]).reshape(-1, 3)
        np.testing.assert_array_equal(drawn[:, 0], w.reshape(-1))
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert any("+12 more" in n for n in notes) and any("20 units" in n for n in notes)
    heatmaps = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 2 + 8 + 6 + 2  # a trace per unit drawn: 8 of 20, 6, 2
    units = [(layer, j) for layer in net.layers[1:] for j in range(len(layer.activations))]
    for trace, (layer, j) in zip(heatmaps[2:], units, strict=True):
        shown = layer.activations[j]  # what hover says (z), and its colour scale
        np.testing.assert_array_equal(_array(trace["z"]), shown)
        scale = max(np.abs(shown).max(), 0.05 * np.abs(layer.activations).max(), 1e-6)
        assert trace["zmax"] == pytest.approx(scale, rel=1e-5) and trace["zmin"] == -trace["zmax"]
        assert f"{layer.title} · unit {j}" in trace["hovertemplate"]


def _array(value) -> np.ndarray:
    """A plotly JSON array: a list, or {'dtype', 'bdata', 'shape'} for typed arrays."""
    if isinstance(value, dict):
        import base64

        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return raw.reshape([int(s) for s in str(value.get("shape", len(raw))).split(",")])
    return np.asarray(value)


def test_a_one_dimensional_curve_draws_each_unit_as_a_strip():
    cfg = RunConfig(data=DataConfig(dataset="curve", n_samples=100), train=TrainConfig(loss="mse"))
    data = make_dataset(cfg.data)
    net = inside.compute(cfg, data, surface_grid(data, "cpu")).network
    assert net.stride == 13  # 200 points, 18 units: 16 drawn per strip
    assert net.layers[0].activations.shape == (1, 1, 16)
    assert net.layers[-1].activations.shape == (1, 1, 16)
    np.testing.assert_array_equal(net.axes[0], surface_grid(data, "cpu").axes[0][::13])
    figs.network_figure(net, "curve")


@pytest.mark.parametrize("dataset,kind", [("digits", "cnn"), ("digits", "mlp"), ("shapes", "cnn")])
def test_confusion_matrix_equals_sklearns_on_the_same_predictions(dataset, kind):
    cfg = RunConfig(data=DataConfig(dataset=dataset), model=ModelConfig(kind=kind))
    data = make_dataset(cfg.data)
    weights = _shaken(inside.rebuild(cfg, data))
    model = inside.rebuild(cfg, data, weights)
    predicted = inside.predictions(cfg, model, data)
    with torch.no_grad():
        direct = model(torch.from_numpy(data.x_val)).argmax(dim=1).numpy()
    np.testing.assert_array_equal(predicted, direct)
    views = inside.compute(cfg, data, None, weights, [])
    expected = sk_confusion_matrix(data.y_val, predicted, labels=range(data.n_classes))
    np.testing.assert_array_equal(views.confusion, expected)
    assert views.network is None
    assert (views.filters is None) == (kind == "mlp")


def test_a_runs_snapshots_carry_the_classes_its_own_validation_gave_those_weights(registry):
    cfg = RunConfig(DataConfig(dataset="digits"), ModelConfig(kind="cnn"), TrainConfig(epochs=2))
    run = registry.start(cfg)
    assert run.join(120) and run.status == "finished"
    history = run.log.param_history()
    assert history[0].val_predicted is None  # the initial weights: no validation ran yet
    assert [s.epoch for s in history] == [0, 1, 2] and run.latest_params.final
    for snap in [*history[1:], run.latest_params]:  # the epochs', and the run's last weights
        direct = inside.predictions(cfg, inside.rebuild(cfg, run.data, snap), run.data)
        # Batches of 64 against one pass of 360: the same classes unless a near tie flips.
        assert (snap.val_predicted == direct).mean() >= 0.99
        assert snap.val_predicted.dtype == np.int16


@pytest.mark.parametrize("pitfalls", [(), ("forget_eval",)])
def test_validation_keeps_its_classes_only_when_it_ran_in_eval_mode(pitfalls):
    cfg = RunConfig(model=ModelConfig(dropout=0.3), train=TrainConfig(epochs=1, pitfalls=pitfalls))
    data = make_dataset(cfg.data)
    setup = prepare(cfg, data)
    fit(setup, QuietReporter())
    if pitfalls:  # train mode's classes (Dropout on) are not the eval-mode ones Inside shows
        assert setup.val_predicted is None
    else:
        direct = inside.predictions(cfg, setup.model, data)
        np.testing.assert_array_equal(setup.val_predicted.reshape(-1).numpy(), direct)


def test_the_page_takes_a_snapshots_classes_and_sends_only_the_chosen_image_through():
    cfg = RunConfig(data=DataConfig(dataset="shapes"), model=ModelConfig(kind="cnn"))
    data = make_dataset(cfg.data)
    weights = _shaken(inside.rebuild(cfg, data))
    told = np.zeros(len(data.y_val), np.int16)  # every sample "class 0", as if the run said so
    views = inside.compute(cfg, data, None, replace(weights, val_predicted=told), [], image=5)
    np.testing.assert_array_equal(views.confusion[:, 1:], 0)
    assert views.confusion[:, 0].sum() == len(data.y_val)
    plain = inside.compute(cfg, data, None, weights, [], image=5)  # the maps: the same forward
    np.testing.assert_allclose(views.maps.maps, plain.maps.maps, rtol=1e-5, atol=1e-6)
    assert (views.maps.predicted, views.maps.confidence) == pytest.approx(
        (plain.maps.predicted, plain.maps.confidence), rel=1e-5
    )


def test_filters_and_feature_maps_are_the_first_convolutions():
    cfg = RunConfig(data=DataConfig(dataset="shapes"), model=ModelConfig(kind="cnn"))
    data = make_dataset(cfg.data)
    weights = _shaken(inside.rebuild(cfg, data))
    views = inside.compute(cfg, data, None, weights, [], image=5)
    np.testing.assert_array_equal(views.filters, weights.weights["0.weight"])
    model = inside.rebuild(cfg, data, weights)
    with torch.no_grad():
        direct = model[0](torch.from_numpy(data.x_val[5:6]))[0].numpy()  # (16, 16, 16)
    np.testing.assert_allclose(views.maps.maps, direct, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(views.maps.image, data.x_val[5])
    assert views.maps.label == data.y_val[5] and views.maps.maps.shape == (16, 16, 16)
    figs.filters_figure(views.filters), figs.feature_maps_figure(views.maps, ["a"] * 6)


def test_class_names_of_shapes_follow_the_generator():
    cfg = DataConfig(dataset="shapes", standardize=False)
    data = make_dataset(cfg)
    names = inside.class_names("shapes", 6)
    for c, name in enumerate(names):
        images = data.x_train[data.y_train == c]
        red, blue = images[:, 0].max(axis=(1, 2)), images[:, 2].max(axis=(1, 2))
        assert (red > blue).all() == name.startswith("red")


def _snap(step, weights, grads, update=None):
    return ParamSnapshot(
        step,
        step,
        {k: np.asarray(v, np.float32) for k, v in weights.items()},
        {k: None if v is None else np.asarray(v, np.float32) for k, v in grads.items()},
        last_update=update,
    )


def test_gradient_flow_is_each_layers_norm_and_its_last_steps_update_ratio():
    weights = {"0.weight": [3.0, 4.0], "0.bias": [0.0], "2.weight": [1.0]}
    history = [
        _snap(0, weights, dict.fromkeys(weights)),  # initial: no grad, no step watched
        _snap(
            10,
            weights,
            {"0.weight": [1.0, 2.0], "0.bias": [2.0], "2.weight": [0.5]},
            {"0.weight": (4.0, 25.0), "0.bias": (1.0, 0.0), "2.weight": (0.0, 1.0)},
        ),
        _snap(20, weights, {"0.weight": [0.0, 0.0], "0.bias": [0.1], "2.weight": [0.25]}),
        _snap(
            30,
            weights,
            {"0.weight": [0.0, 0.0], "0.bias": [0.1], "2.weight": [0.25]},
            {"0.weight": (0.09, 20.0), "0.bias": (0.0, 5.0), "2.weight": (0.0, 1.0)},
        ),
    ]
    flow = inside.gradient_flow(history, {"0": "0 Linear", "2": "2 Linear"})
    np.testing.assert_array_equal(flow.grad_steps["0"], [10, 20, 30])  # step 0 has no grad
    np.testing.assert_allclose(flow.grad_norm["0"], [3.0, 0.1, 0.1], rtol=1e-6)
    # The layer's parameters together: sqrt(sum ‖Δw‖² / sum ‖w‖²); step 20 was not watched.
    np.testing.assert_allclose(flow.update_ratio["0"], [np.sqrt(5 / 25), np.sqrt(0.09 / 25)])
    np.testing.assert_array_equal(flow.ratio_steps["0"], [10, 30])
    assert flow.frozen == ("2",) and len(flow.update_ratio["2"]) == 0  # 0 cannot be on a log axis
    figs.grad_norm_figure(flow), figs.update_ratio_figure(flow)


def test_a_snapshots_last_update_is_its_last_sgd_step(registry):
    """Plain SGD moves w by -lr * g: the snapshot's ‖Δw‖² must be lr² ‖g‖² of its own grads."""
    lr = 0.05
    train = TrainConfig(epochs=3, optimizer="sgd", lr=lr, momentum=0.0)
    run = registry.start(RunConfig(model=ModelConfig(hidden=(16,), frozen=("0",)), train=train))
    assert run.join(60) and run.status == "finished"
    history = run.log.param_history()
    assert history[0].last_update is None  # the initial weights: no step yet
    for snap in history[1:]:
        for name, (moved, before) in snap.last_update.items():
            g, w = snap.grads[name], snap.weights[name]
            if name.startswith("0."):  # frozen: never stepped, no .grad
                assert g is None and moved == 0.0
                continue
            assert moved == pytest.approx(lr**2 * float(np.vdot(g, g)), rel=1e-4)
            assert before == pytest.approx(float(np.vdot(w + lr * g, w + lr * g)), rel=1e-4)
    flow = inside.gradient_flow(history, {"0": "0 Linear", "2": "2 Linear"})
    assert flow.frozen == ("0",) and len(flow.update_ratio["2"]) == len(history) - 1


def test_before_train_one_batch_shows_vanishing_gradients_of_a_deep_sigmoid_mlp():
    deep = _moons(hidden=(16,) * 6, activation="sigmoid")
    data = make_dataset(deep.data)
    sigmoid = inside.compute(deep, data, surface_grid(data, "cpu")).first_batch
    relu = inside.one_batch_grad_norms(
        replace(deep, model=replace(deep.model, activation="relu")), data
    )
    assert list(sigmoid) == ["0", "2", "4", "6", "8", "10", "12"]
    assert sigmoid["0"] < sigmoid["12"] / 100  # the first layer gets almost nothing
    assert sigmoid["0"] / sigmoid["12"] < relu["0"] / relu["12"]


def _every_view(run) -> None:
    """What the page computes each tick, for every kind of data."""
    history = run.log.param_history()
    views = inside.compute(run.cfg, run.data, run.grid, run.latest_params, history, image=3)
    if views.network is not None:
        figs.network_figure(views.network, "t")
    if views.flow is not None:
        figs.grad_norm_figure(views.flow), figs.update_ratio_figure(views.flow)


@pytest.mark.parametrize(
    "cfg",
    [
        RunConfig(
            data=DataConfig(n_samples=300),
            model=ModelConfig(hidden=(16, 16), batch_norm=True, dropout=0.2),
            train=TrainConfig(epochs=8, batch_size=16),
        ),
        RunConfig(
            data=DataConfig(dataset="digits"),
            model=ModelConfig(kind="cnn", dropout=0.2),
            train=TrainConfig(epochs=2, batch_size=32),
        ),
    ],
    ids=["moons-bn-dropout", "digits-cnn"],
)
def test_a_watched_run_has_bit_identical_losses_to_an_unwatched_one(registry, cfg):
    watched, alone = registry.start_many([cfg, cfg], owner="test")
    ticks = 0
    while watched.active:
        if watched.data is not None:
            _every_view(watched)
            ticks += 1
    assert watched.join(timeout=120) and alone.join(timeout=120)
    _every_view(watched)  # and once more on the final weights
    assert ticks > 0 and watched.status == alone.status == "finished"
    a, b = watched.log.steps(), alone.log.steps()
    assert len(a.loss) == watched.total_steps
    np.testing.assert_array_equal(a.loss, b.loss)  # bit for bit
    assert watched.log.epoch_records()[-1]["val_loss"] == alone.log.epoch_records()[-1]["val_loss"]
    for name, w in watched.latest_params.weights.items():
        np.testing.assert_array_equal(w, alone.latest_params.weights[name])


def test_gradient_flow_kept_between_ticks_equals_one_computed_afresh():
    cfg = _moons(hidden=(6, 4))
    data = make_dataset(cfg.data)
    model = inside.rebuild(cfg, data)
    history = [_shaken(model, step) for step in range(1, 30)]
    names = inside.layer_names(model)
    cache: dict = {}
    for end in (5, 12, 29):  # the log grows, then drops its oldest snapshots (deque maxlen)
        for shown in (history[:end], history[end // 2 : end]):
            kept, fresh = (
                inside.gradient_flow(shown, names, cache),
                inside.gradient_flow(shown, names),
            )
            for layer in names:
                np.testing.assert_array_equal(kept.grad_norm[layer], fresh.grad_norm[layer])
                np.testing.assert_array_equal(kept.update_ratio[layer], fresh.update_ratio[layer])
    assert len(cache) == len(history[14:29])  # rows of dropped snapshots are let go


def test_a_model_kept_between_ticks_shows_only_the_newest_snapshot():
    cfg = _moons(hidden=(6, 5), batch_norm=True, dropout=0.2)
    data = make_dataset(cfg.data)
    grid = surface_grid(data, "cpu")
    first, second = (_shaken(inside.rebuild(cfg, data), step) for step in (3, 4))
    inside.compute(cfg, data, grid, first, [first])  # leaves its model idle for the next tick
    net = inside.compute(cfg, data, grid, second, [first, second]).network
    fresh = inside.network(inside.rebuild(cfg, data, second), grid)
    for drawn, direct in zip(net.layers, fresh.layers, strict=True):
        np.testing.assert_array_equal(drawn.activations, direct.activations)
    for drawn, direct in zip(net.weights, fresh.weights, strict=True):
        np.testing.assert_array_equal(drawn, direct)


def test_a_cnn_kept_between_ticks_shows_only_the_newest_snapshot():
    cfg = RunConfig(data=DataConfig(dataset="shapes"), model=ModelConfig(kind="cnn"))
    data = make_dataset(cfg.data)
    snaps = [_shaken(inside.rebuild(cfg, data), step) for step in (3, 4, 5)]
    for snap in snaps:  # the first builds the model; the others are copied into it
        views = inside.compute(cfg, data, None, snap, [snap], image=7)
        model = inside.rebuild(cfg, data, snap)
        with torch.no_grad():
            direct = model(torch.from_numpy(data.x_val)).argmax(dim=1).numpy()
            maps = model[0](torch.from_numpy(data.x_val[7:8]))[0].numpy()
        expected = sk_confusion_matrix(data.y_val, direct, labels=range(data.n_classes))
        np.testing.assert_array_equal(views.confusion, expected)
        np.testing.assert_allclose(views.maps.maps, maps, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(views.filters, snap.weights["0.weight"])
    again = inside.compute(cfg, data, None, snaps[-1], [snaps[-1]], image=7)  # kept: same
    np.testing.assert_array_equal(again.confusion, views.confusion)


def test_a_snapshot_that_does_not_fit_the_kept_model_is_refused():
    cfg = _moons(hidden=(6,))
    data = make_dataset(cfg.data)
    snap = _shaken(inside.rebuild(cfg, data))
    inside.compute(cfg, data, None, snap, [snap])  # keeps a model of this shape
    wrong = ParamSnapshot(9, 1, {**snap.weights, "0.weight": snap.weights["0.weight"][:3]}, {}, {})
    with pytest.raises(RuntimeError, match=r"0\.weight"):
        inside.compute(cfg, data, None, wrong, [wrong])


def test_a_deep_nets_flow_charts_name_layers_by_a_depth_colour_bar_not_a_legend():
    def flow(n_layers):
        names = {str(2 * i): f"{2 * i} Linear" for i in range(n_layers)}
        steps = np.arange(1, 4, dtype=np.float32)
        series = {k: np.array([0.1, 0.2, 0.3], np.float32) for k in names}
        return inside.Flow(names, dict.fromkeys(names, steps), series, {}, {}, ())

    shallow = json.loads(pio.to_json(figs.grad_norm_figure(flow(3)), validate=False))
    assert shallow["layout"]["showlegend"] and len(shallow["data"]) == 3
    deep = json.loads(pio.to_json(figs.grad_norm_figure(flow(9)), validate=False))
    assert deep["layout"]["showlegend"] is False
    bar = deep["data"][-1]["marker"]["colorbar"]
    assert bar["ticktext"] == ["0 Linear", "16 Linear"] and len(deep["data"]) == 9 + 1
    assert all("Linear<br>step" in t["hovertemplate"] for t in deep["data"][:-1])
