"""The loop and the runner against torch: learning, repeatability, stop, failure, divergence."""

import math
import time

import numpy as np
import pytest
import torch

from torchxp_core import training
from torchxp_core.config import PITFALLS, DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.runner import TORCH_THREADS, Run, RunLimitError, Status


def _finish(run: Run, timeout: float = 120) -> Run:
    assert run.join(timeout), "the run did not end in time"
    return run


class _Collect:
    """A Reporter that keeps the losses: the loop run right here, in this process."""

    def __init__(self):
        self.losses = []

    def checkpoint(self):
        pass

    def on_step(self, loss):
        self.losses.append(loss)

    def on_epoch(self, epoch, results):
        pass


def _in_process_losses(cfg: RunConfig) -> np.ndarray:
    reporter, threads = _Collect(), torch.get_num_threads()
    torch.set_num_threads(TORCH_THREADS)  # as the worker does: a conv's sums depend on it
    try:
        training.fit(training.prepare(cfg), reporter)
    finally:
        torch.set_num_threads(threads)
    return np.asarray(reporter.losses, np.float32)


def test_a_run_in_its_worker_gives_the_same_losses_as_the_loop_run_in_this_process(registry):
    for cfg in (
        RunConfig(model=ModelConfig(dropout=0.2), train=TrainConfig(epochs=3, seed=5)),
        RunConfig(DataConfig(dataset="digits"), ModelConfig(kind="cnn"), TrainConfig(epochs=1)),
    ):
        run = _finish(registry.start(cfg))
        assert run.status == Status.FINISHED, run.error
        assert (run.log.steps().loss == _in_process_losses(cfg)).all()


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


# Big enough that one batch takes a good part of a second on one thread, so "within one
# batch" can be seen from outside the worker.
SLOW_BATCHES = RunConfig(
    DataConfig(n_samples=4000),
    ModelConfig(hidden=(1024, 1024, 1024)),
    TrainConfig(batch_size=512, epochs=100),
)


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_pause_holds_the_worker_and_stop_halts_within_one_batch(registry):
    run = registry.start(SLOW_BATCHES)
    _wait_for(lambda: run.step >= 2)
    run.pause()  # returns once the worker confirms, between two batches
    assert run.status == Status.PAUSED
    paused_at = run.step
    time.sleep(1.0)
    assert run.step == paused_at, "a paused run kept stepping"
    run.resume()
    _wait_for(lambda: run.step >= paused_at + 2)
    before = run.step
    run.stop()
    _finish(run, timeout=10)
    assert run.status == Status.STOPPED
    # The batch in flight when Stop arrived may finish; no batch may start after it.
    assert run.step <= before + 1, (before, run.step)


def test_step_trains_exactly_one_batch_of_a_paused_run(registry):
    run = registry.start(RunConfig(train=TrainConfig(epochs=10_000)))
    _wait_for(lambda: run.step >= 5)
    run.pause()
    at = run.step
    for expected in (at + 1, at + 2):
        run.step_once()
        assert run.step == expected and run.status == Status.PAUSED
    time.sleep(0.3)
    assert run.step == at + 2
    run.stop()
    assert _finish(run, timeout=10).status == Status.STOPPED


def test_a_failing_run_ends_as_failed_and_the_run_beside_it_trains_on(registry):
    healthy = registry.start(RunConfig(train=TrainConfig(epochs=10_000)))
    cfg = RunConfig(train=TrainConfig(epochs=2, pitfalls=("wrong_label_dtype",)))
    broken = _finish(registry.start(cfg))
    assert broken.status == Status.FAILED and broken.error.startswith("RuntimeError: ")
    steps = healthy.step
    _wait_for(lambda: healthy.step > steps + 50, timeout=10)
    assert healthy.status == Status.RUNNING
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
    elapsed = run.elapsed()
    time.sleep(0.2)
    assert run.elapsed() == elapsed, "the clock went on after the run ended"


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
    assert (twin.log.steps().loss == _in_process_losses(base)).all()
    first_a, first_b = mistaken.log.steps().loss[0], twin.log.steps().loss[0]
    assert first_a == first_b  # same data, weights and batch: the mistake shows from step 2
    assert not (mistaken.log.steps().loss == twin.log.steps().loss).all()


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_the_help_texts_learning_rate_of_5_diverges_before_reaching_inf(optimizer):
    # The help text of the learning rate promises this; Adam's loss at lr 5 never becomes
    # inf (its dead ReLUs sit at chance level), so only the explosion rule can catch it.
    cfg = RunConfig(train=TrainConfig(optimizer=optimizer, lr=5.0))
    reporter = _Collect()
    with pytest.raises(training.Diverged) as caught:
        training.fit(training.prepare(cfg), reporter)
    assert np.isfinite(reporter.losses).all()
    assert f"the learning rate 5 is too high for {optimizer}" in str(caught.value)
    assert len(reporter.losses) == 25  # caught at the end of its first epoch


def test_a_healthy_run_stays_far_below_the_divergence_rule():
    reporter = _Collect()
    training.fit(training.prepare(RunConfig(train=TrainConfig(epochs=10))), reporter)
    assert max(reporter.losses) < 0.3 * training.DIVERGE_FACTOR * reporter.losses[0]


def test_a_forgotten_zero_grad_that_explodes_names_the_missing_call():
    cfg = RunConfig(train=TrainConfig(optimizer="sgd", lr=0.5, pitfalls=("forget_zero_grad",)))
    with pytest.raises(training.Diverged, match="Without zero_grad"):
        training.fit(training.prepare(cfg), _Collect())


class _Epochs(_Collect):
    def __init__(self, stop_after: int):
        super().__init__()
        self.epochs, self.stop_after = 0, stop_after

    def on_epoch(self, epoch, results):
        self.epochs = epoch

    def checkpoint(self):
        if self.epochs >= self.stop_after:
            raise training.Stopped


def test_an_endless_run_trains_past_its_epoch_count_until_stopped():
    cfg = RunConfig(data=DataConfig(n_samples=100), train=TrainConfig(epochs=1, endless=True))
    reporter = _Epochs(stop_after=4)
    with pytest.raises(training.Stopped):
        training.fit(training.prepare(cfg), reporter)
    assert reporter.epochs == 4


def test_run_ids_are_unique_across_registries_as_across_server_restarts():
    from torchxp_core.runner import RunRegistry

    first, second = RunRegistry(), RunRegistry()
    cfg = RunConfig(data=DataConfig(n_samples=100), train=TrainConfig(epochs=1))
    a, b = first.start(cfg), second.start(cfg)
    assert a.id != b.id and a.id.startswith("run-1-") and b.id.startswith("run-1-")
    _finish(a), _finish(b)


def test_an_ended_runs_clock_stops_and_an_endless_run_has_no_total(registry):
    cfg = RunConfig(data=DataConfig(n_samples=100), train=TrainConfig(epochs=1, endless=True))
    run = registry.start(cfg)
    assert run.wait_for_first_step(timeout=30)
    assert run.total_steps is None and run.progress()["eta_s"] == 0.0
    run.stop(wait=True)
    _finish(run)
    frozen = run.elapsed()
    time.sleep(0.3)
    assert run.elapsed() == frozen and run.status == Status.STOPPED


def _fit_pair(cfg: RunConfig):
    """The mistaken run and its correct twin, each fitted here; their reporters."""
    from dataclasses import replace

    pair = []
    for c in (cfg, replace(cfg, train=replace(cfg.train, pitfalls=()))):
        reporter = _Last()
        training.fit(training.prepare(c), reporter)
        pair.append(reporter)
    return pair


class _Last(_Collect):
    def on_epoch(self, epoch, results):
        self.last = results


def test_mse_with_n_targets_against_n_by_1_outputs_flattens_the_fit():
    cfg = RunConfig(
        DataConfig(dataset="curve"),
        ModelConfig(hidden=(32, 32)),
        TrainConfig(loss="mse", epochs=40, pitfalls=("mse_shape",)),
    )
    with pytest.warns(UserWarning, match="target size"):  # torch's own warning, every batch
        mistake, twin = _fit_pair(cfg)
    assert mistake.last["val"]["rmse"] > 3 * twin.last["val"]["rmse"]


def test_softmax_before_cross_entropy_puts_a_floor_under_the_loss():
    cfg = RunConfig(train=TrainConfig(epochs=30, pitfalls=("softmax_before_ce",)))
    mistake, twin = _fit_pair(cfg)
    floor = -math.log(math.e / (math.e + 1))  # CE of softmax outputs in [0, 1], 2 classes
    assert min(mistake.losses) >= floor - 1e-6 and min(twin.losses) < floor / 3


def test_a_sigmoid_fed_to_bce_with_logits_puts_a_floor_under_the_loss():
    cfg = RunConfig(
        train=TrainConfig(loss="bce_with_logits", epochs=30, pitfalls=("sigmoid_into_logits_loss",))
    )
    mistake, twin = _fit_pair(cfg)
    floor = -math.log(torch.sigmoid(torch.tensor(1.0)).item())  # sigmoid(p) <= sigmoid(1)
    assert min(mistake.losses) >= floor - 1e-6 and min(twin.losses) < floor / 3


def test_raw_logits_fed_to_bce_fail_with_torchs_own_words():
    cfg = RunConfig(train=TrainConfig(loss="bce", pitfalls=("logits_into_bce",)))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        training.fit(training.prepare(cfg), _Collect())


def test_nhwc_images_reshaped_instead_of_permuted_leave_the_cnn_far_behind():
    cfg = RunConfig(
        DataConfig(dataset="shapes"),
        ModelConfig(kind="cnn", hidden=(32,)),
        TrainConfig(epochs=10, pitfalls=("nhwc_reshape",)),
    )
    mistake, twin = _fit_pair(cfg)
    assert twin.last["val"]["accuracy"] > mistake.last["val"]["accuracy"] + 0.15


@pytest.mark.parametrize("pitfall", sorted(PITFALLS))
def test_a_mistake_and_its_twin_start_from_identical_weights(pitfall):
    from dataclasses import replace

    from torchxp_core.config import PITFALL_LOSSES

    loss = PITFALL_LOSSES.get(pitfall, "cross_entropy")
    data = {"nhwc_reshape": "shapes", "mse_shape": "curve"}.get(pitfall, "moons")
    cfg = RunConfig(
        DataConfig(dataset=data, n_samples=100),
        ModelConfig(kind="cnn" if data == "shapes" else "mlp"),
        TrainConfig(loss=loss, pitfalls=(pitfall,)),
    )
    a = training.prepare(cfg).model.state_dict()
    b = training.prepare(replace(cfg, train=replace(cfg.train, pitfalls=()))).model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_step_traces_its_batch_and_the_grads_equal_a_manual_backward(registry):
    cfg = RunConfig(train=TrainConfig(epochs=1000))
    run = registry.start(cfg)
    _wait_for(lambda: run.step >= 3)
    run.pause()
    before = run.params_now()  # the weights and grads as the Step's batch begins
    run.step_once()
    _wait_for(lambda: run.trace is not None)
    trace = run.trace
    run.stop(wait=True)
    assert trace["batch"]["shape"] == (32, 2) and trace["batch"]["dtype"] == "float32"
    assert trace["outputs"]["shape"] == (32, 2) and trace["zero_grad"]
    # The same batch by hand: the run's weights, the run's batch order, one backward.
    setup = training.prepare(cfg)
    setup.model.load_state_dict({k: torch.from_numpy(v) for k, v in before.weights.items()})
    order_gen = setup.generator
    n, size = len(setup.tensors["train"][0]), cfg.train.batch_size
    per_epoch = -(-n // size)
    order = None
    for _ in range(before.step // per_epoch + 1):
        order = torch.randperm(n, generator=order_gen)
    idx = order[(before.step % per_epoch) * size :][:size]
    x, y = setup.tensors["train"][0][idx], setup.tensors["train"][1][idx]
    loss = setup.criterion(setup.model(x), y)
    loss.backward()
    assert loss.item() == pytest.approx(trace["loss"], rel=1e-6)
    for row in trace["params"]:
        grad = dict(setup.model.named_parameters())[row["parameter"]].grad
        assert row[".grad after backward (norm)"] == pytest.approx(grad.norm().item(), rel=1e-5)
