"""The Training Lab's settings sidebar: widgets in, a validated RunConfig (or a sentence) out.

Settings are kept in session state under their dotted names ("train.lr"), so share links can
carry the same keys and other pages can read the current choice with ``current_config``.
"""

import streamlit as st

from torchxp_core import budget, ranges
from torchxp_core import config as cfgmod
from torchxp_core.catalogue import DATASETS, FIXED_SAMPLES
from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.devices import available_devices
from torchxp_core.losses import CLASSIFICATION, LOSSES
from torchxp_core.optimizers import MOMENTUM_OPTIMIZERS, OPTIMIZERS

DEFAULTS = RunConfig()


def default(key: str):
    """The default of a dotted setting; hidden sizes as the text the user edits."""
    section, name = key.split(".")
    value = getattr(getattr(DEFAULTS, section), name)
    if key == "model.hidden":
        return cfgmod.hidden_text(value)
    return list(value) if isinstance(value, tuple) else value


def get(key: str):
    """The current value of a setting, whichever page asks."""
    return st.session_state.get(key, default(key))


def put(key: str, value) -> None:
    """Set a setting from outside its widget (a share link, a 'load run' button); hidden
    sizes may come as a RunConfig holds them or as the text the user edits."""
    if key == "model.hidden" and not isinstance(value, str):
        value = cfgmod.hidden_text(value)
    st.session_state[key] = value
    st.session_state.pop("w:" + key, None)  # the widget re-seeds from the new value


def put_all(values: dict) -> None:
    """Several settings at once (a button's 'use these settings')."""
    for key, value in values.items():
        put(key, value)


def widget(kind, label: str, key: str, choices: list | None = None, **kw):
    """A widget bound to setting ``key``.

    Streamlit forgets a widget's state on pages where it is not drawn, so the value lives
    under ``key`` and the widget under ``"w:" + key``, created with the stored value as its
    default: switching pages loses nothing, and a widget the browser remounts comes back
    with the setting, not with the widget's own zero default.
    """
    wkey, value = "w:" + key, get(key)
    if choices is not None:
        kw["options"] = choices
        if value not in choices:  # e.g. a loss the new dataset cannot use
            value = choices[0]
        if st.session_state.get(wkey, value) not in choices:
            del st.session_state[wkey]
        kw["index"] = choices.index(value)
    elif kind is st.multiselect:
        kw["default"] = [v for v in value if v in kw["options"]]
    else:
        kw["value"] = value
    st.session_state[key] = kind(label, key=wkey, **kw)
    return st.session_state[key]


def select(label: str, key: str, choices: list, labels: dict | None = None, **kw):
    fmt = (lambda v: labels.get(v, v)) if labels else str
    return widget(st.selectbox, label, key, choices, format_func=fmt, **kw)


def _data_section() -> dict:
    labels = {k: v.label for k, v in DATASETS.items()}
    raw = {"dataset": select("Dataset", "data.dataset", list(DATASETS), labels)}
    info = DATASETS[raw["dataset"]]
    st.caption(info.description)
    if raw["dataset"] == "csv":
        from ui import table_upload  # the CSV's own widgets

        raw.update(table_upload.section())
    elif raw["dataset"] not in FIXED_SAMPLES:  # generated here: its size and noise are ours
        raw["n_samples"] = widget(
            st.slider, "Samples", "data.n_samples", **ranges.widget("data.n_samples")
        )
        raw["noise"] = widget(st.slider, "Noise", "data.noise", **ranges.widget("data.noise"))
    if info.task == CLASSIFICATION and not info.classes and raw["dataset"] != "csv":
        classes = ranges.WIDGETS["data.n_classes"]
        raw["n_classes"] = widget(
            st.slider,
            "Classes",
            "data.n_classes",
            min_value=max(classes.low, info.min_classes),
            max_value=classes.high,
        )
    raw["val_fraction"] = widget(
        st.slider, "Validation fraction", "data.val_fraction", **ranges.widget("data.val_fraction")
    )
    raw["seed"] = int(widget(st.number_input, "Data seed", "data.seed", min_value=0, step=1))
    raw["standardize"] = widget(st.checkbox, "Standardise features", "data.standardize")
    return raw


def _frozen_note() -> None:
    frozen = get("model.frozen")
    if frozen:
        st.caption(f"Frozen layers: {', '.join(frozen)} (chosen on the Autograd Inspector)")
        st.button("Unfreeze all", key="unfreeze", on_click=put, args=("model.frozen", []))


def _model_section(image: bool) -> dict:
    kinds = {"mlp": "MLP", "cnn": "small CNN"}
    _frozen_note()
    return {
        "kind": select("Architecture", "model.kind", ["mlp", "cnn"] if image else ["mlp"], kinds),
        "hidden": widget(
            st.text_input,
            "Hidden sizes",
            "model.hidden",
            help="Comma-separated widths of the hidden layers, e.g. 32,32",
        ),
        "activation": select("Activation", "model.activation", list(cfgmod.ACTIVATIONS)),
        "dropout": widget(st.slider, "Dropout", "model.dropout", **ranges.widget("model.dropout")),
        "batch_norm": widget(st.checkbox, "Batch norm", "model.batch_norm"),
        # Chosen on the Autograd Inspector page; kept here so Train uses it.
        "frozen": tuple(get("model.frozen")),
    }


def _train_section(task: str, classes: int) -> dict:
    usable = [
        k for k, s in LOSSES.items() if s.task == task and (not s.binary_only or classes == 2)
    ]
    raw = {
        "loss": select("Loss", "train.loss", usable, {k: s.label for k, s in LOSSES.items()}),
        "optimizer": select("Optimizer", "train.optimizer", list(OPTIMIZERS), OPTIMIZERS),
        "lr": widget(
            st.number_input,
            "Learning rate",
            "train.lr",
            format="%.4f",
            step=0.001,
            help="Above 0. Try 5 with Adam or SGD to watch a run diverge.",
        ),
    }
    if raw["optimizer"] in MOMENTUM_OPTIMIZERS:
        raw["momentum"] = widget(
            st.slider, "Momentum", "train.momentum", **ranges.widget("train.momentum")
        )
    if raw["optimizer"] == "sgd":
        raw["nesterov"] = widget(st.checkbox, "Nesterov", "train.nesterov")
    raw["weight_decay"] = widget(
        st.number_input,
        "Weight decay",
        "train.weight_decay",
        min_value=0.0,
        format="%.4f",
        step=0.0001,
    )
    raw["batch_size"] = int(widget(st.number_input, "Batch size", "train.batch_size", step=1))
    raw["epochs"] = int(widget(st.number_input, "Epochs", "train.epochs", step=1))
    raw["endless"] = widget(
        st.checkbox,
        "Until paused (no epoch limit)",
        "train.endless",
        help="Train on and on, like TensorFlow Playground, until Stop.",
    )
    raw["device"] = select("Device", "train.device", available_devices())
    raw["seed"] = int(
        widget(
            st.number_input,
            "Seed",
            "train.seed",
            min_value=0,
            step=1,
            help="Seeds weights and batch order.",
        )
    )
    return raw


def _pitfalls(label: str = "Mistakes") -> tuple[str, ...]:
    return tuple(
        widget(
            st.multiselect,
            label,
            "train.pitfalls",
            options=list(cfgmod.PITFALLS),
            format_func=cfgmod.PITFALLS.get,
        )
    )


def sidebar() -> tuple[RunConfig | None, str]:
    """Draw every setting, then validate: (config, "") or (None, what is wrong, in a sentence).

    All widgets are drawn before validating, so a bad value never hides (and so resets) the
    widgets after it.
    """
    with st.sidebar:
        # Tabs, not one long column: every group is one click away, none below the fold.
        tabs = st.tabs(["Data", "Model", "Training", "Pitfalls"])
        with tabs[0]:
            data = _data_section()
        info = DATASETS[data["dataset"]]
        with tabs[1]:
            model = _model_section(info.image)
        task, classes = _task_and_classes(data)
        with tabs[2]:
            train = _train_section(task, classes)
        with tabs[3]:
            st.caption("Make a classic mistake on purpose and watch what it does.")
            train["pitfalls"] = _pitfalls()
    return build(data, model, train)


def _task_and_classes(data: dict) -> tuple[str, int]:
    """What the loss choices follow: the dataset's task and classes (a CSV's from its table)."""
    keys = ("dataset", "n_classes", "table", "target", "features", "task")
    try:
        probe = DataConfig(**{k: data[k] for k in keys if k in data})
        return probe.resolved_task(), probe.class_count()
    except ValueError:  # no usable table yet: the settings' own error says why
        return DATASETS[data["dataset"]].task, 2


def presenter_bar() -> tuple[RunConfig | None, str]:
    """The settings a presenter changes live, in one row above the charts; the rest as stored."""
    cols = st.columns([2, 1.4, 1.4, 1.4, 3])
    labels = {k: v.label for k, v in DATASETS.items()}
    with cols[0]:
        select("Dataset", "data.dataset", list(DATASETS), labels)
    with cols[1]:
        widget(st.text_input, "Hidden sizes", "model.hidden")
    with cols[2]:
        select("Activation", "model.activation", list(cfgmod.ACTIVATIONS))
    with cols[3]:
        widget(st.number_input, "Learning rate", "train.lr", format="%.4f", step=0.001)
    with cols[4]:
        _pitfalls("Pitfalls")
    return from_state()


def build(data: dict, model: dict, train: dict) -> tuple[RunConfig | None, str]:
    try:
        model = {**model, "hidden": cfgmod.parse_hidden(model["hidden"])}
        config = RunConfig(DataConfig(**data), ModelConfig(**model), TrainConfig(**train))
    except ValueError as exc:
        return None, str(exc)
    refusal = budget.check(config)  # before Train, not when the server runs out of memory
    return (None, refusal) if refusal else (config, "")


def from_state() -> tuple[RunConfig | None, str]:
    """The settings as stored in this tab, validated, without drawing a widget."""
    keys = {
        "data": DataConfig.__dataclass_fields__,
        "model": ModelConfig.__dataclass_fields__,
        "train": TrainConfig.__dataclass_fields__,
    }
    raw = {sec: {f: get(f"{sec}.{f}") for f in fields} for sec, fields in keys.items()}
    raw["train"]["pitfalls"] = tuple(raw["train"]["pitfalls"])
    raw["model"]["frozen"] = tuple(raw["model"]["frozen"])
    return build(raw["data"], raw["model"], raw["train"])


def current_config() -> RunConfig:
    """The settings as they stand in this tab (defaults where never touched or invalid)."""
    return from_state()[0] or DEFAULTS
