"""Steps per second of one training job three ways, same model, data, seed and thread count.

(a) a bare loop slicing a shuffled index, (b) the usual DataLoader(TensorDataset) loop,
(c) torchxp's runner (a background thread with the metrics log, pause/stop checks, epoch
validation and decision-surface snapshots). Run: .venv/bin/python benchmarks/training_speed.py
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from torchxp_core.config import ModelConfig, RunConfig, TrainConfig
from torchxp_core.runner import RunRegistry
from torchxp_core.training import prepare

CFG = RunConfig(model=ModelConfig(hidden=(64, 64)), train=TrainConfig(epochs=20, batch_size=64))


def _fresh():
    s = prepare(CFG)  # same seed: same data, same initial weights, same optimizer
    x, y = s.tensors["train"]
    return s, x, y


def bare_loop() -> float:
    s, x, y = _fresh()
    model, criterion, optimizer = s.model, s.criterion, s.optimizer
    losses = []
    start, steps = time.perf_counter(), 0
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
    return steps / (time.perf_counter() - start)


def dataloader_loop() -> float:
    s, x, y = _fresh()
    model, criterion, optimizer = s.model, s.criterion, s.optimizer
    loader = DataLoader(
        TensorDataset(x, y), batch_size=CFG.train.batch_size, shuffle=True, generator=s.generator
    )
    losses = []
    start, steps = time.perf_counter(), 0
    for _ in range(CFG.train.epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            steps += 1
    return steps / (time.perf_counter() - start)


def runner() -> float:
    run = RunRegistry().start(CFG)
    run.join()
    assert run.status == "finished", run.error
    # The run's clock starts when the Run is made, so this counts everything its thread did:
    # building data and model, validation passes and snapshots too. (a) and (b) only train.
    return run.step / run.elapsed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)  # the runner uses 1 thread on 2 cores; give every way the same
    ways = {"(a) bare loop": bare_loop, "(b) DataLoader": dataloader_loop, "(c) runner": runner}
    results = {name: [] for name in ways}
    for way in ways.values():
        way()  # warm-up
    for _ in range(args.repeats):  # interleaved, so machine noise hits every way alike
        for name, way in ways.items():
            results[name].append(way())
    medians = {name: statistics.median(v) for name, v in results.items()}
    n_train = len(prepare(CFG).tensors["train"][0])
    print(
        f"moons, MLP 2-64-64-2, batch {CFG.train.batch_size}, {CFG.train.epochs} epochs of "
        f"{n_train} samples, torch {torch.__version__}, 1 thread, {args.repeats} repeats"
    )
    for name, values in results.items():
        print(f"{name:16s} median {medians[name]:8.0f} steps/s  (min {min(values):.0f}, "
              f"max {max(values):.0f})")  # fmt: skip
    a, b, c = medians.values()
    print(f"runner / bare loop  = {c / a:.3f}  (target ≥ 0.95)")
    print(f"runner / DataLoader = {c / b:.3f}  (target > 1)")
    print(f"DataLoader / bare   = {b / a:.3f}")


if __name__ == "__main__":
    main()
