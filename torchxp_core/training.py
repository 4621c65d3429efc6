"""The train/val loop of the seed's pipeline (lesson #11). It reports; it never draws.

``run_phase`` is the loop the Training Lab shows on the page, so it is kept short. Each
deliberate mistake of the pitfall switches is a branch marked ``# PITFALL <name>``: the page
highlights exactly those lines when a switch is on.
"""

import itertools
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from torchxp_core.config import RunConfig
from torchxp_core.data import Dataset, make_dataset
from torchxp_core.losses import REGRESSION, LossSpec
from torchxp_core.models import build_model
from torchxp_core.optimizers import build_optimizer

# torch's default generator is process-wide: weight init (manual_seed) and Dropout's masks
# of runs training at once must take turns on it, or the same seed would not repeat a run.
_RNG_LOCK = threading.Lock()


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
    rng_state: torch.Tensor | None = None  # the run's own global-RNG state, if it uses one
    first_loss: float | None = None  # the untrained model's first batch: the divergence yardstick

    @contextmanager
    def own_rng(self):
        """Swap this run's RNG state in for the forward pass (only models with Dropout)."""
        if self.rng_state is None:
            yield
            return
        with _RNG_LOCK:
            torch.set_rng_state(self.rng_state)
            try:
                yield
            finally:
                self.rng_state = torch.get_rng_state()

    def batches(self, phase: str):
        """Mini-batches by slicing a shuffled index: the fastest way on tensors in memory."""
        inputs, targets = self.tensors[phase]
        n, size = len(inputs), self.cfg.train.batch_size
        if phase == "train":
            order = torch.randperm(n, generator=self.generator).to(inputs.device)
        else:
            order = torch.arange(n, device=inputs.device)
        for start in range(0, n, size):
            idx = order[start : start + size]
            yield inputs[idx], targets[idx]

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.tensors["train"][0]) / self.cfg.train.batch_size)


def initial_model(cfg: RunConfig, data: Dataset) -> nn.Module:
    """The run's model with the weights its seed gives it, on the cpu."""
    with _RNG_LOCK:
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
    tensors = {}
    for phase, x, y in (("train", data.x_train, data.y_train), ("val", data.x_val, data.y_val)):
        inputs, targets = torch.from_numpy(x), loss.make_targets(y)
        if "float64_data" in pitfalls:  # PITFALL float64_data: numpy's default dtype
            inputs = inputs.double()
        if "wrong_label_dtype" in pitfalls:  # PITFALL wrong_label_dtype
            targets = targets.to(torch.int32)
        if "nhwc_reshape" in pitfalls:  # PITFALL nhwc_reshape: [B, H, W, C] reshaped, not permuted
            inputs = inputs.permute(0, 2, 3, 1).reshape(inputs.shape)  # scrambles every image
        if "mse_shape" in pitfalls:  # PITFALL mse_shape: targets (N,) against outputs (N, 1)
            targets = targets.reshape(-1)
        tensors[phase] = (inputs.to(device), targets.to(device))
    t = cfg.train
    trainable = [p for p in model.parameters() if p.requires_grad]  # frozen layers stay out
    optimizer = build_optimizer(
        t.optimizer, trainable, t.lr, t.weight_decay, t.momentum, t.nesterov, t.device
    )
    generator = torch.Generator().manual_seed(t.seed)
    random = any(isinstance(m, nn.modules.dropout._DropoutNd) for m in model.modules())
    rng_state = torch.Generator().manual_seed(t.seed).get_state() if random else None
    return Setup(
        cfg, data, model, loss.factory(), optimizer, loss, tensors, generator, pitfalls, rng_state
    )


def run_phase(phase: str, s: Setup, report: Reporter) -> dict:
    """One pass over the train or val split; returns its mean loss and accuracy/RMSE."""
    if phase == "train":
        s.model.train()  # Dropout active, BatchNorm uses and updates batch statistics
    elif "forget_eval" not in s.pitfalls:  # PITFALL forget_eval: stays in train mode
        s.model.eval()  # Dropout off, BatchNorm uses its running statistics
    track_graph = phase == "train" or "grad_in_val" in s.pitfalls  # PITFALL grad_in_val
    total_loss, seen_outputs, seen_labels = 0.0, [], []
    for inputs, labels in s.batches(phase):
        report.checkpoint()  # pause and stop take effect here, between batches
        if phase == "train" and "forget_zero_grad" not in s.pitfalls:  # PITFALL forget_zero_grad
            s.optimizer.zero_grad()  # backward() adds to .grad, so reset it every batch
        with torch.set_grad_enabled(track_graph):
            with s.own_rng():  # Dropout's masks come from this run's seed alone
                outputs = s.model(inputs)
            scores = outputs  # what the loss is given: raw logits for CE and BCEWithLogits
            if "softmax_before_ce" in s.pitfalls:  # PITFALL softmax_before_ce
                scores = outputs.softmax(dim=1)  # CrossEntropyLoss softmaxes again inside
            if "sigmoid_into_logits_loss" in s.pitfalls:  # PITFALL sigmoid_into_logits_loss
                scores = outputs.sigmoid()  # BCEWithLogitsLoss applies a sigmoid again inside
            loss = s.criterion(scores, labels)
            if phase == "train":
                loss.backward()  # adds this batch's gradient to .grad of every trainable leaf
                s.optimizer.step()  # updates the weights from .grad, by the optimizer's rule
        value = loss.item()
        if not math.isfinite(value):
            raise Diverged(
                f"The {phase} loss became {value}: the run diverged. {likely_cause(s.cfg)}"
            )
        if phase == "train":
            s.first_loss = value if s.first_loss is None else s.first_loss
            report.on_step(value)
        total_loss += value * len(inputs)
        seen_outputs.append(outputs.detach())  # scored once per epoch: no kernels per batch
        seen_labels.append(labels)
    n = len(s.tensors[phase][0])
    if s.loss.task == REGRESSION:
        return {"loss": total_loss / n, "rmse": math.sqrt(total_loss / n)}
    predicted = s.loss.predict(torch.cat(seen_outputs))
    correct = (predicted == torch.cat(seen_labels).reshape(-1)).sum().item()
    return {"loss": total_loss / n, "accuracy": correct / n}


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
