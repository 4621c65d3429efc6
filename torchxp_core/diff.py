"""What differs between two runs' settings, in words: "learning rate 0.01 → 0.1"."""

from torchxp_core.config import RunConfig

# How a person reads a dotted setting; any other key is shown as it is named.
LABELS = {
    "data.dataset": "dataset",
    "data.n_samples": "samples",
    "data.noise": "noise",
    "data.n_classes": "classes",
    "data.val_fraction": "validation fraction",
    "data.seed": "data seed",
    "data.standardize": "standardise",
    "model.kind": "architecture",
    "model.hidden": "hidden sizes",
    "model.activation": "activation",
    "model.dropout": "dropout",
    "model.batch_norm": "batch norm",
    "model.frozen": "frozen layers",
    "train.loss": "loss",
    "train.optimizer": "optimizer",
    "train.lr": "learning rate",
    "train.momentum": "momentum",
    "train.nesterov": "Nesterov",
    "train.weight_decay": "weight decay",
    "train.batch_size": "batch size",
    "train.epochs": "epochs",
    "train.endless": "until paused",
    "train.device": "device",
    "train.seed": "seed",
    "train.pitfalls": "pitfalls",
}


def _flat(cfg: RunConfig) -> dict[str, object]:
    return {f"{part}.{k}": v for part, values in cfg.to_dict().items() for k, v in values.items()}


def value_text(value) -> str:
    """A setting's value as the runs' comparisons show it: '64,32', 'none', '0.01'."""
    if isinstance(value, list | tuple):
        return ",".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def changes(old: RunConfig, new: RunConfig) -> list[str]:
    """Each setting that differs, as 'name old → new', in the order of the settings."""
    a, b = _flat(old), _flat(new)
    return [
        f"{LABELS.get(key, key)} {value_text(a[key])} → {value_text(b[key])}"
        for key in a
        if a[key] != b[key]
    ]
