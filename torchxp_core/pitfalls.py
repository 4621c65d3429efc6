"""What each pitfall switch does to a run, what to look for, and when a switch cannot show it.

A switch that changes nothing for the chosen settings must say so before Train (a model
without Dropout or BatchNorm computes the same in train and eval mode), and offer the
settings that make the mistake visible.
"""

import time
from dataclasses import dataclass
from functools import lru_cache

import torch

from torchxp_core.config import PITFALLS, RunConfig
from torchxp_core.data import DATASETS, make_dataset

# Per pitfall: the lesson of the note it belongs to, and what the twin view will show.
LOOK_FOR: dict[str, tuple[str, str]] = {
    "forget_zero_grad": (
        "#4",
        "Gradients pile up batch after batch: the steps grow, the loss "
        "wobbles or explodes while the twin's falls smoothly.",
    ),
    "forget_eval": (
        "#3",
        "Validation runs with Dropout still dropping (or BatchNorm on batch "
        "statistics): its loss is noisier and worse than the twin's.",
    ),
    "grad_in_val": (
        "#3",
        "The numbers are the twin's: keeping the graph in validation costs "
        "memory and time, not accuracy.",
    ),
    "wrong_label_dtype": (
        "#1",
        "torch refuses int32 labels at the first batch: the loss wants "
        "int64 class indices (cross-entropy) or floats (BCE, MSE).",
    ),
    "float64_data": (
        "#1",
        "torch refuses at the first batch: float64 inputs meet the model's "
        "float32 weights, and torch never casts silently.",
    ),
    "nhwc_reshape": (
        "#2",
        "reshape keeps the numbers' order, so every image is scrambled: "
        "the CNN learns far less than its twin, which permutes.",
    ),
    "softmax_before_ce": (
        "#5",
        "CrossEntropyLoss softmaxes again: the loss cannot fall below "
        "a floor and learning is slower than the twin's.",
    ),
    "sigmoid_into_logits_loss": (
        "#6",
        "BCEWithLogitsLoss applies its own sigmoid: a sigmoid "
        "of a sigmoid, a loss stuck above 0.31, slower learning.",
    ),
    "logits_into_bce": (
        "#7",
        "BCELoss takes probabilities only: torch stops at the first "
        "batch because the raw outputs are not between 0 and 1.",
    ),
    "mse_shape": (
        "#8",
        "torch warns and broadcasts (N, 1) against (N,) to (N, N): every output "
        "is pulled to every target, so the fitted curve goes flat at the mean.",
    ),
}


@dataclass(frozen=True)
class Silent:
    """A switch these settings cannot show, why, and the settings that would show it."""

    pitfall: str
    why: str
    fix: dict[str, object]  # dotted setting -> value ("model.dropout": 0.3); {} if none
    fix_label: str = ""


def silent(cfg: RunConfig) -> list[Silent]:
    """The switched-on mistakes that cannot change this run, each with its way out."""
    found = []
    pitfalls, model = cfg.train.pitfalls, cfg.model
    if "forget_eval" in pitfalls and model.dropout == 0 and not model.batch_norm:
        found.append(
            Silent(
                "forget_eval",
                "This model has no Dropout and no BatchNorm, so train and eval mode compute the "
                "same: forgetting model.eval() changes nothing here.",
                {"model.dropout": 0.3},
                "Use Dropout 0.3",
            )
        )
    if "grad_in_val" in pitfalls:
        cost = validation_cost(cfg)
        found.append(
            Silent(
                "grad_in_val",
                "Keeping the graph in validation gives the very same numbers; what it costs is "
                f"memory and time. Measured now on this model: each validation batch "
                f"({cost.rows:,} rows) keeps "
                f"{cost.kept_bytes / 1024:,.0f} KiB of tensors for a backward() that never comes, "
                f"and a pass takes {cost.slower:.2f}x the time of one under no_grad.",
                {},
            )
        )
    if "nhwc_reshape" in pitfalls and DATASETS[cfg.data.dataset].image:
        if cfg.data.dataset == "digits":
            found.append(
                Silent(
                    "nhwc_reshape",
                    "Digits have one channel: [B, H, W, 1] reshaped to [B, 1, H, W] is the same "
                    "array, so the mistake changes nothing. It needs colour images.",
                    {"data.dataset": "shapes", "model.kind": "cnn"},
                    "Use coloured shapes + CNN",
                )
            )
        elif model.kind == "mlp":
            found.append(
                Silent(
                    "nhwc_reshape",
                    "An MLP flattens each image, and the scramble is the same for every image: a "
                    "fixed reordering of its inputs, which an MLP learns just as well.",
                    {"model.kind": "cnn"},
                    "Use the small CNN",
                )
            )
    return found


def look_for(pitfall: str) -> str:
    lesson, sentence = LOOK_FOR[pitfall]
    return f"Lesson {lesson}, {PITFALLS[pitfall]}: {sentence}"


@dataclass(frozen=True)
class ValidationCost:
    kept_bytes: int  # tensors autograd saves for backward in one validation batch
    rows: int  # that batch's rows
    slower: float  # time of a pass with the graph / without (median of interleaved pairs)


@lru_cache(maxsize=16)  # the lab asks on every rerun; a config is immutable
def validation_cost(cfg: RunConfig, repeats: int = 7) -> ValidationCost:
    """What keeping the graph costs in validation, measured on this config's untrained model."""
    from torchxp_core.training import initial_model  # training imports this module's config

    data = make_dataset(cfg.data)
    model = initial_model(cfg, data).eval()
    x = torch.from_numpy(data.x_val[: cfg.train.val_batch_size])
    kept = []

    def pack(tensor):
        kept.append(tensor.numel() * tensor.element_size())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)  # grad enabled, as with the mistake: every op saves what backward needs
    batches = torch.split(torch.from_numpy(data.x_val), cfg.train.val_batch_size)[:4]
    ratios = []
    for _ in range(repeats):  # interleaved pairs: machine noise hits both alike
        times = []
        for keep in (True, False):
            start = time.perf_counter()
            with torch.set_grad_enabled(keep):
                for inputs in batches:
                    model(inputs)
            times.append(time.perf_counter() - start)
        ratios.append(times[0] / times[1])
    return ValidationCost(sum(kept), len(x), sorted(ratios)[len(ratios) // 2])
