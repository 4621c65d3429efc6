"""Datasets: shapes, dtypes, splits, and targets in the form each loss needs."""

import numpy as np
import pytest
import torch

from torchxp_core.catalogue import DATASETS, FIXED_SAMPLES
from torchxp_core.config import DataConfig
from torchxp_core.data import make_dataset
from torchxp_core.losses import LOSSES

# Every dataset but "csv", which is an uploaded table (tests/test_tables.py covers it).
BUILT_IN = [name for name in DATASETS if name != "csv"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_dataset_has_float32_features_and_a_clean_split(name):
    cfg = DataConfig(dataset=name, n_samples=400, n_classes=3)
    data = make_dataset(cfg)
    assert data.x_train.dtype == np.float32 and data.x_val.dtype == np.float32
    assert len(data.x_train) == cfg.train_count() == len(data.y_train)
    assert len(data.x_train) + len(data.x_val) == FIXED_SAMPLES.get(name, 400)
    if DATASETS[name].task == "classification":
        assert data.y_train.dtype == np.int64
        assert set(np.unique(data.y_train)) == set(range(data.n_classes))
    else:
        assert data.y_train.dtype == np.float32 and data.n_classes == 0


def test_digits_come_as_nchw_images():
    data = make_dataset(DataConfig(dataset="digits"))
    assert data.x_train.shape[1:] == (1, 8, 8)
    assert data.n_classes == 10


def test_spiral_and_blobs_have_as_many_classes_as_asked():
    for name in ("spiral", "blobs"):
        data = make_dataset(DataConfig(dataset=name, n_classes=5))
        assert data.n_classes == 5 and set(np.unique(data.y_val)) <= set(range(5))


def test_standardisation_is_fitted_on_the_training_split():
    data = make_dataset(DataConfig(dataset="moons"))
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1, atol=1e-4)


def test_same_seed_same_data_other_seed_other_data():
    a, b = make_dataset(DataConfig(seed=3)), make_dataset(DataConfig(seed=3))
    c = make_dataset(DataConfig(seed=4))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize(
    ("loss", "dtype", "shape"),
    [
        ("cross_entropy", torch.int64, (5,)),
        ("bce", torch.float32, (5, 1)),
        ("bce_with_logits", torch.float32, (5, 1)),
        ("mse", torch.float32, (5, 1)),
    ],
)
def test_targets_take_the_dtype_and_shape_their_loss_needs(loss, dtype, shape):
    targets = LOSSES[loss].make_targets(np.array([0, 1, 1, 0, 1]))
    assert targets.dtype == dtype and tuple(targets.shape) == shape


def test_each_datasets_stated_input_shape_is_the_shape_it_generates():
    for name in BUILT_IN:
        info = DATASETS[name]
        cfg = DataConfig(dataset=name, n_samples=100)
        assert make_dataset(cfg).input_shape == info.input_shape, name


def test_coloured_shapes_are_nchw_rgb_images_whose_class_is_shape_and_colour():
    data = make_dataset(DataConfig(dataset="shapes", standardize=False))
    assert data.x_train.shape[1:] == (3, 16, 16) and data.n_classes == 6
    red = data.x_train[data.y_train < 3]  # classes 0-2 are red, 3-5 blue
    assert red[:, 0].max(axis=(1, 2)).min() > 0.8  # every red shape lights the red channel
    assert (red[:, 2] > 0.8).mean() < 0.02  # and hardly any blue pixel
