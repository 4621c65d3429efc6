"""A run's setup and epochs around the seed's pipeline (lesson #11). It reports; it never draws.

The loop itself is loop.py, the code the Training Lab shows and Export writes (see
loop_source.py); here is what surrounds it out of sight: seeding, the batches, pause and
stop between them, progress reports and the divergence rule.
"""

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from torchxp_core import loop
from torchxp_core.config import RunConfig
from torchxp_core.data import Dataset, make_dataset
from torchxp_core.losses import REGRESSION, LossSpec
from torchxp_core.models import build_model
from torchxp_core.optimizers import build_optimizer
from torchxp_core.run_rng import RNG_LOCK, RunRng, uses_rng


class Stopped(Exception):
    """Raised at a batch boundary when the user pressed Stop."""


class Diverged(Exception):
    """The loss became NaN or infinite, or exploded past DIVERGE_FACTOR: the run is lost."""


# A run diverges when an epoch's mean training loss passes this multiple of the untrained
# model's first batch. An epoch's mean, not one batch: a wide MLP with Adam spikes to 42x
# for one batch and then reaches 97 %. Adam at lr 5 on the moons averages 690x over its first
# epoch, then its dead ReLUs sit at chance level, which no inf/NaN check catches.
DIVERGE_FACTOR = 10.0


class Reporter(Protocol):
    def checkpoint(self) -> None:
        """Called before every batch: blocks while paused, raises Stopped after Stop."""

    def on_step(self, loss: float) -> None:
        """One training batch done, with its loss."""

    def on_epoch(self, epoch: int, results: dict[str, dict]) -> None:
        """An epoch done: {"train": {...}, "val": {...}} as run_phase returns them."""


class Quiet:
    """A Reporter that reports nothing and never pauses: the loop run for itself (the
    forkserver's warm-up, tests)."""

    def checkpoint(self) -> None:
        pass

    def on_step(self, loss: float) -> None:
        pass

    def on_epoch(self, epoch: int, results: dict[str, dict]) -> None:
        pass


@dataclass
class Setup:
    """Everything one run trains with, already on its device."""

    cfg: RunConfig
    data: Dataset
    model: nn.Module
    criterion: nn.Module
    optimizer: torch.optim.Optimizer
    loss: LossSpec
    tensors: dict[str, tuple[torch.Tensor, torch.Tensor]]  # phase -> (inputs, targets)
    generator: torch.Generator  # batch order; seeded, so runs repeat exactly
    pitfalls: frozenset[str]
    rng: RunRng | None = None  # the run's own stream for Dropout, swapped in by model hooks
    first_loss: float | None = None  # the untrained model's first batch: the divergence yardstick
    # The last validation's class per sample, when it ran in eval mode: the Inside page's
    # confusion matrix of those weights, without a second forward over the split there.
    val_predicted: torch.Tensor | None = None

    def batches(self, phase: str):
        """Mini-batches as slices of the split, shuffled once per epoch for training.

        One gather of the whole split an epoch, then each batch is a view: gathering each
        batch by its indices cost ~60 us a step, 7 % of a small MLP's. The batches hold the
        same rows in the same order either way, so the losses are the same to the bit.
        """
        inputs, targets = self.tensors[phase]
        n = len(inputs)
        size = self.cfg.train.batch_size if phase == "train" else self.cfg.train.val_batch_size
        if phase == "train":
            order = torch.randperm(n, generator=self.generator).to(inputs.device)
            inputs, targets = inputs[order], targets[order]
        for start in range(0, n, size):
            yield inputs[start : start + size], targets[start : start + size]

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.tensors["train"][0]) / self.cfg.train.batch_size)


def initial_model(cfg: RunConfig, data: Dataset) -> nn.Module:
    """The run's model with the weights its seed gives it, on the cpu."""
    with RNG_LOCK:
        torch.manual_seed(cfg.train.seed)
        return build_model(cfg.model, data.input_shape, data.n_classes, cfg.loss)


def prepare(cfg: RunConfig, data: Dataset | None = None) -> Setup:
    """Build data, model, loss and optimizer for a run, seeded from its settings."""
    data = data if data is not None else make_dataset(cfg.data)
    device, loss = torch.device(cfg.train.device), cfg.loss
    pitfalls = frozenset(cfg.train.pitfalls)
    model = initial_model(cfg, data).to(device)
    if "logits_into_bce" in pitfalls:  # PITFALL logits_into_bce: the final Sigmoid left out
        model = model[:-1]
    tensors = {
        phase: loop.to_tensors(
            x, y, loss.target_dtype, loss.class_indices, device, pitfalls.__contains__
        )
        for phase, x, y in (("train", data.x_train, data.y_train), ("val", data.x_val, data.y_val))
    }
    t = cfg.train
    trainable = [p for p in model.parameters() if p.requires_grad]  # frozen layers stay out
    optimizer = build_optimizer(
        t.optimizer, trainable, t.lr, t.weight_decay, t.momentum, t.nesterov, t.device
    )
    generator = torch.Generator().manual_seed(t.seed)
    rng = RunRng(t.seed) if uses_rng(model) else None
    if rng is not None:
        rng.install(model)
    return Setup(
        cfg, data, model, loss.factory(), optimizer, loss, tensors, generator, pitfalls, rng
    )


def run_phase(phase: str, s: Setup, report: Reporter) -> dict:
    """One pass over the train or val split by loop.py; returns its mean loss and metric."""
    tally = loop.Tally(_loss_check(phase, s, report))
    batches, mistake = _between_checkpoints(s.batches(phase), report), s.pitfalls.__contains__
    if phase == "train":
        loop.train_epoch(s.model, s.criterion, s.optimizer, batches, tally, mistake)
    else:
        loop.evaluate(s.model, s.criterion, batches, tally, mistake)
    n = tally.count
    if s.loss.task == REGRESSION:
        return {"loss": tally.total / n, "rmse": math.sqrt(tally.total / n)}
    predicted = s.loss.predict(torch.cat(tally.outputs))
    if phase == "val":  # in train mode (the forget_eval pitfall) they are not eval's classes
        s.val_predicted = None if s.model.training else predicted
    correct = (predicted == torch.cat(tally.labels).reshape(-1)).sum().item()
    return {"loss": tally.total / n, "accuracy": correct / n}


def _between_checkpoints(batches: Iterator, report: Reporter) -> Iterator:
    """The batches, with pause and stop taking effect before each one."""
    for batch in batches:
        report.checkpoint()
        yield batch


def _loss_check(phase: str, s: Setup, report: Reporter):
    """What each batch's loss goes to: the divergence check, then the progress report."""

    def seen(value: float) -> None:
        if not math.isfinite(value):
            raise Diverged(
                f"The {phase} loss became {value}: the run diverged. {likely_cause(s.cfg)}"
            )
        if phase == "train":
            s.first_loss = value if s.first_loss is None else s.first_loss
            report.on_step(value)

    return seen


def check_divergence(s: Setup, epoch_loss: float) -> None:
    """Raise Diverged when an epoch's training loss has exploded past DIVERGE_FACTOR."""
    if s.first_loss is not None and epoch_loss > DIVERGE_FACTOR * max(s.first_loss, 1e-12):
        raise Diverged(
            f"The training loss averaged {epoch_loss:.4g} over an epoch, more than "
            f"{DIVERGE_FACTOR:g}x the untrained model's {s.first_loss:.4g}: the run diverged. "
            f"{likely_cause(s.cfg)}"
        )


def likely_cause(cfg: RunConfig) -> str:
    """The most likely reason a run diverged, as advice."""
    t = cfg.train
    if "forget_zero_grad" in t.pitfalls:
        return (
            "Without zero_grad() every backward() adds to the old gradients, so the steps "
            "grow batch after batch."
        )
    return (
        f"Likely cause: the learning rate {t.lr:g} is too high for {t.optimizer}; "
        f"try {min(t.lr / 10, 0.01):g}."
    )


def epoch_numbers(cfg: RunConfig):
    """1, 2, ... up to the configured epochs, or on until Stop when the run is open-ended."""
    if cfg.train.endless:
        return itertools.count(1)
    return range(1, cfg.train.epochs + 1)


def fit(s: Setup, report: Reporter) -> None:
    """The whole run: every epoch trains, then validates, then reports."""
    for epoch in epoch_numbers(s.cfg):
        results = {phase: run_phase(phase, s, report) for phase in ("train", "val")}
        report.on_epoch(epoch, results)
        check_divergence(s, results["train"]["loss"])
