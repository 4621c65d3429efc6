"""The loop and the runner against torch: learning, repeatability, stop, failure, divergence."""

import time

import pytest
import torch

from torchxp_core import training
from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.runner import Run, RunLimitError, Status


def _finish(run: Run, timeout: float = 120) -> Run:
    assert run.join(timeout), "the run did not end in time"
    return run


def test_training_on_moons_reaches_95_percent_validation_accuracy(registry):
    run = _finish(registry.start(RunConfig(train=TrainConfig(epochs=40))))
    assert run.status == Status.FINISHED, run.error
    assert run.log.epoch_records()[-1]["val_accuracy"] >= 0.95


def test_same_seed_and_settings_give_identical_losses(registry):
    cfg = RunConfig(model=ModelConfig(dropout=0.2), train=TrainConfig(epochs=3, seed=5))
    first = _finish(registry.start(cfg)).log.steps().loss
    second = _finish(registry.start(cfg)).log.steps().loss
    other = _finish(registry.start(RunConfig(train=TrainConfig(epochs=3, seed=6))))
    assert len(first) == 75 and (first == second).all()
    assert not (first == other.log.steps().loss).all()


def test_stop_halts_within_one_batch(registry):
    run = registry.start(RunConfig(train=TrainConfig(epochs=10_000)))
    while run.step < 20:
        time.sleep(0.01)
    run.pause()
    time.sleep(0.3)
    paused_at = run.step
    assert run.status == Status.PAUSED
    time.sleep(0.3)
    assert run.step == paused_at, "a paused run kept stepping"
    run.resume()
    while run.step < paused_at + 20:
        time.sleep(0.01)
    # Stop from inside the loop's own step callback: no further batch may start after it.
    stopped_at = {}
    original = run.on_step

    def on_step(loss):
        original(loss)
        if "step" not in stopped_at:
            stopped_at["step"] = run.step
            run.stop()

    run.on_step = on_step
    _finish(run)
    assert run.status == Status.STOPPED
    assert run.step == stopped_at["step"], "steps ran after stop() took effect"


def test_an_exception_in_the_loop_ends_that_run_as_failed_and_nothing_else(registry, monkeypatch):
    healthy = registry.start(RunConfig(train=TrainConfig(epochs=200)))
    real_phase = training.run_phase

    def broken_phase(phase, s, report):
        if s.cfg.train.seed == 99:  # only the run we mean to break
            raise RuntimeError("the GPU caught fire")
        return real_phase(phase, s, report)

    monkeypatch.setattr(training, "run_phase", broken_phase)
    broken = _finish(registry.start(RunConfig(train=TrainConfig(epochs=2, seed=99))))
    assert broken.status == Status.FAILED
    assert broken.error == "RuntimeError: the GPU caught fire"
    assert healthy.active and healthy.status != Status.FAILED
    healthy.stop()
    assert _finish(healthy).status == Status.STOPPED


def test_a_run_with_a_wrong_label_dtype_fails_with_torchs_own_message(registry):
    cfg = RunConfig(train=TrainConfig(epochs=1, pitfalls=("wrong_label_dtype",)))
    run = _finish(registry.start(cfg))
    with pytest.raises(RuntimeError) as expected:  # what torch itself says today
        torch.nn.CrossEntropyLoss()(torch.zeros(2, 2), torch.zeros(2, dtype=torch.int32))
    assert run.status == Status.FAILED
    assert run.error == f"RuntimeError: {expected.value}"


def test_a_huge_learning_rate_ends_as_diverged(registry):
    cfg = RunConfig(
        DataConfig(dataset="curve"),
        ModelConfig(hidden=(64, 64)),
        TrainConfig(loss="mse", optimizer="sgd", lr=50.0, momentum=0.9, epochs=50),
    )
    run = _finish(registry.start(cfg))
    assert run.status == Status.DIVERGED
    assert "diverged" in run.error and run.step < 50 * 25


def test_the_registry_caps_runs_at_once_with_a_clear_message(registry):
    registry.max_active = 1
    registry.start(RunConfig(train=TrainConfig(epochs=10_000)))
    with pytest.raises(RunLimitError, match="trains at most 1 at once"):
        registry.start(RunConfig())


def test_runs_record_owner_and_are_listed_per_tab(registry):
    a = registry.start(RunConfig(train=TrainConfig(epochs=1)), owner="tab-a")
    registry.start(RunConfig(train=TrainConfig(epochs=1)), owner="tab-b")
    assert registry.runs(owner="tab-a") == [a]


def test_epoch_records_and_snapshots_cover_the_run(registry):
    run = _finish(registry.start(RunConfig(train=TrainConfig(epochs=4))))
    records = run.log.epoch_records()
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert {"train_loss", "val_loss", "train_accuracy", "val_accuracy"} <= set(records[-1])
    snap = run.log.latest_snapshot()
    assert snap.epoch == 4 and snap.values.shape == (60, 60)
    assert ((snap.values >= 0) & (snap.values <= 1)).all()  # P(class 1)
    assert run.progress()["fraction"] == 1.0


def test_a_forgotten_zero_grad_changes_the_run_and_its_correct_twin_matches_a_normal_run(
    registry,
):
    base = RunConfig(model=ModelConfig(dropout=0.2), train=TrainConfig(epochs=3, seed=11))
    mistaken_cfg = RunConfig(
        base.data, base.model, TrainConfig(epochs=3, seed=11, pitfalls=("forget_zero_grad",))
    )
    # The mistaken run and its twin train at the same time, as the page starts them.
    mistaken, twin = registry.start_many([mistaken_cfg, base])
    _finish(mistaken), _finish(twin)
    normal = _finish(registry.start(base))
    assert (twin.log.steps().loss == normal.log.steps().loss).all()
    first_a, first_b = mistaken.log.steps().loss[0], twin.log.steps().loss[0]
    assert first_a == first_b  # same data, weights and batch: the mistake shows from step 2
    assert not (mistaken.log.steps().loss == twin.log.steps().loss).all()
