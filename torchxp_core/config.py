"""A run's settings: typed, validated dataclasses that round-trip through plain dicts (JSON).

Every check raises ``ValueError`` with a sentence a person can act on; pages show it with
``st.error``. Construction validates, so a config that exists is a config that can run.
"""

import math
from dataclasses import asdict, dataclass, field, fields

from torchxp_core import catalogue, devices, losses, optimizers, tables

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
MODEL_KINDS = ("mlp", "cnn")
# Deliberate mistakes the Training Lab can switch on (lessons #1, #3, #4); see training.py.
PITFALLS: dict[str, str] = {
    "forget_zero_grad": "forget optimizer.zero_grad()",
    "forget_eval": "forget model.eval() in validation",
    "grad_in_val": "keep the graph in validation (no set_grad_enabled(False))",
    "wrong_label_dtype": "labels as int32 instead of the dtype the loss needs",
    "float64_data": "float64 data into a float32 model",
    "nhwc_reshape": "images [B, H, W, C] 'fixed' with reshape instead of permute",
    "softmax_before_ce": "softmax applied before CrossEntropyLoss",
    "sigmoid_into_logits_loss": "a sigmoid output fed to BCEWithLogitsLoss",
    "logits_into_bce": "raw logits fed to BCELoss (no final Sigmoid)",
    "mse_shape": "outputs (N, 1) against targets (N,) in MSELoss",
}
# The loss a pitfall is about: with another loss its branch would mean something else.
PITFALL_LOSSES = {
    "softmax_before_ce": "cross_entropy",
    "sigmoid_into_logits_loss": "bce_with_logits",
    "logits_into_bce": "bce",
    "mse_shape": "mse",
}


def hidden_text(sizes) -> str:
    """(64, 32) -> '64,32': hidden sizes as the text ``parse_hidden`` reads back."""
    return ",".join(map(str, sizes))


def parse_hidden(text: str) -> tuple[int, ...]:
    """'64, 32' -> (64, 32); an empty string means no hidden layer."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    sizes = []
    for part in parts:
        # isascii: str.isdigit() also takes '²' and '٣', which int() refuses or reads otherwise.
        if not (part.isascii() and part.isdigit()) or not part.strip("0"):
            raise ValueError(
                f"Hidden sizes are positive whole numbers separated by commas, like 64,32; "
                f"{_shown(part)} is not one."
            )
        if len(part.lstrip("0")) > 6:  # int() of 4,300+ digits raises in Python's own words
            raise ValueError(f"A hidden size must be between 1 and 4096; got {_shown(part)}.")
        sizes.append(int(part))
    return tuple(sizes)


def _shown(value, limit: int = 40) -> str:
    """A value as a message quotes it: its repr, cut short (links can be long)."""
    if isinstance(value, int) and abs(value) > 10**12:
        return "a number that large"  # repr of a 5,000-digit int raises ValueError
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _layer_names(value) -> tuple[str, ...]:
    """Frozen layers as the model names them: ("0", "3"); whole numbers are taken too."""
    if isinstance(value, str) or not isinstance(value, tuple | list):
        raise ValueError(
            f"Frozen layers are a list of layer numbers, like 0,3; not {_shown(value)}."
        )
    names = []
    for name in value:
        text = str(name) if isinstance(name, int) and not isinstance(name, bool) else name
        if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > 3:
            raise ValueError(
                f"Frozen layers are named by their number in the model, like 0 or 3; "
                f"{_shown(name)} is not one."
            )
        if str(int(text)) not in names:
            names.append(str(int(text)))
    return tuple(names)


def _check_number(name: str, value, low: float, high: float, *, integer: bool = False) -> None:
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be {kind}, not {_shown(value)}.")
    # Floats only: float() of a huge int overflows, and ints are whole and finite anyway.
    if isinstance(value, float) and integer and not value.is_integer():
        raise ValueError(f"{name} must be {kind}, not {_shown(value)}.")
    if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}; got {_shown(value)}.")


def _check_bool(name: str, value) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} is on or off (true or false), not {_shown(value)}.")


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "moons"  # one of catalogue.DATASETS
    n_samples: int = 1000  # before the train/validation split
    noise: float = 0.2  # std of the Gaussian noise the generator adds
    n_classes: int = 3  # spiral arms / blob centres; fixed by the dataset elsewhere
    val_fraction: float = 0.2  # share of samples held out for validation
    seed: int = 0  # the data's own seed, apart from the model's
    standardize: bool = True  # zero mean, unit variance per feature, fitted on train only
    # Your CSV (dataset "csv"): the stored file's content hash, the column to predict, the
    # feature columns, and the task ("" = inferred from the target).
    table: str = ""
    target: str = ""
    features: tuple[str, ...] = ()
    task: str = ""

    def __post_init__(self):
        if self.dataset not in catalogue.DATASETS:
            raise ValueError(
                f"Unknown dataset '{self.dataset}'. Choose one of: {', '.join(catalogue.DATASETS)}."
            )
        _check_number("Number of samples", self.n_samples, 20, 1_000_000, integer=True)
        _check_number("Noise", self.noise, 0.0, 10.0)
        _check_number("Number of classes", self.n_classes, 2, 20, integer=True)
        info = catalogue.DATASETS[self.dataset]
        if info.min_classes > 2 and self.n_classes < info.min_classes:
            raise ValueError(
                f"{info.label} needs at least {info.min_classes} classes; got {self.n_classes}."
            )
        _check_number("Validation fraction", self.val_fraction, 0.05, 0.9)
        _check_number("Data seed", self.seed, 0, 2**31 - 1, integer=True)
        if isinstance(self.features, str) or not isinstance(self.features, tuple | list):
            raise ValueError(f"Features are a list of column names, not {_shown(self.features)}.")
        object.__setattr__(self, "features", tuple(str(f) for f in self.features))
        for name, value in (("table", self.table), ("target", self.target), ("task", self.task)):
            if not isinstance(value, str):
                raise ValueError(f"The CSV's {name} is text, not {_shown(value)}.")
        if self.task not in ("", losses.CLASSIFICATION, losses.REGRESSION):
            raise ValueError(f"The task is classification or regression, not {self.task!r}.")

    def stored_table(self) -> tables.Arrays:
        """Your CSV's arrays (dataset "csv"), read from the store by content hash."""
        return tables.stored_arrays(self.table, self.target, tuple(self.features), self.task)

    def resolved_task(self) -> str:
        """Classification or regression: the dataset's, or for a CSV the one chosen or inferred."""
        if self.dataset == "csv":
            return self.stored_table().task
        return catalogue.DATASETS[self.dataset].task

    def class_count(self) -> int:
        """Classes of the configured dataset (0 for regression)."""
        if self.resolved_task() == losses.REGRESSION:
            return 0
        if self.dataset == "csv":
            return len(self.stored_table().classes)
        return catalogue.DATASETS[self.dataset].classes or self.n_classes

    def sample_count(self) -> int:
        """Samples before the split: a fixed dataset's size, the CSV's rows, or n_samples."""
        if self.dataset == "csv":
            return len(self.stored_table().x)
        return catalogue.FIXED_SAMPLES.get(self.dataset, self.n_samples)

    def train_count(self) -> int:
        total = self.sample_count()
        return total - catalogue.n_val(total, self.val_fraction)

    def input_shape(self) -> tuple[int, ...]:
        """One sample's shape: the catalogue's, or for a CSV its feature columns."""
        if self.dataset == "csv":  # the features chosen, not the catalogue's placeholder
            return (len([f for f in self.features if f != self.target]),)
        return catalogue.DATASETS[self.dataset].input_shape


@dataclass(frozen=True)
class ModelConfig:
    kind: str = "mlp"  # "mlp" for points and images, "cnn" for images only
    hidden: tuple[int, ...] = (16, 16)  # hidden layer widths; the CNN uses them after its convs
    activation: str = "relu"  # one of ACTIVATIONS
    dropout: float = 0.0  # after each hidden activation; 0 disables
    batch_norm: bool = False  # BatchNorm1d after each hidden Linear
    frozen: tuple[str, ...] = ()  # layer indices ("0", "3") whose parameters do not train

    def __post_init__(self):
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"Unknown model '{self.kind}'. Choose one of: mlp, cnn.")
        if isinstance(self.hidden, str):
            object.__setattr__(self, "hidden", parse_hidden(self.hidden))
        if not isinstance(self.hidden, tuple | list):
            raise ValueError(f"Hidden sizes are a list like 64,32; not {_shown(self.hidden)}.")
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for size in self.hidden:
            _check_number("A hidden size", size, 1, 4096, integer=True)
        if len(self.hidden) > 8:
            raise ValueError("At most 8 hidden layers; this is a teaching tool.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"Unknown activation '{self.activation}'. Choose one of: {', '.join(ACTIVATIONS)}."
            )
        _check_number("Dropout", self.dropout, 0.0, 0.95)
        _check_bool("Batch norm", self.batch_norm)
        object.__setattr__(self, "frozen", _layer_names(self.frozen))


VAL_ROWS = 1024


@dataclass(frozen=True)
class TrainConfig:
    loss: str = "cross_entropy"  # one of losses.LOSSES
    optimizer: str = "adam"  # one of optimizers.OPTIMIZERS
    lr: float = 0.01  # learning rate
    momentum: float = 0.9  # SGD and RMSprop only
    nesterov: bool = False  # SGD only; needs momentum > 0
    weight_decay: float = 0.0  # L2 penalty (decoupled for AdamW)
    batch_size: int = 32
    epochs: int = 40
    endless: bool = False  # no epoch limit: trains until Stop, like TensorFlow Playground
    device: str = "cpu"  # one of devices.available_devices()
    seed: int = 0  # seeds weights and batch order: same seed, same losses on CPU
    pitfalls: tuple[str, ...] = ()  # deliberate mistakes, keys of PITFALLS

    @property
    def val_batch_size(self) -> int:
        """Rows per validation batch. No backward(), so nothing is kept between a batch's
        layers: up to VAL_ROWS at once, a small split in one forward (4 batches of 64 took
        twice as long as one of 200, ~2 % of a small MLP's epoch)."""
        return max(self.batch_size, VAL_ROWS)

    def __post_init__(self):
        losses.get_loss(self.loss)
        optimizers.check_name(self.optimizer)
        if isinstance(self.lr, bool) or not isinstance(self.lr, int | float):
            raise ValueError(f"Learning rate must be a number, not {self.lr!r}.")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise ValueError(f"Learning rate must be a finite number above 0; got {self.lr!r}.")
        if self.lr > 100:
            raise ValueError(f"Learning rate {self.lr:g} is beyond any sensible range (max 100).")
        _check_number("Momentum", self.momentum, 0.0, 0.999)
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ValueError("Nesterov momentum needs the sgd optimizer and momentum above 0.")
        _check_number("Weight decay", self.weight_decay, 0.0, 1.0)
        _check_number("Batch size", self.batch_size, 1, 1_000_000, integer=True)
        _check_number("Epochs", self.epochs, 1, 100_000, integer=True)
        if not isinstance(self.endless, bool):
            raise ValueError(f"'Until paused' is true or false, not {self.endless!r}.")
        _check_number("Seed", self.seed, 0, 2**31 - 1, integer=True)
        present = devices.available_devices()
        if self.device not in present:
            raise ValueError(
                f"Device {_shown(self.device)} is not present on this machine; "
                f"choose one of: {', '.join(present)}."
            )
        object.__setattr__(self, "pitfalls", tuple(self.pitfalls))
        for pitfall in self.pitfalls:
            if pitfall not in PITFALLS:
                raise ValueError(
                    f"Unknown pitfall {_shown(pitfall)}. Choose from: {', '.join(PITFALLS)}."
                )


def layers_with_parameters(model: ModelConfig, image: bool) -> tuple[str, ...]:
    """The names (indices) that models.build_model gives its layers with parameters, from the
    settings alone: ("0", "2", "4") for an MLP 2-16-16-2. ``image``: the data are images."""
    if model.kind == "cnn":
        owners, index = [0, 3], 7  # conv, relu, pool, conv, relu, pool, flatten
    else:
        owners, index = [], 1 if image else 0  # an MLP on images flattens them first
    for _ in model.hidden:
        owners.append(index)  # Linear
        index += 1
        if model.batch_norm:
            owners.append(index)
            index += 1
        index += 1 + (model.dropout > 0)  # the activation, then Dropout
    owners.append(index)  # the head's Linear (a Sigmoid after it has no parameters)
    return tuple(map(str, owners))


def _check_frozen(model: ModelConfig, image: bool) -> None:
    owners = layers_with_parameters(model, image)
    for name in model.frozen:
        if name not in owners:
            raise ValueError(
                f"Layer {name} has no parameters to freeze in this model; layers with "
                f"parameters: {', '.join(owners)}. Unfreeze it or choose one of those."
            )


def _check_types(section: str, values: dict, defaults: object) -> None:
    """Each value of a section from outside (JSON) has its field's type, before the
    section's own checks read it: the sentence names the setting and the type it needs."""
    for name, value in values.items():
        default = getattr(defaults, name)
        if isinstance(default, bool):
            ok, need = isinstance(value, bool), "true or false"
        elif isinstance(default, int | float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            need = "a number"
            if ok and isinstance(value, int) and abs(value) > 2**53:
                ok, need = False, "a number of sensible size"
        elif isinstance(default, str):
            ok, need = isinstance(value, str), "text"
        else:  # a tuple: a list of names or sizes ("64,32" is also taken for hidden sizes)
            items = value if isinstance(value, list | tuple) else None
            ok = items is not None and all(
                isinstance(v, str | int) and not isinstance(v, bool) for v in items
            )
            ok = ok or (name == "hidden" and isinstance(value, str))
            need = "a list of names or numbers"
        if not ok:
            raise ValueError(f"Setting {section}.{name} must be {need}, not {_shown(value)}.")


def _names(keys) -> str:
    return ", ".join(sorted(_shown(k, 24) for k in keys))


@dataclass(frozen=True)
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self):
        info = catalogue.DATASETS[self.data.dataset]
        if self.data.dataset == "csv" and not self.data.table:
            raise ValueError("Upload a CSV file (in Data) to train on your own table.")
        n_classes = self.data.class_count()  # a CSV's: its stored table exists and can train
        task = self.data.resolved_task()
        losses.check_serves(losses.get_loss(self.train.loss), task, n_classes)
        if self.model.kind == "cnn" and not info.image:
            raise ValueError(
                f"The CNN needs image data (digits or coloured shapes); {info.label} is points: "
                "use the mlp."
            )
        if "nhwc_reshape" in self.train.pitfalls and not info.image:
            raise ValueError(
                f"The mistake '{PITFALLS['nhwc_reshape']}' needs images; {info.label} is points: "
                "choose Coloured shapes."
            )
        for pitfall in self.train.pitfalls:
            needed = PITFALL_LOSSES.get(pitfall)
            if needed and self.train.loss != needed:
                raise ValueError(
                    f"The mistake '{PITFALLS[pitfall]}' is about {losses.LOSSES[needed].label}: "
                    f"choose that loss (Training), or switch the mistake off."
                )
        n_train = self.data.train_count()
        if self.train.batch_size > n_train:
            raise ValueError(
                f"Batch size {self.train.batch_size} is larger than the training set "
                f"({n_train} samples): lower it or add samples."
            )
        _check_frozen(self.model, info.image)  # a layer the model lacks fails here, not at Train

    @property
    def loss(self) -> losses.LossSpec:
        return losses.get_loss(self.train.loss)

    def to_dict(self) -> dict:
        """Plain, JSON-ready dict (tuples become lists)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "RunConfig":
        """Inverse of to_dict; unknown keys are an error, missing keys take defaults."""
        if not isinstance(raw, dict):
            raise ValueError("Settings must be a JSON object with data, model and train.")
        unknown = set(raw) - {"data", "model", "train"}
        if unknown:
            raise ValueError(
                f"Unknown settings section(s): {_names(unknown)}; the sections are data, "
                f"model and train."
            )
        parts = {}
        for name, part_cls in (
            ("data", DataConfig),
            ("model", ModelConfig),
            ("train", TrainConfig),
        ):
            section = raw.get(name, {})
            if not isinstance(section, dict):
                raise ValueError(f"Settings section '{name}' must be an object.")
            known = {f.name for f in fields(part_cls)}
            extra = set(section) - known
            if extra:
                raise ValueError(f"Unknown {name} setting(s): {_names(extra)}.")
            _check_types(name, section, part_cls())
            parts[name] = part_cls(**section)
        return cls(**parts)
