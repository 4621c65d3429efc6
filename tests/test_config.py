"""Settings: every invalid value gives a sentence a person can act on; dicts round-trip."""

import json
import math

import pytest

from torchxp_core.config import (
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
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
