"""Runs in background threads: start, pause, resume, stop, status, and a shared registry.

The worker thread only writes to the run's ``MetricsLog`` and plain attributes; pages read
them on their own timer. An exception ends that run as failed and touches nothing else.
"""

import itertools
import math
import os
import threading
import time
from enum import StrEnum

import torch

from torchxp_core.config import RunConfig
from torchxp_core.metrics import MetricsLog, ParamSnapshot
from torchxp_core.surface import SurfaceGrid, snapshot, surface_grid
from torchxp_core.training import Diverged, Setup, Stopped, fit, prepare

# On 2 cores, one for torch leaves one for the server and the browser's requests.
TORCH_THREADS = max(1, (os.cpu_count() or 2) - 1)
SNAPSHOT_EVERY_S = 0.4  # decision-surface snapshots at most this often (and at the end)


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
    """One training run in its own thread. Also the loop's Reporter (see training.py)."""

    def __init__(self, run_id: str, cfg: RunConfig, owner: str = ""):
        self.id, self.cfg, self.owner = run_id, cfg, owner
        self.log = MetricsLog()
        self.status = Status.PENDING
        self.error = ""  # a sentence for the page when failed or diverged
        self.epoch = 0
        self.step = 0
        self.setup: Setup | None = None  # the live model, data and optimizer once prepared
        self.started_at = time.time()
        self.ended_at: float | None = None
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._paused_total = 0.0
        self.grid: SurfaceGrid | None = None
        self._last_snapshot = -math.inf
        self._thread = threading.Thread(target=self._main, name=f"torchxp-{run_id}", daemon=True)

    # --- control, called from page threads ---------------------------------------------
    def start(self) -> "Run":
        self._thread.start()
        return self

    def pause(self) -> None:
        if self.status == Status.RUNNING:
            self._resume.clear()
            self.status = Status.PAUSED

    def resume(self) -> None:
        if self.status == Status.PAUSED:
            self.status = Status.RUNNING
            self._resume.set()

    def stop(self) -> None:
        self._stop.set()
        self._resume.set()  # a paused run must wake up to notice the stop

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def total_steps(self) -> int:
        return self.setup.steps_per_epoch * self.cfg.train.epochs if self.setup else 0

    def elapsed(self) -> float:
        """Seconds spent training, pauses excluded."""
        return time.perf_counter() - self.log.started - self._paused_total

    def progress(self) -> dict:
        """Epoch, step, fraction done, samples/s and an estimate of the time left."""
        elapsed, total, step = self.elapsed(), self.total_steps, self.step
        rate = step / elapsed if elapsed > 0 else 0.0
        return {
            "epoch": self.epoch,
            "epochs": self.cfg.train.epochs,
            "step": step,
            "total_steps": total,
            "fraction": min(1.0, step / total) if total else 0.0,
            "elapsed_s": elapsed,
            "samples_per_s": rate * self.cfg.train.batch_size,
            "eta_s": (total - step) / rate if rate > 0 and self.active else 0.0,
        }

    # --- the worker thread --------------------------------------------------------------
    def _main(self) -> None:
        torch.set_num_threads(TORCH_THREADS)
        try:
            self.setup = prepare(self.cfg)
            self.grid = surface_grid(self.setup.data, self.cfg.train.device)
            self.status = Status.RUNNING if self._resume.is_set() else Status.PAUSED
            self._record_params(epoch=0)  # the initial weights, so change is measured from them
            self.log.started = time.perf_counter()  # the clock measures training, not setup
            fit(self.setup, self)
            self._take_snapshot(force=True)
            self.status = Status.FINISHED
        except Stopped:
            self.status = Status.STOPPED
        except Diverged as exc:
            self.error = str(exc)
            self.status = Status.DIVERGED
        except Exception as exc:  # any other error ends this run only, with its message
            self.error = f"{type(exc).__name__}: {exc}"
            self.status = Status.FAILED
        finally:
            self.ended_at = time.time()

    # --- Reporter -----------------------------------------------------------------------
    def checkpoint(self) -> None:
        if not self._resume.is_set():
            paused_at = time.perf_counter()
            self._resume.wait()
            self._paused_total += time.perf_counter() - paused_at
        if self._stop.is_set():
            raise Stopped

    def on_step(self, loss: float) -> None:
        self.step += 1
        self.log.add_step(loss, self.elapsed())

    def on_epoch(self, epoch: int, results: dict[str, dict]) -> None:
        self.epoch = epoch
        record = {"epoch": epoch, "step": self.step, "elapsed_s": self.elapsed()}
        for phase, metrics in results.items():
            record.update({f"{phase}_{name}": value for name, value in metrics.items()})
        self.log.add_epoch(record)
        self._record_params(epoch)
        self._take_snapshot()

    def _record_params(self, epoch: int) -> None:
        # Once per epoch, not per step: a few KB for these models, off the hot path.
        assert self.setup is not None
        weights, grads = {}, {}
        for name, param in self.setup.model.named_parameters():
            weights[name] = param.detach().float().cpu().numpy().copy()
            grad = param.grad
            grads[name] = None if grad is None else grad.detach().float().cpu().numpy().copy()
        self.log.add_params(ParamSnapshot(self.step, epoch, weights, grads))

    def _take_snapshot(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.grid is None or (not force and now - self._last_snapshot < SNAPSHOT_EVERY_S):
            return
        self._last_snapshot = now
        assert self.setup is not None
        snap = snapshot(self.setup.model, self.setup.loss, self.grid, self.step, self.epoch)
        self.log.add_snapshot(snap)


class RunLimitError(RuntimeError):
    """Too many runs training at once."""


class RunRegistry:
    """All runs of this server, shared by every browser tab; each run owned by one tab."""

    def __init__(self, max_active: int = 2, max_kept: int = 50):
        self.max_active, self.max_kept = max_active, max_kept
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def start(self, cfg: RunConfig, owner: str = "") -> Run:
        return self.start_many([cfg], owner)[0]

    def start_many(self, cfgs: list[RunConfig], owner: str = "") -> list[Run]:
        """Start runs together, or none of them if they would pass the limit."""
        with self._lock:
            active = sum(run.active for run in self._runs.values())
            if active + len(cfgs) > self.max_active:
                raise RunLimitError(
                    f"{active} run(s) training and {len(cfgs)} more asked for, but this server "
                    f"trains at most {self.max_active} at once: stop one or wait for it to finish."
                )
            runs = [Run(f"run-{next(self._ids)}", cfg, owner) for cfg in cfgs]
            self._runs.update((run.id, run) for run in runs)
            self._forget_old()
        return [run.start() for run in runs]

    def _forget_old(self) -> None:
        done = [r for r in self._runs.values() if not r.active]
        for run in done[: max(0, len(self._runs) - self.max_kept)]:
            del self._runs[run.id]

    def get(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    def runs(self, owner: str | None = None) -> list[Run]:
        with self._lock:
            runs = list(self._runs.values())
        return [r for r in runs if owner is None or r.owner == owner]

    def stop_all(self, owner: str | None = None) -> None:
        for run in self.runs(owner):
            run.stop()
