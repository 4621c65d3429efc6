"""Share links: settings round-trip through a URL; bad or unknown values never crash."""

import random
import string
from dataclasses import fields

from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.share import SECTIONS, from_query, to_query


def _apply(values: dict) -> RunConfig:
    parts = {"data": {}, "model": {}, "train": {}}
    for key, value in values.items():
        section, name = key.split(".")
        parts[section][name] = value
    return RunConfig(
        DataConfig(**parts["data"]), ModelConfig(**parts["model"]), TrainConfig(**parts["train"])
    )


def test_a_changed_config_round_trips_through_the_url():
    cfg = RunConfig(
        DataConfig(dataset="spiral", n_classes=4, noise=0.35, val_fraction=0.3),
        ModelConfig(hidden=(32, 8), batch_norm=True, activation="tanh"),
        TrainConfig(lr=0.003, optimizer="sgd", nesterov=True, pitfalls=("forget_eval",)),
    )
    values, warnings = from_query(to_query(cfg))
    assert warnings == []
    assert _apply(values) == cfg


def test_defaults_make_an_empty_query():
    assert to_query(RunConfig()) == {}


def test_bad_and_unknown_values_fall_back_to_defaults_with_a_sentence_each():
    values, warnings = from_query(
        {"train.lr": "-1", "data.dataset": "mnist", "colour": "red", "train.epochs": "12"}
    )
    assert values == {"train.epochs": 12}
    assert len(warnings) == 3
    assert any("Learning rate must be a finite number above 0" in w for w in warnings)
    assert any("Unknown dataset 'mnist'" in w for w in warnings)
    assert "Ignored unknown setting 'colour'." in warnings


def test_fuzzed_query_strings_never_raise_and_always_give_a_valid_config():
    rng = random.Random(0)
    keys = [f"{section}.{f.name}" for section, cls in SECTIONS.items() for f in fields(cls)]
    keys += ["x.y", "", "train", "present"]
    alphabet = string.printable + "éλ∞"
    for _ in range(2000):
        query = {
            rng.choice(keys): "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(1, 6))
        }
        values, warnings = from_query(query)
        for section in ("data", "model", "train"):  # each accepted section builds cleanly
            part = {k.split(".")[1]: v for k, v in values.items() if k.startswith(section)}
            {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}[section](**part)
        assert len(values) + len(warnings) >= 1


def test_frozen_layers_the_model_lacks_are_dropped_with_the_layers_it_has():
    values, warnings = from_query({"model.frozen": "0,9", "model.hidden": "8"})
    assert values == {"model.hidden": (8,)}
    assert warnings == [
        "Ignored model.frozen='0,9': this model's layers with parameters are 0, 2; "
        "using the default."
    ]
    values, warnings = from_query({"model.frozen": "1", "data.dataset": "digits"})
    assert values["model.frozen"] == ("1",) and warnings == []  # digits: Flatten is layer 0


def test_a_warning_never_quotes_a_huge_value_in_full():
    values, warnings = from_query({"data.dataset": "x" * 100_000, "y" * 100_000: "1"})
    assert values == {} and all(len(w) < 500 for w in warnings)
