"""The process that trains one run: training.py's loop, driven over a pipe by its Run.

The worker is the loop's Reporter. It owns the model; the server only ever sees copies of
what it sends. Messages are tuples whose first item names them:

  server -> worker   ("pause",) ("resume",) ("stop",)
                     ("step",)                 one more training batch, then paused again
                     ("request", id, kind)     kind in REQUESTS; answered with ("reply", ...)
  worker -> server   ("status", "paused" | "running", step)
                     ("ready", steps_per_epoch)            setup done, the clock starts
                     ("steps", losses, seconds)            float32 arrays, sent every FLUSH_S
                     ("epochs", [record, ...])             with the steps, as often
                     ("params", ParamSnapshot) ("snapshot", Snapshot)
                     ("reply", id, payload)
                     ("end", status, error, step)          the last message

Control is read between batches (``checkpoint``), so Stop takes effect within one batch.
The worker dies with the server: SIGKILL when its parent goes (prctl), and exit on EOF.
"""

import ctypes
import math
import os
import re
import resource
import signal
import time
import warnings
from multiprocessing.connection import Connection

import numpy as np
import torch

from torchxp_core.config import RunConfig
from torchxp_core.data import Dataset
from torchxp_core.metrics import ParamSnapshot
from torchxp_core.step_trace import StepTrace
from torchxp_core.surface import snapshot, surface_grid
from torchxp_core.training import Diverged, Stopped, fit, prepare

FLUSH_S = 0.05  # step losses go to the server in batches at most this often
SNAPSHOT_EVERY_S = 0.4  # decision-surface snapshots at most this often (and at the end)
# Weights and grads at an epoch's end at most this often (and the first and last epochs): an
# epoch of moons is ~10 ms, and copying, pickling and storing every one cost ~5 % of training.
PARAMS_EVERY_S = 0.25
_PR_SET_PDEATHSIG = 1
# Workers yield the CPU to the server and the browser: a run may use every idle core, but
# a click must not wait behind it (on 2 cores, two runs would otherwise take both).
NICENESS = 10


def main(
    conn: Connection,
    cfg: RunConfig,
    data: Dataset,
    memory_limit: int,
    torch_threads: int,
    early: list[tuple] = (),
) -> None:
    """The worker process's entry point: train one run, report, exit."""
    _die_with_parent()
    os.nice(NICENESS)
    # CUDA maps tens of GB of address space for its context: an address-space cap would refuse
    # the GPU itself, so only cpu runs get one (a GPU's own memory errors are still caught).
    if memory_limit and cfg.train.device == "cpu":
        _limit_address_space(memory_limit)
    torch.set_num_threads(torch_threads)
    Worker(conn, cfg, data, memory_limit).run(early)


def _die_with_parent() -> None:
    """SIGKILL this process when its parent (the forkserver, or the server) exits."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pipe's EOF still ends the worker
        pass


def _limit_address_space(budget: int) -> None:
    """Cap this process's address space at what it maps now plus ``budget`` bytes.

    torch reserves far more address space than it touches, so the cap is relative to the
    process as it starts; a runaway allocation then fails here, not in the server.
    """
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def out_of_memory(exc: BaseException) -> bool:
    """numpy raises MemoryError; torch's CPU allocator a RuntimeError that says so."""
    return isinstance(exc, MemoryError) or "can't allocate memory" in str(exc)


class Worker:
    """Trains one run and reports it; answers control messages between batches."""

    def __init__(self, conn: Connection, cfg: RunConfig, data: Dataset, memory_limit: int = 0):
        self.conn, self.cfg, self.data, self.memory_limit = conn, cfg, data, memory_limit
        self.setup = None
        self.grid = None
        self.step = 0
        self.epoch = 0
        self.paused = self.stepping = self.stopping = False
        self._losses: list[float] = []
        self._epochs: list[dict] = []  # epoch records not sent yet
        self._seconds: list[float] = []
        self._started = time.perf_counter()
        self._cpu_started = time.process_time()
        self._paused_total = 0.0
        self._warned: set[str] = set()
        self._trace: StepTrace | None = None  # armed by a Step, until its batch is done
        self._validated_at: int | None = None  # the step whose weights validation last saw
        # The weights just before one optimizer.step(), and that step's number: the last of
        # an epoch whose weights go out, so the snapshot can say how far one update moved them.
        self._before: tuple[int, dict[str, torch.Tensor]] | None = None
        self._watching = False
        self._steps_per_epoch = 1  # set once the run is prepared
        self._last_flush = self._last_snapshot = self._last_params = -math.inf

    def run(self, early: list[tuple] = ()) -> None:
        status, error = "finished", ""
        try:
            for message in early:  # control sent before this process existed, in order
                self._handle(message)
            self._read_control()  # and any sent while it started
            self.setup = prepare(self.cfg, self.data)
            self.grid = surface_grid(self.data, self.cfg.train.device)
            self._send_params(epoch=0)  # the initial weights, so change is measured from them
            self._started = time.perf_counter()  # the clock measures training, not setup
            self._cpu_started = time.process_time()
            self._steps_per_epoch = self.setup.steps_per_epoch  # read every batch below
            self._send(("ready", self._steps_per_epoch))
            with warnings.catch_warnings():  # torch's warnings go to the page, once each
                warnings.simplefilter("always")
                warnings.showwarning = self._on_warning
                fit(self.setup, self)
        except Stopped:
            status = "stopped"
        except Diverged as exc:
            status, error = "diverged", str(exc)
        except Exception as exc:  # any error ends this run only, with its message
            status, error = "failed", self._sentence(exc)
        self._flush()
        if status in ("finished", "stopped") and self.setup is not None:
            self._take_snapshot(force=True)  # the model as the run leaves it
            self._send_params(self.epoch, final=True)
        self._send(("end", status, error, self.step))

    def _on_warning(self, message, category, *_args, **_kwargs) -> None:
        text = f"{category.__name__}: {message}"
        kind = re.sub(r"\d+", "#", text)  # the same warning for a last, smaller batch
        if kind not in self._warned:
            self._warned.add(kind)
            self._send(("warning", text))

    def _sentence(self, exc: Exception) -> str:
        text = f"{type(exc).__name__}: {exc}"
        if out_of_memory(exc) and self.memory_limit:
            return (
                f"The run needed more memory than its budget of "
                f"{self.memory_limit / 2**30:.1f} GiB and was ended; the server and other runs "
                f"go on. Use fewer samples, a smaller model or a smaller batch. ({text})"
            )
        return text

    # --- Reporter (called by training.fit) -------------------------------------------------
    def checkpoint(self) -> None:
        self._read_control()
        while self.paused and not (self.stepping or self.stopping):
            self._flush()
            waited = time.perf_counter()
            self._handle(self._recv())
            self._paused_total += time.perf_counter() - waited
        if self.stopping:
            raise Stopped
        if self.stepping and self._trace is None:  # watch this one batch, stage by stage
            self._trace = StepTrace(self.setup.model, self.setup.pitfalls)
        if self._params_due_after_next_step():
            self._watch_next_update()

    def on_step(self, loss: float) -> None:
        self.step += 1
        self._losses.append(loss)
        self._seconds.append(time.perf_counter() - self._started - self._paused_total)
        if self.stepping:  # the one batch a Step asked for: flush it, then hold again
            self.stepping = False
            self._flush()
            if self._trace is not None:
                self._send(("trace", self._trace.finish(loss)))
                self._trace = None
            self._take_snapshot(force=True)  # the surface after this one batch
            self._send(("status", "paused", self.step))
        elif time.perf_counter() - self._last_flush >= FLUSH_S:
            self._flush()

    def on_epoch(self, epoch: int, results: dict[str, dict]) -> None:
        # Records go out with the step losses, at most every FLUSH_S: a small model's epoch
        # takes ~7 ms, and two messages an epoch (~300 a second) each woke the server's thread.
        self.epoch = epoch
        self._validated_at = self.step
        now = time.perf_counter()
        record = {"epoch": epoch, "step": self.step}
        record["elapsed_s"] = now - self._started - self._paused_total
        # This process's CPU time training (a pause waits without any): steps per CPU-second
        # compare loops on a shared machine, where wall time also counts waiting for a core.
        record["cpu_s"] = time.process_time() - self._cpu_started
        for phase, metrics in results.items():
            record.update({f"{phase}_{name}": value for name, value in metrics.items()})
        self._epochs.append(record)
        if now - self._last_params >= PARAMS_EVERY_S or epoch == self.cfg.train.epochs:
            self._last_params = now
            self._flush()  # the server reads the epoch before the weights it ended with
            self._send_params(epoch)
        elif now - self._last_flush >= FLUSH_S:
            self._flush()
        self._take_snapshot()

    # --- one update, measured --------------------------------------------------------------
    def _params_due_after_next_step(self) -> bool:
        """The coming batch ends an epoch (or a validation comes first, with one step an
        epoch) whose weights will be sent: on_epoch's time rule, asked a batch early."""
        if self._watching or (self.step + 1) % self._steps_per_epoch:
            return False
        last = not self.cfg.train.endless and self.epoch + 1 == self.cfg.train.epochs
        return last or time.perf_counter() - self._last_params >= PARAMS_EVERY_S

    def _watch_next_update(self) -> None:
        """Copy the trainable weights when the next optimizer.step() begins: a hook there
        (one copy of the weights, at most 4 a second), removed as it fires."""
        trainable = [(n, p) for n, p in self.setup.model.named_parameters() if p.requires_grad]
        self._watching = True

        def before_step(_optimizer, _args, _kwargs) -> None:
            handle.remove()
            self._watching = False
            self._before = (self.step, {n: p.detach().clone() for n, p in trainable})

        handle = self.setup.optimizer.register_step_pre_hook(before_step)

    @torch.no_grad()
    def _last_update(self) -> dict[str, tuple[float, float]] | None:
        """Per parameter (‖Δw‖², ‖w‖² before) of the step just taken, if it was watched;
        (0, ‖w‖²) for a frozen one."""
        if self._before is None or self._before[0] != self.step - 1:
            return None
        before = self._before[1]
        out = {}
        for name, p in self.setup.model.named_parameters():
            w = before.get(name, p.detach())
            out[name] = (float(torch.sum((p.detach() - w) ** 2)), float(torch.sum(w * w)))
        return out

    # --- messages --------------------------------------------------------------------------
    def _send(self, message: tuple) -> None:
        try:
            self.conn.send(message)
        except OSError:  # the server is gone: nobody to train for
            os._exit(0)

    def _recv(self) -> tuple:
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            os._exit(0)

    def _read_control(self) -> None:
        try:
            while self.conn.poll():
                self._handle(self._recv())
        except (EOFError, OSError):
            os._exit(0)

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "pause" and not self.paused:
            self.paused = True
            self._flush()
            self._take_snapshot(force=True)  # the surface of the weights it holds, not ~0.4 s ago
            self._send(("status", "paused", self.step))
        elif kind == "resume" and self.paused:
            self.paused = self.stepping = False
            self._send(("status", "running", self.step))
        elif kind == "step" and self.paused:
            self.stepping = True  # checkpoint() arms the trace just before the batch
        elif kind == "stop":
            self.stopping = True
        elif kind == "request":
            _, request_id, what = message
            answer = REQUESTS[what](self) if what in REQUESTS and self.setup else None
            self._send(("reply", request_id, answer))

    def _flush(self) -> None:
        self._last_flush = time.perf_counter()
        if self._losses:
            losses = np.asarray(self._losses, np.float32)
            seconds = np.asarray(self._seconds, np.float32)
            self._losses, self._seconds = [], []
            self._send(("steps", losses, seconds))
        if self._epochs:
            epochs, self._epochs = self._epochs, []
            self._send(("epochs", epochs))

    def params_now(self, epoch: int, final: bool = False) -> ParamSnapshot:
        """Copies of every parameter, its gradient and the model's buffers (BatchNorm's)."""
        model = self.setup.model
        weights, grads = {}, {}
        for name, param in model.named_parameters():
            weights[name] = param.detach().float().cpu().numpy().copy()
            grad = param.grad
            grads[name] = None if grad is None else grad.detach().float().cpu().numpy().copy()
        buffers = {name: b.detach().cpu().numpy().copy() for name, b in model.named_buffers()}
        update = self._last_update()
        predicted = self.setup.val_predicted
        if predicted is not None and self._validated_at == self.step:  # these very weights
            predicted = predicted.reshape(-1).cpu().numpy().astype(np.int16)  # a few hundred B
        else:
            predicted = None
        return ParamSnapshot(self.step, epoch, weights, grads, buffers, final, predicted, update)

    def _send_params(self, epoch: int, final: bool = False) -> None:
        # Once per epoch, not per step: a few KB for these models, off the hot path.
        self._send(("params", self.params_now(epoch, final)))

    def _take_snapshot(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.grid is None or (not force and now - self._last_snapshot < SNAPSHOT_EVERY_S):
            return
        self._last_snapshot = now
        self._flush()  # the epochs this picture comes after
        snap = snapshot(self.setup.model, self.setup.loss, self.grid, self.step, self.epoch)
        self._send(("snapshot", snap))


# What a page may ask a live run for, answered between two batches. The "inside the network"
# views add their requests here (activations over the input plane, one image's feature maps).
REQUESTS = {
    "params": lambda w: w.params_now(w.epoch),
    "snapshot": lambda w: (
        None if w.grid is None else snapshot(w.setup.model, w.setup.loss, w.grid, w.step, w.epoch)
    ),
}
