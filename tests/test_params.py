"""Parameter tables against the model, and frozen layers provably unchanged through a real run."""

from dataclasses import replace

import numpy as np
import pytest

from torchxp_core import params
from torchxp_core.config import DataConfig, RunConfig, TrainConfig
from torchxp_core.runner import RunRegistry, Status


def _cfg(frozen=(), epochs=3) -> RunConfig:
    cfg = RunConfig(
        data=DataConfig(n_samples=200),
        train=TrainConfig(epochs=epochs, batch_size=32, optimizer="sgd", lr=0.1),
    )
    return replace(cfg, model=replace(cfg.model, frozen=tuple(frozen)))


def test_param_table_matches_each_parameter_after_one_backward() -> None:
    pv = params.preview(_cfg(frozen=("0",)))
    model = pv.setup.model
    params.one_backward(model, pv.setup.criterion(model(pv.inputs), pv.targets))
    rows = params.param_table(model)
    named = dict(model.named_parameters())
    assert [r["name"] for r in rows] == list(named)
    for row in rows:
        p = named[row["name"]]
        assert row["shape"] == "×".join(map(str, p.shape))
        assert row["dtype"] == "float32" and row["device"] == str(p.device)
        assert row["requires_grad"] == p.requires_grad and row["is_leaf"] == p.is_leaf
        assert row["numel"] == p.numel()
        if p.requires_grad:
            assert row["grad norm"] == pytest.approx(float(p.grad.norm()))
        else:
            assert p.grad is None and row["grad norm"] is None
    assert [r["requires_grad"] for r in rows][:2] == [False, False]


def test_optimizer_counts_only_the_parameters_that_train() -> None:
    free, frozen = params.preview(_cfg()), params.preview(_cfg(frozen=("0", "4")))
    total = params.count(free.setup.model.parameters())
    assert params.optimizer_count(free.setup.optimizer) == total
    trainable = [p for p in frozen.setup.model.parameters() if p.requires_grad]
    counted = params.optimizer_count(frozen.setup.optimizer)
    assert counted == params.count(trainable)
    assert counted.tensors == total.tensors - 4  # two layers, weight and bias each
    assert counted.elements == total.elements - (2 * 16 + 16) - (16 * 2 + 2)


def test_frozen_layer_weights_stay_exactly_unchanged_through_a_real_run() -> None:
    registry = RunRegistry(max_active=1)
    run = registry.start(_cfg(frozen=("2",), epochs=4))
    try:
        assert run.join(timeout=120), "the run did not finish in time"
    finally:
        run.stop()
        run.join(timeout=10)
    assert run.status == Status.FINISHED, run.error
    history = run.log.param_history()
    epochs = [s.epoch for s in history]  # at most 4 a second: not every epoch of a fast run
    assert epochs[0] == 0 and epochs[-1] == 4 and epochs == sorted(set(epochs))  # 0: initial
    first, last = history[0], history[-1]
    for name in first.weights:
        moved = np.abs(last.weights[name] - first.weights[name]).max()
        if name.startswith("2."):
            assert moved == 0.0 and last.grads[name] is None
        else:
            assert moved > 0.0 and last.grads[name] is not None
    change = params.weight_change(history, run.cfg.model.frozen).set_index("layer")
    assert change.loc["2", "max |Δw|"] == 0.0 and change.loc["2", "frozen"]
    assert (change.drop(index="2")["max |Δw|"] > 0).all()

    norms = params.norm_history(history)
    assert len(norms) == len(history) * len(first.weights)
    assert norms[norms["layer"] == "2"]["grad_norm"].isna().all()
    row = norms[(norms["epoch"] == 4) & (norms["param"] == "0.weight")].iloc[0]
    assert row["weight_norm"] == pytest.approx(float(np.linalg.norm(last.weights["0.weight"])))
    assert params.values_at(history, 4, "2.weight", "grads") is None
    assert params.values_at(history, 4, "0.weight", "weights").size == 2 * 16


def test_values_at_explains_bad_requests() -> None:
    with pytest.raises(ValueError, match="epoch 9"):
        params.values_at([], 9, "0.weight", "weights")
    with pytest.raises(ValueError, match="'weights' or 'grads'"):
        params.values_at([], 1, "0.weight", "bias")
    assert params.weight_change([]).empty


def test_a_live_preview_rebuilds_the_runs_model_from_its_weights_and_leaves_the_run_untouched():
    registry = RunRegistry(max_active=1)
    cfg = _cfg(frozen=("0",), epochs=10_000)
    cfg = replace(cfg, model=replace(cfg.model, batch_norm=True))  # buffers must come too
    run = registry.start(cfg)
    try:
        while run.step < 30:
            run.join(0.01)
        run.pause()
        snap = run.params_now()
        assert snap.step == run.step and "1.running_mean" in snap.buffers
        pv = params.live_preview(run.cfg, run.data, snap)
        state = pv.setup.model.state_dict()
        for name, value in {**snap.weights, **snap.buffers}.items():
            assert np.array_equal(state[name].numpy(), value), name
        frozen = {n: not p.requires_grad for n, p in pv.setup.model.named_parameters()}
        assert frozen["0.weight"] and frozen["0.bias"]
        assert not any(f for name, f in frozen.items() if not name.startswith("0."))
        loss = pv.setup.criterion(pv.setup.model(pv.inputs), pv.targets)
        params.one_backward(pv.setup.model, loss)
        after = run.params_now()  # the worker's model, asked again: not moved by our backward
        for name, value in snap.weights.items():
            assert np.array_equal(after.weights[name], value), name
    finally:
        run.stop()
        assert run.join(30)


def test_lab_model_keeps_only_the_frozen_layers_the_model_has_and_inspect_counts_them() -> None:
    view = params.lab_model(_cfg(), ["0", "99"])
    assert view.layers == ["0", "2", "4"] and view.frozen == ["0"]
    assert not any(p.requires_grad for p in view.preview.setup.model[0].parameters())
    ins = params.inspect(view.preview)
    model = view.preview.setup.model
    assert ins.total.tensors == len(list(model.parameters())) == ins.trains.tensors + 2
    assert ins.loss > 0 and len(ins.table) == ins.total.tensors
    assert all(row["grad norm"] is None for row in ins.table if row["layer"].startswith("0 "))
