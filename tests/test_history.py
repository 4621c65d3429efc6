"""Run history: stored runs read back identical, survive a kill, and never stop training."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from runs_helpers import finished_run, tiny_config

from torchxp_core.config import RunConfig
from torchxp_core.history import INTERRUPTED, HistoryStore, HistoryUnavailable
from torchxp_core.recorder import HistoryRecorder
from torchxp_core.runner import Status

ROOT = Path(__file__).resolve().parents[1]


def test_a_recorded_run_reads_back_identical_after_reopening_the_store(tmp_path, registry):
    store = HistoryStore(tmp_path)
    recorder = HistoryRecorder(store, registry, every_s=0.05).start()
    run = finished_run(registry, tiny_config(seed=4))
    recorder.stop()
    history_id = recorder.history_id(run)
    store.close()

    again = HistoryStore(tmp_path)
    stored = again.get(history_id)
    assert stored.status == Status.FINISHED and stored.name == run.id
    assert stored.config() == run.cfg
    assert stored.ended_at == run.ended_at and stored.started_at == run.started_at
    assert stored.n_steps == run.step == 15  # 160 train samples / 32 per batch x 3 epochs
    steps = again.steps(history_id)
    assert steps.loss.dtype == np.float32
    assert np.array_equal(steps.loss, run.log.steps().loss)
    assert np.array_equal(steps.seconds, run.log.steps().seconds)
    assert again.epochs(history_id) == run.log.epoch_records()
    assert stored.final == run.log.epoch_records()[-1]
    again.close()


def test_rename_tag_and_delete_are_stored(tmp_path, registry):
    store = HistoryStore(tmp_path)
    store.add_run("a", "first", tiny_config().to_dict(), status="finished")
    store.append(
        "a", 0, np.ones(3, np.float32), np.arange(3, dtype=np.float32), [], status="finished"
    )
    store.rename("a", "baseline")
    store.set_tags("a", [" adam", "moons ", "", "adam"])
    assert (store.get("a").name, store.get("a").tags) == ("baseline", ["adam", "moons"])
    store.delete("a")
    assert store.get("a") is None and store.runs() == []
    assert len(store.steps("a").loss) == 0  # its metrics went with it
    store.close()


def test_a_run_killed_mid_way_shows_as_interrupted_with_its_points_so_far(tmp_path):
    # A real server process, killed with SIGKILL while its run trains.
    child = textwrap.dedent(
        f"""
        import os, signal, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from torchxp_core.config import RunConfig
        from torchxp_core.history import HistoryStore
        from torchxp_core.recorder import HistoryRecorder
        from torchxp_core.runner import RunRegistry
        store, registry = HistoryStore({str(tmp_path)!r}), RunRegistry()
        HistoryRecorder(store, registry, every_s=0.1).start()
        cfg = RunConfig.from_dict({{"train": {{"epochs": 10000}}}})
        run = registry.start(cfg)
        while run.epoch < 2:
            time.sleep(0.05)
        time.sleep(0.3)  # a few more recorder ticks
        print(run.step, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    steps_at_kill = int(done.stdout.split()[0])

    store = HistoryStore(tmp_path)  # the restart
    [stored] = store.runs()
    assert stored.status == INTERRUPTED
    steps = store.steps(stored.id)
    assert 0 < len(steps.loss) <= steps_at_kill and stored.n_steps == len(steps.loss)
    assert np.isfinite(steps.loss).all() and (np.diff(steps.seconds) >= 0).all()
    assert len(store.epochs(stored.id)) >= 2
    store.close()


def test_concurrent_runs_recorded_at_once_lose_nothing(tmp_path, registry):
    store = HistoryStore(tmp_path)
    recorder = HistoryRecorder(store, registry, every_s=0.01).start()
    runs = [registry.start(tiny_config(seed=s, epochs=6)) for s in range(3)]
    for run in runs:
        assert run.join(60)
    recorder.stop()
    assert len(store.runs()) == 3
    for run in runs:
        history_id = recorder.history_id(run)
        assert np.array_equal(store.steps(history_id).loss, run.log.steps().loss)
        assert store.epochs(history_id) == run.log.epoch_records()
        assert store.get(history_id).status == Status.FINISHED
    store.close()


def test_two_connections_writing_the_same_file_at_once_lose_nothing(tmp_path):
    stores = [HistoryStore(tmp_path, recover=False) for _ in range(2)]
    for i, store in enumerate(stores):
        store.add_run(f"r{i}", f"r{i}", tiny_config().to_dict())

    def write(i: int) -> None:
        for chunk in range(100):
            values = np.full(10, chunk, np.float32)
            stores[i].append(f"r{i}", chunk * 10, values, values, [], status="running")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        loss = stores[0].steps(f"r{i}").loss
        assert np.array_equal(loss, np.repeat(np.arange(100, dtype=np.float32), 10))
    for store in stores:
        store.close()


def test_a_corrupt_database_file_raises_a_clear_error(tmp_path):
    (tmp_path / "history.sqlite").write_bytes(b"this is not a database, just bytes " * 200)
    with pytest.raises(HistoryUnavailable, match="Run history is off") as err:
        HistoryStore(tmp_path)
    assert "history.sqlite" in str(err.value) and "TORCHXP_DATA_DIR" in str(err.value)


def test_an_unwritable_data_folder_raises_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("TORCHXP_DATA_DIR", str(blocker))
    with pytest.raises(HistoryUnavailable, match="Training still works"):
        HistoryStore()
    if os.geteuid() != 0:  # root ignores file permissions, so this part needs a normal user
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
        with pytest.raises(HistoryUnavailable):
            HistoryStore(folder)


def test_training_goes_on_when_the_store_fails_mid_run(tmp_path, registry):
    store = HistoryStore(tmp_path)
    recorder = HistoryRecorder(store, registry, every_s=0.01).start()
    store.close()  # every later write fails
    run = finished_run(registry, tiny_config(epochs=5))
    recorder.stop()
    assert run.status == Status.FINISHED
    assert "Run history is off" in recorder.error


def test_the_data_folder_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHXP_DATA_DIR", str(tmp_path / "elsewhere"))
    store = HistoryStore()
    assert store.path == tmp_path / "elsewhere" / "history.sqlite" and store.path.exists()
    store.close()
    assert RunConfig.from_dict(tiny_config().to_dict()) == tiny_config()


def test_deleting_a_run_while_it_is_recorded_lets_the_recorder_go_on(tmp_path, registry):
    store = HistoryStore(tmp_path)
    recorder = HistoryRecorder(store, registry, every_s=0.01).start()
    first = registry.start(tiny_config(epochs=400))
    while recorder.history_id(first) is None or not store.get(recorder.history_id(first)).n_steps:
        first.join(0.05)
    store.delete(recorder.history_id(first))
    second = finished_run(registry, tiny_config(seed=1))
    first.stop()
    first.join(30)
    recorder.stop()
    assert recorder.error == ""
    assert store.get(recorder.history_id(first)) is None
    assert store.get(recorder.history_id(second)).status == Status.FINISHED
    store.close()


def test_a_stored_run_counts_the_epochs_its_last_record_names():
    from torchxp_core.history import StoredRun

    def stored(final: dict) -> StoredRun:
        return StoredRun("r", "r", [], {}, "stopped", "", 0.0, 1.0, "", "cpu", final)

    assert stored({"epoch": 7, "val_loss": 0.1}).epochs_trained == 7
    assert stored({}).epochs_trained == 0
    assert stored({"epoch": None}).epochs_trained == 0  # stopped before its first epoch
