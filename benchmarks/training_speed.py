"""Steps per second of one training job three ways, same model, data, seed and thread count.

Each way does the seed's pipeline: every epoch trains on the train split, then validates on
the val split without a graph. (a) a bare loop slicing a shuffled index, (b) the usual
DataLoader(TensorDataset) loop, (c) torchxp's runner: a worker process, run by a thread of
this process, that also sends the metrics log, takes pause/stop checks, scores accuracy and
sends parameter history and decision-surface snapshots. Time starts when training starts
(data and model built).

Then runs at once: the aggregate steps/s of 1, 2 and 3 runner runs started together against
the same number of bare loops, each in a process of its own, started together. Last, a run
watched by the "Inside the network" page (its views computed, drawn and serialised in this
process every tick, as a tab's fragment does) against the same run unwatched. Run:
.venv/bin/python benchmarks/training_speed.py
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import time
import timeit
from functools import partial
from pathlib import Path

import numpy as np
import plotly.io as pio
import torch
from plotly.tools import return_figure_from_figure_or_data
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from torchxp_core import inside
from torchxp_core import runner as runmod
from torchxp_core.config import ModelConfig, RunConfig, TrainConfig
from torchxp_core.figures import inside as inside_figs
from torchxp_core.runner import RunRegistry
from torchxp_core.surface import surface_grid
from torchxp_core.training import prepare
from torchxp_core.worker import NICENESS, PARAMS_EVERY_S, SNAPSHOT_EVERY_S, Worker

CFG = RunConfig(model=ModelConfig(hidden=(64, 64)), train=TrainConfig(epochs=60, batch_size=64))


def _fresh():
    s = prepare(CFG)  # same seed: same data, same initial weights, same optimizer
    x, y = s.tensors["train"]
    return s, x, y


def _validate(model, criterion, batches) -> float:
    model.eval()
    total = 0.0
    with torch.no_grad():
        for xb, yb in batches:
            total += criterion(model(xb), yb).item() * len(xb)
    return total


def _as_a_person_writes_it(s):
    # The optimizer with its default arguments, as the seed's pipeline builds it: not the
    # fused one torchxp picks, so the ratio shows what torchxp's choices gain.
    return torch.optim.Adam(s.model.parameters(), lr=CFG.train.lr)


def bare_loop() -> tuple[int, float, float]:
    s, x, y = _fresh()
    model, criterion, optimizer = s.model, s.criterion, _as_a_person_writes_it(s)
    losses = []
    start, cpu, steps = time.perf_counter(), time.process_time(), 0
    for _ in range(CFG.train.epochs):
        model.train()
        order = torch.randperm(len(x), generator=s.generator)
        for i in range(0, len(x), CFG.train.batch_size):
            idx = order[i : i + CFG.train.batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            steps += 1
        xv, yv = s.tensors["val"]
        size = CFG.train.batch_size
        _validate(
            model,
            criterion,
            ((xv[i : i + size], yv[i : i + size]) for i in range(0, len(xv), size)),
        )
    return steps, time.perf_counter() - start, time.process_time() - cpu


def dataloader_loop() -> tuple[int, float, float]:
    s, x, y = _fresh()
    model, criterion, optimizer = s.model, s.criterion, _as_a_person_writes_it(s)
    loader = DataLoader(
        TensorDataset(x, y), batch_size=CFG.train.batch_size, shuffle=True, generator=s.generator
    )
    val_loader = DataLoader(TensorDataset(*s.tensors["val"]), batch_size=CFG.train.batch_size)
    losses = []
    start, cpu, steps = time.perf_counter(), time.process_time(), 0
    for _ in range(CFG.train.epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            steps += 1
        _validate(model, criterion, val_loader)
    return steps, time.perf_counter() - start, time.process_time() - cpu


def runner() -> tuple[int, float, float]:
    run = RunRegistry().start(CFG)
    run.join()
    assert run.status == "finished", run.error
    # Timed by the worker's own clocks, from its first batch to its last epoch's end, like
    # (a)'s and (b)'s timers: the loop, not the process start or the pipe's latency at either
    # end (Train -> first step is ui_latency.py's). Its CPU time is the worker process's.
    return run.step, _loop_seconds(run), run.log.epoch_records()[-1]["cpu_s"]


def _loop_seconds(run) -> float:
    return run.log.epoch_records()[-1]["elapsed_s"]


def _bare_in_process(barrier, results) -> None:
    torch.set_num_threads(1)
    os.nice(NICENESS)  # as a worker runs: the pair compares loops, not scheduling priority
    _fresh()  # warm: the first optimizer imports torch._dynamo
    barrier.wait()  # every loop starts training at once
    steps, seconds, _ = bare_loop()
    results.put(steps / seconds)


def bare_loops_at_once(k: int) -> float:
    """Aggregate steps/s of k bare loops, each in its own process, training at the same time."""
    ctx = multiprocessing.get_context("forkserver")
    barrier, results = ctx.Barrier(k), ctx.Queue()
    procs = [ctx.Process(target=_bare_in_process, args=(barrier, results)) for _ in range(k)]
    for proc in procs:
        proc.start()
    rates = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
    return sum(rates)


def runs_at_once(k: int) -> float:
    """Aggregate steps/s of k runner runs started together (a pitfall and its twin: k = 2)."""
    runs = RunRegistry(max_active=k).start_many([CFG] * k)
    for run in runs:
        run.join()
        assert run.status == "finished", run.error
    return sum(run.step / _loop_seconds(run) for run in runs)


def bookkeeping() -> None:
    """The worker's own costs, timed one by one: a low-noise estimate of its overhead."""
    server, conn = multiprocessing.Pipe()
    threading.Thread(target=_drain, args=(server,), daemon=True).start()  # as the Run's thread
    s = prepare(CFG)
    w = Worker(conn, CFG, s.data)
    w.setup, w.grid = s, surface_grid(s.data, "cpu")
    x, y = s.tensors["train"]
    size = CFG.train.batch_size

    def step():
        s.optimizer.zero_grad()
        loss = s.criterion(s.model(x[:size]), y[:size])
        loss.backward()
        s.optimizer.step()
        loss.item()

    def per_step_extras():
        w.checkpoint()
        w.on_step(0.5)
        [].append(x.detach())

    def us(fn, n):
        fn()
        return timeit.timeit(fn, number=n) / n * 1e6

    step_us, extra_us = us(step, 300), us(per_step_extras, 20000)
    params_us = us(lambda: w._send_params(1), 200)
    snap_us = us(lambda: w._take_snapshot(force=True), 100)
    steps_per_epoch = s.steps_per_epoch
    params_every_s = max(PARAMS_EVERY_S, steps_per_epoch * step_us / 1e6)
    overhead = (
        extra_us / step_us + params_us / (params_every_s * 1e6) + snap_us / (SNAPSHOT_EVERY_S * 1e6)
    )
    print(
        f"worker bookkeeping, timed alone: {extra_us:.1f} us per step ({step_us:.0f} us a step), "
        f"{params_us:.0f} us per weights snapshot (every {params_every_s:.2f} s), {snap_us:.0f} "
        f"us per surface snapshot (at most every {SNAPSHOT_EVERY_S} s) -> about {overhead:.1%} "
        "of training time"
    )


def first_batches(repeats: int) -> None:
    """A run's first batches against its later ones, by the worker's own step clock: what
    the forkserver's warm-up (``torchxp_core.warm``) leaves of torch's first-use work."""
    first, excess = [], []
    for _ in range(repeats):
        run = RunRegistry().start(CFG)
        run.join()
        per_step = np.diff(run.log.steps().seconds, prepend=0.0)
        typical = float(np.median(per_step))
        first.append(per_step[0] / typical)
        excess.append(float(np.sum(per_step[:50] - typical)) * 1e3)
    print(
        f"a run's first batch took {statistics.median(first):.1f}x a typical one; its first 50 "
        f"batches {statistics.median(excess):.1f} ms more than 50 typical ones (medians of "
        f"{repeats} runs)"
    )


def _drain(conn) -> None:
    try:
        while True:
            conn.recv()
    except (EOFError, OSError):  # the benchmark is over
        pass


def concurrency(repeats: int) -> None:
    print(f"\nruns at once ({os.cpu_count()} cores), aggregate steps/s, {repeats} paired repeats:")
    for k in range(1, min(3, os.cpu_count() or 1) + 1):
        bare, ours, ratios = _paired(
            repeats, partial(bare_loops_at_once, k), partial(runs_at_once, k)
        )
        print(
            f"  {k} at once: bare loops in processes {statistics.median(bare):6.0f}, runner "
            f"{statistics.median(ours):6.0f}; runner / bare = {_spread(ratios)}  target >= 0.9"
        )


def _paired(repeats: int, base, ours) -> tuple[list[float], list[float], list[float]]:
    """``repeats`` interleaved pairs, so machine noise hits both alike: the rates of each
    and their ratios ours / base."""
    a, b = [], []
    for _ in range(repeats):
        a.append(base())
        b.append(ours())
    return a, b, [y / x for x, y in zip(a, b, strict=True)]


def _spread(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.3f} median (min {min(ratios):.3f}, max {max(ratios):.3f})"


TICK_S = 2.0  # ui/inside.py's: a tab with the page open redraws its views this often
WATCHED = RunConfig(model=CFG.model, train=TrainConfig(epochs=1000, batch_size=64))  # ~7 s


def _watch(run, stop: threading.Event) -> None:
    """What one open Inside tab does in the server every tick, until ``stop``."""
    cache = {}
    while not stop.is_set():
        start = time.perf_counter()
        weights = run.latest_params
        if weights is not None and run.grid is not None:
            history = run.log.param_history()
            views = inside.compute(run.cfg, run.data, run.grid, weights, history, flow_cache=cache)
            for fig in (
                inside_figs.network_figure(views.network, "network"),
                inside_figs.grad_norm_figure(views.flow),
                inside_figs.update_ratio_figure(views.flow),
            ):  # as st.plotly_chart serialises it
                pio.to_json(return_figure_from_figure_or_data(fig, True), validate=False)
        stop.wait(max(0.0, TICK_S - (time.perf_counter() - start)))


def watched_run(watched: bool) -> float:
    run = RunRegistry().start(WATCHED)
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(run, stop), daemon=True)
    if watched:
        watcher.start()
    run.join()
    stop.set()
    if watched:
        watcher.join()  # not left in a torch op at exit ("terminate called without ...")
    assert run.status == "finished", run.error
    return run.step / _loop_seconds(run)


def views_open(repeats: int) -> None:
    runs = partial(watched_run, False), partial(watched_run, True)
    alone, watched, ratios = _paired(repeats, *runs)
    print(
        f"\na run watched by the Inside page (views every {TICK_S:g} s), {repeats} paired "
        f"repeats of {WATCHED.train.epochs} epochs: unwatched {statistics.median(alone):.0f} "
        f"steps/s, watched {statistics.median(watched):.0f}; watched / unwatched = "
        f"{_spread(ratios)}  target >= 0.97"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--concurrent-repeats", type=int, default=5)
    parser.add_argument("--views-only", action="store_true", help="only the watched-run part")
    args = parser.parse_args()
    runmod.warm_up()  # the forkserver starts first, at this process's priority
    # Then this process takes the priority the workers run at, so the bare and DataLoader
    # loops here compete for the cores as the runner's worker does: the ratios compare loops,
    # not the scheduler (a worker yields to the server by design; see worker.NICENESS).
    os.nice(NICENESS)
    torch.set_num_threads(1)  # the runner uses 1 thread on 2 cores; give every way the same
    if args.views_only:
        return views_open(args.repeats)
    ways = {"(a) bare loop": bare_loop, "(b) DataLoader": dataloader_loop, "(c) runner": runner}
    wall = {name: [] for name in ways}
    cpu = {name: [] for name in ways}
    for way in ways.values():
        way()  # warm-up
    for _ in range(args.repeats):  # interleaved, so machine noise hits every way alike
        for name, way in ways.items():
            steps, seconds, cpu_seconds = way()
            wall[name].append(steps / seconds)
            cpu[name].append(steps / cpu_seconds)
    n_train = len(prepare(CFG).tensors["train"][0])
    print(
        f"moons, MLP 2-64-64-2, batch {CFG.train.batch_size}, {CFG.train.epochs} epochs of "
        f"{n_train} samples + validation each epoch, torch {torch.__version__}, 1 thread, "
        f"{args.repeats} repeats (medians; wall time is noisy on a shared machine, CPU time less)"
    )
    for name in ways:
        print(
            f"{name:16s} {statistics.median(wall[name]):7.0f} steps/s wall "
            f"(min {min(wall[name]):.0f}, max {max(wall[name]):.0f})   "
            f"{statistics.median(cpu[name]):7.0f} steps per CPU-second"
        )
    # Ratios within each repeat (the three ways ran back to back), then their median: the
    # machine's speed drifts by +-30 % over a minute here, and pairing cancels the drift.
    bookkeeping()
    first_batches(args.repeats)
    for clock, rates in (("wall", wall), ("CPU", cpu)):
        a, b, c = (rates[name] for name in ways)
        for label, num, den, target in (
            ("runner / bare loop ", c, a, "target >= 1.15"),
            ("runner / DataLoader", c, b, "target >= 1.3"),
            ("DataLoader / bare  ", b, a, ""),
        ):
            ratios = [x / y for x, y in zip(num, den, strict=True)]
            print(
                f"{label} ({clock:4s}) = {statistics.median(ratios):.3f} median of {len(ratios)} "
                f"paired ratios (min {min(ratios):.3f}, max {max(ratios):.3f})  {target}"
            )
    concurrency(args.concurrent_repeats)
    views_open(args.repeats)


if __name__ == "__main__":
    main()
