"""Settings: every invalid value gives a sentence a person can act on; dicts round-trip."""

import json
import math

import pytest

from torchxp_core.config import (
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
    hidden_text,
    parse_hidden,
)


def test_defaults_are_valid_and_round_trip_through_json():
    cfg = RunConfig()
    assert RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_a_changed_config_round_trips_through_json():
    cfg = RunConfig(
        DataConfig(dataset="spiral", n_classes=4, noise=0.3, seed=7),
        ModelConfig(hidden=(8, 4), activation="tanh", dropout=0.1, batch_norm=True),
        TrainConfig(optimizer="sgd", lr=0.1, nesterov=True, pitfalls=("forget_eval",)),
    )
    assert RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TrainConfig(lr=0), "Learning rate must be a finite number above 0"),
        (lambda: TrainConfig(lr=-1e-3), "Learning rate must be a finite number above 0"),
        (lambda: TrainConfig(lr=math.nan), "Learning rate must be a finite number above 0"),
        (lambda: TrainConfig(lr=math.inf), "Learning rate must be a finite number above 0"),
        (lambda: TrainConfig(batch_size=0), "Batch size must be between 1"),
        (lambda: TrainConfig(loss="hinge"), "Unknown loss 'hinge'. Choose one of"),
        (lambda: TrainConfig(optimizer="lbfgs"), "Unknown optimizer 'lbfgs'"),
        (lambda: TrainConfig(device="cuda:7"), "Device 'cuda:7' is not present on this machine"),
        (lambda: TrainConfig(nesterov=True, optimizer="adam"), "Nesterov momentum needs"),
        (lambda: TrainConfig(pitfalls=("typo",)), "Unknown pitfall 'typo'"),
        (lambda: DataConfig(dataset="mnist"), "Unknown dataset 'mnist'"),
        (lambda: DataConfig(dataset="blobs", n_classes=2), "needs at least 3 classes"),
        (lambda: DataConfig(n_samples=5), "Number of samples must be between"),
        (lambda: ModelConfig(activation="swish"), "Unknown activation 'swish'"),
        (lambda: ModelConfig(hidden="64,abc"), "'abc' is not one"),
        (lambda: RunConfig(train=TrainConfig(batch_size=900)), "larger than the training set"),
        (
            lambda: RunConfig(DataConfig(dataset="curve"), train=TrainConfig()),
            "classification loss, but this dataset is regression",
        ),
        (lambda: RunConfig(train=TrainConfig(loss="mse")), "regression loss, but this dataset"),
        (
            lambda: RunConfig(DataConfig(dataset="spiral"), train=TrainConfig(loss="bce")),
            "separates two classes, but this dataset has 3",
        ),
        (lambda: RunConfig(model=ModelConfig(kind="cnn")), "The CNN needs image data"),
        (lambda: RunConfig.from_dict({"train": {"lr": 0.1, "speed": 3}}), "Unknown train"),
    ],
)
def test_invalid_settings_say_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_hidden_sizes_parse_from_text():
    assert parse_hidden(" 64, 32 ") == (64, 32)
    assert parse_hidden("") == ()
    with pytest.raises(ValueError, match="'0' is not one"):
        parse_hidden("8,0")
    assert hidden_text((64, 32)) == "64,32" and parse_hidden(hidden_text((64, 32))) == (64, 32)
    assert hidden_text(()) == ""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"model": {"hidden": "²"}}, "'²' is not one"),  # isdigit() but not int()
        ({"model": {"hidden": "9" * 5000}}, "A hidden size must be between 1 and 4096"),
        ({"model": {"hidden": 8}}, "model.hidden must be a list"),
        ({"model": {"frozen": "01"}}, "model.frozen must be a list"),  # not ('0', '1')
        ({"model": {"frozen": ["x"]}}, "named by their number in the model"),
        ({"model": {"frozen": ["9"]}}, "Layer 9 has no parameters to freeze in this model"),
        ({"model": {"batch_norm": "no"}}, "model.batch_norm must be true or false"),
        ({"data": {"standardize": 0}}, "data.standardize must be true or false"),
        ({"train": {"nesterov": "yes"}}, "train.nesterov must be true or false"),
        ({"train": {"loss": ["mse"]}}, "train.loss must be text"),
        ({"train": {"pitfalls": [["forget_eval"]]}}, "train.pitfalls must be a list of names"),
        ({"data": {"n_samples": 10**400}}, "data.n_samples must be a number of sensible size"),
        ({"train": {"lr": "0.1"}}, "train.lr must be a number, not '0.1'"),
        ({"data": {}, 1: {}}, "Unknown settings section"),  # keys of any type
        ([], "must be a JSON object"),
    ],
)
def test_settings_from_outside_fail_with_a_sentence_naming_the_setting(raw, message):
    with pytest.raises(ValueError, match=message):
        RunConfig.from_dict(raw)


def test_huge_numbers_built_directly_are_refused_without_overflow():
    with pytest.raises(ValueError, match="Number of samples must be between"):
        DataConfig(n_samples=10**400)
    with pytest.raises(ValueError, match="a number that large"):
        ModelConfig(hidden=(10**400,))


@pytest.mark.parametrize("dataset", ["moons", "digits", "curve"])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("loss", ["default", "bce"])
@pytest.mark.parametrize(
    "model",
    [
        {"hidden": ()},
        {"hidden": (8,)},
        {"hidden": (8, 4), "batch_norm": True},
        {"hidden": (8, 4, 2), "dropout": 0.2},
        {"hidden": (4, 4), "batch_norm": True, "dropout": 0.5},
    ],
)
def test_the_layers_that_can_be_frozen_are_those_the_built_model_has(dataset, kind, loss, model):
    from torchxp_core import data
    from torchxp_core.config import layers_with_parameters
    from torchxp_core.models import build_model, trainable_layers

    info = data.DATASETS[dataset]
    if kind == "cnn" and not info.image:
        return
    train = {"loss": "mse"} if info.task == "regression" else {}
    if loss == "bce":
        if info.task == "regression":
            return
        train = {"loss": "bce"}
        dataset_cfg = DataConfig(dataset=dataset, n_classes=2)
        if dataset_cfg.class_count() != 2:
            return
    cfg = RunConfig(
        DataConfig(dataset=dataset), ModelConfig(kind=kind, **model), TrainConfig(**train)
    )
    built = build_model(cfg.model, (1, 8, 8) if info.image else (2,), 2, cfg.loss)
    assert layers_with_parameters(cfg.model, info.image) == tuple(trainable_layers(built))


def test_an_unknown_pitfall_or_device_is_quoted_short():
    for bad in (lambda: TrainConfig(pitfalls=(10**400,)), lambda: TrainConfig(device="x" * 500)):
        with pytest.raises(ValueError) as err:
            bad()
        assert len(str(err.value)) < 400  # hypothesis found a 597-character sentence
