"""The recorder: a thread that copies every run of a registry into the history store.

It reads the runs' logs the way a page does (lock-guarded snapshots from where it left off),
so the training loop pays nothing for being saved.
"""

import threading
from dataclasses import dataclass

from torchxp_core.history import RECORD_EVERY_S, HistoryStore, HistoryUnavailable, new_id
from torchxp_core.runner import Run, RunRegistry


@dataclass
class _Progress:
    history_id: str
    steps: int = 0  # steps already written
    epochs: int = 0  # epoch records already written
    done: bool = False


class HistoryRecorder:
    """A background thread that copies every run of a registry into a store, once a second.

    It reads the runs' logs the way a page does (lock-guarded snapshots), so the training
    loop pays nothing. If the store fails, the error is kept in ``error`` and recording stops;
    training is not affected.
    """

    def __init__(self, store: HistoryStore, registry: RunRegistry, every_s: float = RECORD_EVERY_S):
        self.store, self.registry, self.every_s = store, registry, every_s
        self.error = ""
        self._seen: dict[int, tuple[Run, _Progress]] = {}  # id(run) -> (run, progress)
        self._flush_lock = threading.Lock()
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="torchxp-history", daemon=True)

    def start(self) -> "HistoryRecorder":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread after a last flush."""
        self._halt.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.flush()

    def history_id(self, run: Run) -> str | None:
        entry = self._seen.get(id(run))
        return entry[1].history_id if entry else None

    def live_runs(self) -> dict[str, Run]:
        """History id -> run, for runs this server still holds in its registry."""
        held = {id(r) for r in self.registry.runs()}
        return {p.history_id: run for key, (run, p) in list(self._seen.items()) if key in held}

    def _loop(self) -> None:
        while not self._halt.wait(self.every_s):
            self.flush()

    def flush(self) -> None:
        """Write everything new of every run now (the thread calls this every second)."""
        if self.error:
            return
        with self._flush_lock:
            try:
                for run in self.registry.runs():
                    if id(run) not in self._seen:
                        self._track(run)
                for run, progress in list(self._seen.values()):
                    if not progress.done:
                        self._write(run, progress)
                held = {id(r) for r in self.registry.runs()}
                for key in [k for k, (_, p) in self._seen.items() if p.done and k not in held]:
                    del self._seen[key]  # finished and forgotten by the registry
            except HistoryUnavailable as exc:
                self.error = str(exc)

    def _track(self, run: Run) -> None:
        progress = _Progress(new_id())
        self.store.add_run(
            progress.history_id,
            run.id,
            run.cfg.to_dict(),
            status=run.status,
            started_at=run.started_at,
            device=run.cfg.train.device,
            live_id=run.id,
        )
        self._seen[id(run)] = (run, progress)

    def _write(self, run: Run, progress: _Progress) -> None:
        ended_at = run.ended_at  # set last by the worker: once set, the log is complete
        status, error = run.status, run.error
        new = run.log.steps(progress.steps)  # only what is not stored yet: O(new steps)
        records = run.log.epoch_records()
        kept = self.store.append(
            progress.history_id,
            progress.steps,
            new.loss,
            new.seconds,
            records[progress.epochs :],
            status=status,
            error=error,
            ended_at=ended_at,
        )
        progress.steps, progress.epochs = progress.steps + len(new.loss), len(records)
        progress.done = ended_at is not None or not kept  # deleted on the Runs page: let go
