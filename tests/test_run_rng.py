"""Dropout's masks come from each run's own seeded stream, whatever else runs in the process."""

import torch

from torchxp_core import training
from torchxp_core.config import ModelConfig, RunConfig, TrainConfig


class _Steps:
    def __init__(self):
        self.losses = []

    def checkpoint(self):
        torch.rand(3)  # someone else drawing from the process's generator between batches

    def on_step(self, loss):
        self.losses.append(loss)

    def on_epoch(self, epoch, results):
        pass


def test_two_runs_in_one_process_interleaved_give_the_same_losses_as_one_alone():
    cfg = RunConfig(model=ModelConfig(dropout=0.3), train=TrainConfig(epochs=1, seed=4))
    alone = _Steps()
    training.fit(training.prepare(cfg), alone)
    a, b = training.prepare(cfg), training.prepare(cfg)
    seen_a, seen_b = _Steps(), _Steps()
    for _ in range(2):  # the two runs take turns, epoch by epoch
        training.run_phase("train", a, seen_a)
        training.run_phase("train", b, seen_b)
    assert seen_a.losses == seen_b.losses
    assert seen_a.losses[: len(alone.losses)] == alone.losses


def test_a_forward_leaves_the_process_generator_as_it_found_it():
    s = training.prepare(RunConfig(model=ModelConfig(dropout=0.5)))
    s.model.train()
    torch.manual_seed(123)
    before = torch.get_rng_state()
    s.model(s.tensors["train"][0][:8])
    assert torch.equal(torch.get_rng_state(), before)
    masks = [s.model(s.tensors["train"][0][:8]) for _ in range(2)]
    assert not torch.equal(masks[0], masks[1])  # the run's own stream moved on
