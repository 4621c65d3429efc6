"""Runs: each trains in a worker process, run by a background thread of the server.

Why processes: a small model's step is mostly Python and dispatch under the GIL, so two
loops in two threads train slower together than one alone (969 vs 1,324 steps/s here), and
page work waits on them. A ``Run`` is still the object pages hold; its thread starts the
worker (``worker.py``), relays Pause/Resume/Stop/Step and requests, and is the only writer of
the run's ``MetricsLog`` and status. A worker that raises, runs out of memory or is killed
ends its own run; the server and the other runs go on.

Workers are forked from a forkserver that imported torch once (``warm_up``), so a run starts
in tens of milliseconds, and the server never forks itself (unsafe once CUDA is initialised).
"""

import ctypes
import itertools
import math
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from enum import StrEnum
from multiprocessing import forkserver, spawn

from torchxp_core import budget, worker
from torchxp_core.config import RunConfig
from torchxp_core.data import Dataset, make_dataset
from torchxp_core.metrics import MetricsLog, ParamSnapshot
from torchxp_core.surface import SurfaceGrid, surface_grid

# Each worker uses one torch thread: these models are too small to gain from more, and on
# 2 cores two runs then train in parallel while the server keeps a core's share for pages.
TORCH_THREADS = 1
# A worker may map this much beyond what it maps at start; past it, that run fails alone.
MEMORY_BUDGET = int(os.environ.get("TORCHXP_MEMORY_BUDGET_MB", "4096")) * 2**20
CONTROL_WAIT_S = 1.0  # how long a control call waits for the worker to confirm it

_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
_CONTEXT = multiprocessing.get_context(_METHOD)
if _METHOD == "forkserver":
    # torch._dynamo: torch.optim imports it when the first optimizer is built (1.5 s here).
    # torchxp_core.warm: a tiny run's first batches, torch's first-use work done once here.
    _CONTEXT.set_forkserver_preload(
        ["torch", "torch._dynamo", "torchxp_core.worker", "torchxp_core.warm"]
    )


_LAUNCH_LOCK = threading.Lock()

try:  # glibc: hand freed heap pages back to the system (see _give_back_freed)
    _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):  # pragma: no cover - another C library
    _MALLOC_TRIM = None


def _give_back_freed() -> None:
    """glibc keeps the megabyte-sized weight copies that shed runs freed in its heap, where
    they still count as the server's memory: RSS wandered 20-40 MB over 200 runs, 4 MB once
    trimmed. A trim costs 1-4 ms; it runs once per start that shed a run."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _without_main(preparation: dict) -> dict:
    preparation.pop("init_main_from_path", None)
    preparation.pop("init_main_from_name", None)
    return preparation


if _METHOD == "forkserver":
    from multiprocessing import popen_forkserver

    class _WorkerPopen(popen_forkserver.Popen):
        """forkserver's launch, minus the server's ``__main__``.

        multiprocessing re-runs the parent's main script in each child; here that is
        Streamlit's CLI, pytest or a benchmark: seconds of imports, or a script that starts
        processes itself. The worker needs only ``torchxp_core.worker``, which it has.
        """

        def _launch(self, process_obj):
            with _LAUNCH_LOCK:
                prepare = spawn.get_preparation_data
                spawn.get_preparation_data = lambda name: _without_main(prepare(name))
                try:
                    super()._launch(process_obj)
                finally:
                    spawn.get_preparation_data = prepare

    class _WorkerProcess(_CONTEXT.Process):
        @staticmethod
        def _Popen(process_obj):
            return _WorkerPopen(process_obj)

else:  # pragma: no cover - platforms without fork: spawn's own launch
    _WorkerProcess = _CONTEXT.Process


def warm_up() -> None:
    """Start the forkserver now (it imports torch once), so the first Train starts fast."""
    if _METHOD == "forkserver":
        forkserver.ensure_running()


class Status(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"
    DIVERGED = "diverged"


ACTIVE = frozenset({Status.PENDING, Status.RUNNING, Status.PAUSED})


class Run:
    """One training run: a worker process, and the thread that runs it and records it."""

    def __init__(
        self, run_id: str, cfg: RunConfig, owner: str = "", memory_budget: int = MEMORY_BUDGET
    ):
        self.id, self.cfg, self.owner = run_id, cfg, owner
        self.memory_budget = memory_budget
        self.log = MetricsLog()
        self.status = Status.PENDING
        self.error = ""  # a sentence for the page when failed or diverged
        self.warnings: list[str] = []  # what torch warned while training, once each
        self.trace: dict | None = None  # the last Step's batch, stage by stage (step_trace)
        self.epoch = 0
        self.step = 0
        self.data: Dataset | None = None  # the run's data, as the worker trains on it
        self.grid: SurfaceGrid | None = None  # where the surface snapshots are evaluated
        self.steps_per_epoch = 0
        self.latest_params: ParamSnapshot | None = None  # the newest weights the worker sent
        self.pid: int | None = None  # the worker process, once started
        self.started_at = time.time()
        self.ended_at: float | None = None
        self._clock: float | None = None  # perf_counter when training began
        self._paused_since: float | None = None
        self._paused_total = 0.0
        self._stopped_clock: float | None = None
        self._conn = None
        self._outbox: list[tuple] = []  # control sent before the worker exists
        self._send_lock = threading.Lock()
        self._changed = threading.Condition()  # notified on every message from the worker
        self._replies: dict[int, object] = {}  # answers to requests still waited for
        self._waiting: set[int] = set()
        self._request_ids = itertools.count(1)
        self._thread = threading.Thread(target=self._main, name=f"torchxp-{run_id}", daemon=True)

    # --- control, called from page threads --------------------------------------------------
    def start(self) -> "Run":
        self._thread.start()
        return self

    def pause(self) -> None:
        """Hold the worker between two batches; returns once it confirms (or after 1 s)."""
        self._control(("pause",), lambda: self.status != Status.RUNNING or not self._ready())

    def resume(self) -> None:
        self._control(("resume",), lambda: self.status != Status.PAUSED)

    def step_once(self) -> None:
        """A paused run trains one more batch and stays paused."""
        if self.status == Status.PAUSED:
            before = self.step
            self._control(("step",), lambda: self.step > before or not self.active)

    def stop(self, wait: bool = False) -> None:
        """The worker stops before its next batch; ``wait`` blocks until the run has ended."""
        self._control(("stop",), lambda: not self.active, CONTROL_WAIT_S if wait else 0.0)

    def wait_for_first_step(self, timeout: float = 1.0) -> bool:
        """Block until the run has a step to show (or has ended); False after ``timeout``."""
        with self._changed:
            return self._changed.wait_for(lambda: self.step > 0 or not self.active, timeout)

    def hold_after_one_batch(self) -> None:
        """A run just started trains exactly one batch, then holds (Step before Train).

        Pause and step go out together, in order: the worker pauses before its first batch
        and steps once, however long its start takes.
        """
        self._control(("pause",), lambda: True, 0.0)
        self._control(("step",), lambda: self.step > 0 or not self.active)

    def wait_ended(self, timeout: float = CONTROL_WAIT_S) -> bool:
        """Block until the run has ended (a Stop taken); False after ``timeout``."""
        with self._changed:
            return self._changed.wait_for(lambda: not self.active, timeout)

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def request(self, kind: str, timeout: float = 2.0):
        """Ask the live worker for something it computes between batches (see worker.REQUESTS).

        None when the run is not training, or the worker did not answer in time.
        """
        if not self.active:
            return None
        request_id = next(self._request_ids)
        with self._changed:
            self._waiting.add(request_id)
        self._control(("request", request_id, kind), lambda: request_id in self._replies, timeout)
        with self._changed:
            self._waiting.discard(request_id)  # a late answer is then dropped, not kept
            return self._replies.pop(request_id, None)

    def params_now(self) -> ParamSnapshot | None:
        """The weights as they are now: asked of a live worker, else the last ones it sent."""
        fresh = self.request("params")
        return fresh if fresh is not None else self.latest_params

    def shed(self) -> bool:
        """An ended run lets go of what only its picture needs: the data, the grid, its
        weights and the weight and surface history; its metrics stay. False if still active.

        Called by the registry (not the run's thread): an ended run's thread writes nothing
        more, and the log's own lock guards its deques.
        """
        with self._changed:
            if self.active:
                return False
            self.data, self.grid, self.latest_params = None, None, None
        self.log.shed()
        return True

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def total_steps(self) -> int | None:
        """Steps the run will train; None for a run without an epoch limit."""
        if self.cfg.train.endless:
            return None
        return self.steps_per_epoch * self.cfg.train.epochs

    def elapsed(self) -> float:
        """Seconds spent training: pauses excluded, frozen once the run has ended."""
        if self._clock is None:
            return 0.0
        now = self._stopped_clock or self._paused_since or time.perf_counter()
        # A pause sent before the worker was ready began before the clock: no time yet.
        return max(0.0, now - self._clock - self._paused_total)

    def progress(self) -> dict:
        """Epoch, step, fraction done, samples/s and an estimate of the time left."""
        elapsed, total, step = self.elapsed(), self.total_steps, self.step
        rate = step / elapsed if elapsed > 0 else None  # stepped only, or not started
        return {
            "epoch": self.epoch,
            "epochs": None if total is None else self.cfg.train.epochs,
            "step": step,
            "total_steps": total,
            "fraction": min(1.0, step / total) if total else 0.0,
            "elapsed_s": elapsed,
            "samples_per_s": None if rate is None else rate * self.cfg.train.batch_size,
            "eta_s": (total - step) / rate if total and rate and self.active else 0.0,
        }

    def _ready(self) -> bool:
        return self._clock is not None

    def _control(self, message: tuple, done: Callable[[], bool], wait: float = CONTROL_WAIT_S):
        with self._send_lock:
            if self._conn is None:
                self._outbox.append(message)
            else:
                try:
                    self._conn.send(message)
                except OSError:  # the worker is gone; its thread records how
                    return
        with self._changed:
            self._changed.wait_for(lambda: done() or not self.active, timeout=wait)

    # --- the run's thread ---------------------------------------------------------------------
    def _main(self) -> None:
        process = None
        ended = False
        try:
            self.data = make_dataset(self.cfg.data)
            # The server needs only the grid's axes: evaluated on cpu, it never touches CUDA.
            self.grid = surface_grid(self.data, "cpu")
            self.steps_per_epoch = math.ceil(len(self.data.x_train) / self.cfg.train.batch_size)
            conn, child_conn = _CONTEXT.Pipe()
            # Control sent before the worker exists travels with its start, so the worker
            # acts on it before its first batch however slowly this thread is scheduled (a
            # pause sent through the pipe after start arrived 16 batches late under load).
            with self._send_lock:
                early, self._outbox = self._outbox, []
                args = (child_conn, self.cfg, self.data, self.memory_budget, TORCH_THREADS, early)
                process = _WorkerProcess(
                    target=worker.main, args=args, name=f"torchxp-worker-{self.id}", daemon=True
                )
                process.start()
                self._conn = conn
            child_conn.close()  # only the worker holds that end: its exit is our EOF
            self.pid = process.pid
            while not ended:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    break
                ended = self._on_message(message)
        except Exception as exc:  # setting the run up failed in the server: this run only
            self._end(Status.FAILED, f"{type(exc).__name__}: {exc}")
            ended = True
        finally:
            if process is not None:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
                    process.join()
                if not ended:
                    self._end(Status.FAILED, _death_sentence(process.exitcode))
            with self._send_lock:  # a page thread may be sending: never close under it
                if self._conn is not None:
                    self._conn.close()

    def _on_message(self, message: tuple) -> bool:
        """Apply one message from the worker to the run; True once it was the last."""
        kind = message[0]
        with self._changed:
            if kind == "steps":
                _, losses, seconds = message
                self.log.add_steps(losses, seconds)
                self.step += len(losses)
            elif kind == "epochs":
                for record in message[1]:
                    self.epoch = record["epoch"]
                    self.log.add_epoch(record)
            elif kind == "params":
                snap = message[1]
                self.latest_params = snap
                if not snap.final:
                    self.log.add_params(snap)
            elif kind == "snapshot":
                self.log.add_snapshot(message[1])
            elif kind == "ready":
                self.steps_per_epoch = message[1]
                self._clock = time.perf_counter()
                if self.status == Status.PENDING:
                    self.status = Status.RUNNING
            elif kind == "trace":
                self.trace = message[1]
            elif kind == "warning":
                self.warnings.append(message[1])
            elif kind == "status":
                self._on_status(message[1])
            elif kind == "reply" and message[1] in self._waiting:
                self._replies[message[1]] = message[2]
            elif kind == "end":
                _, status, error, _step = message
                self._end(Status(status), error)
                return True
            self._changed.notify_all()
        return False

    def _on_status(self, state: str) -> None:
        now = time.perf_counter()
        if state == "paused":
            self.status = Status.PAUSED
            self._paused_since = self._paused_since or now
        else:
            self.status = Status.RUNNING
            if self._paused_since is not None and self._clock is not None:
                self._paused_total += now - max(self._paused_since, self._clock)
            self._paused_since = None

    def _end(self, status: Status, error: str) -> None:
        with self._changed:
            self._stopped_clock = self._paused_since or time.perf_counter()
            self.error = error
            self.status = status
            self.ended_at = time.time()  # set last: once set, the log is complete
            self._changed.notify_all()


def _death_sentence(exitcode: int | None) -> str:
    """Why a worker ended without its last message, in words."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        cause = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return f"The run's worker process was killed by {name}{cause}; the server goes on."
    return f"The run's worker process ended unexpectedly (exit code {exitcode})."


class RunLimitError(RuntimeError):
    """Too many runs training at once, or a run past the memory budget."""


class RunRegistry:
    """All runs of this server, shared by every browser tab; each run owned by one tab."""

    def __init__(self, max_active: int = 2, max_kept: int = 50, max_pictured: int = 5):
        # Ended runs kept in memory (their metrics), and how many of the newest of them keep
        # their data and weights, so the lab can still draw their picture.
        self.max_active, self.max_kept, self.max_pictured = max_active, max_kept, max_pictured
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        # run-1, run-2 ... with a tag of this server's own, so a restarted server's run-1 is
        # never taken for the run-1 a person saw before the restart.
        self._tag = uuid.uuid4().hex[:4]

    def start(self, cfg: RunConfig, owner: str = "") -> Run:
        return self.start_many([cfg], owner)[0]

    def start_many(self, cfgs: list[RunConfig], owner: str = "") -> list[Run]:
        """Start runs together, or none of them if they would pass the limit."""
        for cfg in cfgs:  # a run past the memory budget never starts, whoever asks
            if refusal := budget.check(cfg):
                raise RunLimitError(refusal)
        with self._lock:
            active = sum(run.active for run in self._runs.values())
            if active + len(cfgs) > self.max_active:
                raise RunLimitError(
                    f"{active} run(s) training and {len(cfgs)} more asked for, but this server "
                    f"trains at most {self.max_active} at once: stop one or wait for it to finish."
                )
            runs = [Run(f"run-{next(self._ids)}-{self._tag}", cfg, owner) for cfg in cfgs]
            self._runs.update((run.id, run) for run in runs)
            shed = self._forget_old()
        if shed:
            _give_back_freed()
        return [run.start() for run in runs]

    def _forget_old(self) -> bool:
        """Forget the oldest ended runs past ``max_kept``; shed the pictures of those past
        ``max_pictured``. True if anything was let go of."""
        done = [r for r in self._runs.values() if not r.active]
        forgotten = done[: max(0, len(self._runs) - self.max_kept)]
        for run in forgotten:
            del self._runs[run.id]
        done = sorted((r for r in done if r.id in self._runs), key=lambda r: r.ended_at or 0)
        shed = [r for r in done[: max(0, len(done) - self.max_pictured)] if r.data is not None]
        for run in shed:
            run.shed()
        return bool(forgotten or shed)

    def get(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    def runs(self, owner: str | None = None) -> list[Run]:
        with self._lock:
            runs = list(self._runs.values())
        return [r for r in runs if owner is None or r.owner == owner]

    def stop_all(self, owner: str | None = None) -> None:
        for run in self.runs(owner):
            run.stop()
