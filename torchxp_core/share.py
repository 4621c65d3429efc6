"""Settings in a URL: a RunConfig as short query parameters, and back, forgiving bad values.

A link is typed, pasted and trimmed by people, so reading one never raises: each bad or
unknown value is dropped with a short warning and its field keeps the default.
"""

import math
from dataclasses import fields

from torchxp_core import data, ranges
from torchxp_core.config import (
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
    layers_with_parameters,
    parse_hidden,
)

SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
LIST_FIELDS = {"model.hidden", "model.frozen", "train.pitfalls", "data.features"}  # a,b,c in links
DEFAULTS = RunConfig()
KEYS = tuple(f"{sec}.{f.name}" for sec, cls in SECTIONS.items() for f in fields(cls))  # in order


def _text(value) -> str:
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)


def to_query(cfg: RunConfig) -> dict[str, str]:
    """Only the settings that differ from the defaults, as {"train.lr": "0.1", ...}."""
    query = {}
    for section, cls in SECTIONS.items():
        part, default = getattr(cfg, section), getattr(DEFAULTS, section)
        for f in fields(cls):
            value = getattr(part, f.name)
            if value != getattr(default, f.name):
                query[f"{section}.{f.name}"] = _text(value)
    return query


def query_of(settings: dict) -> dict[str, str]:
    """Stored settings ({"train": {"lr": 0.1}}) as link text, to be read back by from_query."""
    if not isinstance(settings, dict):
        return {}
    return {
        f"{section}.{name}": _text(value)
        for section, values in settings.items()
        if isinstance(values, dict)
        for name, value in values.items()
    }


def _quoted(text: str, limit: int = 60) -> str:
    """A key or value as a warning quotes it, cut short: a link can be megabytes long."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _parse(key: str, text: str, default):
    if key == "model.hidden":
        return parse_hidden(text)
    if key in LIST_FIELDS:
        return tuple(t.strip() for t in text.split(",") if t.strip())
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{_quoted(text)} is not on or off (1/0).")
    if isinstance(default, str):
        return text
    try:
        return int(text) if isinstance(default, int) else float(text)
    except ValueError:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise ValueError(f"{_quoted(text)} is not {kind}.") from None


def _held_to_widget(key: str, value, text: str) -> tuple[object, str]:
    """A number outside its slider's range moved to the nearest end: (value, warning or '').

    Values that are not finite numbers are left to the section's own check, which drops them.
    """
    bounds = ranges.WIDGETS.get(key)
    if bounds is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value, ""
    inside = bounds.low <= value <= bounds.high  # NaN is inside nothing: the section drops it
    if inside or (isinstance(value, float) and not math.isfinite(value)):
        return value, ""
    held = bounds.clamp(value)
    return held, (
        f"Changed {key}={_quoted(text)} to {held:g}: the lab's {bounds.label} slider goes "
        f"from {bounds.low:g} to {bounds.high:g}."
    )


def _drop_missing_layers(accepted: dict[str, dict], text: str) -> list[str]:
    """Frozen layers must exist in the model the other settings build (checked by RunConfig
    too, but here a bad one is dropped with a warning instead of failing the whole lab)."""
    if not accepted["model"].get("frozen"):
        return []
    model = ModelConfig(**accepted["model"])
    dataset = accepted["data"].get("dataset", DEFAULTS.data.dataset)
    owners = layers_with_parameters(model, data.DATASETS[dataset].image)
    if all(name in owners for name in model.frozen):
        return []
    del accepted["model"]["frozen"]
    return [
        f"Ignored model.frozen={_quoted(text)}: this model's layers with parameters are "
        f"{', '.join(owners)}; using the default."
    ]


def from_query(query: dict[str, str]) -> tuple[dict[str, object], list[str]]:
    """Valid settings as {dotted key: typed value}, and one warning per value left out.

    Values are taken in the settings' own order, each held to its slider's range (a link is
    clicked by anyone; the config's own limits are wider), then checked by building its
    section with the values accepted so far plus this one, so the section's own validation
    (ranges, names, devices, "Nesterov needs sgd") decides, in its own words.
    """
    order = KEYS
    accepted: dict[str, dict] = {section: {} for section in SECTIONS}
    warnings = [f"Ignored unknown setting {_quoted(key)}." for key in query if key not in order]
    for key in (k for k in order if k in query):
        section, name = key.split(".")
        text = str(query[key])
        try:
            value = _parse(key, text, getattr(getattr(DEFAULTS, section), name))
            value, changed = _held_to_widget(key, value, text)
            SECTIONS[section](**{**accepted[section], name: value})
        except ValueError as exc:  # the sections raise nothing else, for any value
            reason = str(exc).rstrip(".")
            reason = reason if len(reason) <= 300 else reason[:299] + "…"  # it may quote text
            warnings.append(f"Ignored {key}={_quoted(text)}: {reason}; using the default.")
            continue
        accepted[section][name] = value
        if changed:
            warnings.append(changed)
    warnings += _drop_missing_layers(accepted, str(query.get("model.frozen", "")))
    values = {f"{sec}.{name}": v for sec, part in accepted.items() for name, v in part.items()}
    return values, warnings
