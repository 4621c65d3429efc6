"""Control from many page threads against runs that end on their own: no run is left active.

Only a run's own thread writes its status (runner.Run._on_message, _on_status, _end); page
threads only send. Before that, Pause checked and set the status from the page thread while
the worker set FINISHED, and a finished run could stay "paused": active, holding a slot.
"""

import ast
import inspect
import random
import threading
import time

from torchxp_core import runner
from torchxp_core.config import DataConfig, RunConfig, TrainConfig
from torchxp_core.runner import ACTIVE, Run, RunRegistry, Status

# About 0.1-0.5 s of training: long enough to be hit mid-run, short enough to end on its own.
SHORT = RunConfig(DataConfig(n_samples=400), train=TrainConfig(epochs=4, batch_size=16))
# Stop is rare, so that about half the runs end on their own while being paused and stepped.
OPS = {"pause": 30, "resume": 35, "step": 20, "status": 13, "stop": 1, "stop_wait": 1}


def test_only_the_runs_own_thread_writes_its_status():
    tree = ast.parse(inspect.getsource(runner.Run))
    writers = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for sub in ast.walk(node)
        if isinstance(sub, ast.Assign)
        for target in sub.targets
        if ast.unparse(target) == "self.status"
    }
    assert writers == {"__init__", "_on_message", "_on_status", "_end"}  # the run's thread


def _hammer(runs: list[Run], until: threading.Event, errors: list, seed: int) -> None:
    rng = random.Random(seed)
    while not until.is_set():
        run, op = rng.choice(runs), rng.choices(list(OPS), list(OPS.values()))[0]
        try:
            if op == "pause":
                run.pause()
            elif op == "resume":
                run.resume()
            elif op == "step":
                run.step_once()
            elif op == "stop":
                run.stop()
            elif op == "stop_wait":
                run.stop(wait=True)
            else:
                run.progress(), run.elapsed(), run.active  # what a page tick reads
        except Exception as exc:  # any exception is the finding
            errors.append(f"{op} on {run.id}: {type(exc).__name__}: {exc}")
        time.sleep(rng.random() * 0.01)


def test_pause_resume_step_stop_from_many_threads_never_leave_a_run_active():
    reg = RunRegistry(max_active=4)
    ended = {status: 0 for status in Status}
    rounds, started = 0, time.monotonic()
    while time.monotonic() - started < 20 or rounds < 5:
        runs = reg.start_many([SHORT] * 4)
        until, errors = threading.Event(), []
        threads = [
            threading.Thread(target=_hammer, args=(runs, until, errors, rounds * 10 + i))
            for i in range(6)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while any(run.ended_at is None for run in runs) and time.monotonic() < deadline:
            time.sleep(0.02)  # paused runs are resumed or stopped by the hammers in time
        time.sleep(0.2)  # and the hammers go on against the ended runs for a while
        until.set()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        for run in runs:
            assert run.join(timeout=30), f"{run.id}'s thread never ended"
            assert run.status not in ACTIVE, f"{run.id} left {run.status}"
            assert run.status in (Status.FINISHED, Status.STOPPED), run.error
            assert run.ended_at is not None and len(run.log.steps().loss) == run.step
            ended[run.status] += 1
        rounds += 1
    assert ended[Status.FINISHED] and ended[Status.STOPPED]  # both kinds of end were raced
    assert sum(r.active for r in reg.runs()) == 0
    print(f"{rounds} rounds, ended: {ended}")
