"""The process runner's own promises: failure stays inside, no orphans, fast starts, requests."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from torchxp_core import runner
from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.runner import RunRegistry, Status

ROOT = Path(__file__).resolve().parents[1]
LONG = RunConfig(train=TrainConfig(epochs=10_000))


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not running anything.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_killed_worker_fails_its_run_with_a_sentence_and_the_other_run_goes_on(registry):
    victim, other = registry.start_many([LONG, LONG])
    _wait_for(lambda: victim.step > 10 and other.step > 10)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.join(10)
    assert victim.status == Status.FAILED
    assert "killed by SIGKILL" in victim.error
    steps = other.step
    _wait_for(lambda: other.step > steps + 50, timeout=10)
    assert other.status == Status.RUNNING


def test_a_run_past_its_memory_budget_fails_alone_with_a_sentence():
    registry = RunRegistry(max_active=2)
    cfg = RunConfig(
        DataConfig(n_samples=2000), ModelConfig(hidden=(4096, 4096)), TrainConfig(epochs=1)
    )
    small = runner.Run("oom", cfg, memory_budget=64 * 2**20).start()  # weights alone: 64 MB
    healthy = registry.start(RunConfig(train=TrainConfig(epochs=3)))
    assert small.join(60) and healthy.join(60)
    assert small.status == Status.FAILED
    assert "budget of 0.1 GiB" in small.error and "server and other runs go on" in small.error
    assert healthy.status == Status.FINISHED


def test_train_to_first_point_is_fast_once_the_forkserver_is_warm(registry):
    runner.warm_up()
    registry.start(RunConfig(train=TrainConfig(epochs=1))).join(60)  # the forkserver is up
    started = time.perf_counter()
    run = registry.start(LONG)
    _wait_for(lambda: run.step > 0 or not run.active)
    took = time.perf_counter() - started
    assert run.status == Status.RUNNING
    assert took < 1.5, f"{took:.2f} s from start to the first step: is torch imported per run?"


def test_a_live_run_answers_requests_for_its_weights_between_batches(registry):
    run = registry.start(LONG)
    _wait_for(lambda: run.step > 20)
    snap = run.request("params")
    assert snap is not None and snap.step >= 20 and not snap.final
    assert set(snap.weights) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    assert run.request("no such thing") is None
    run.stop()
    assert run.join(10)
    assert run.request("params") is None  # an ended run has no worker to ask
    assert run.params_now().final and run.params_now().step == run.step


def test_stop_and_pause_sent_before_the_worker_started_are_kept(registry):
    paused = registry.start(LONG)
    paused.pause()
    stopped = registry.start(LONG)
    stopped.stop()
    assert stopped.join(30) and stopped.status == Status.STOPPED
    _wait_for(lambda: paused.status == Status.PAUSED)
    time.sleep(0.3)
    assert paused.step == 0


def test_wait_ended_waits_for_a_stop_and_no_longer_than_it_is_told(registry):
    run = registry.start(LONG)
    _wait_for(lambda: run.step > 0)
    assert not run.wait_ended(0.2) and run.status == Status.RUNNING  # training: it times out
    run.stop()
    assert run.wait_ended(30) and run.status == Status.STOPPED


SERVER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from multiprocessing import forkserver
    from torchxp_core.config import RunConfig, TrainConfig
    from torchxp_core.runner import RunRegistry
    run = RunRegistry().start(RunConfig(train=TrainConfig(epochs=10_000)))
    while run.step == 0:
        time.sleep(0.01)
    print(run.pid, forkserver._forkserver._forkserver_pid, flush=True)
    time.sleep(600)
    """
)


def test_a_killed_server_leaves_no_worker_behind(tmp_path):
    script = tmp_path / "server.py"
    script.write_text(SERVER.format(root=str(ROOT)))
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker_pid, forkserver_pid = map(int, server.stdout.readline().split())
        assert _alive(worker_pid) and _alive(forkserver_pid)
        server.kill()  # SIGKILL: no atexit, no cleanup of any kind
        server.wait()
        _wait_for(lambda: not _alive(worker_pid) and not _alive(forkserver_pid), timeout=10)
    finally:
        server.kill()


def test_pause_and_step_draw_the_surface_of_the_weights_the_run_holds(registry):
    run = registry.start(LONG)
    _wait_for(lambda: run.step > 50 and run.log.latest_snapshot() is not None)
    run.pause()
    _wait_for(lambda: run.status == Status.PAUSED)
    # Surfaces come at most every 0.4 s while training; a pause draws the weights it stops at.
    _wait_for(lambda: run.log.latest_snapshot().step == run.step, timeout=5)
    held = run.step
    run.step_once()
    _wait_for(lambda: run.step == held + 1 and run.status == Status.PAUSED)
    _wait_for(lambda: run.log.latest_snapshot().step == held + 1, timeout=5)
