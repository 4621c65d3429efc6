"""Datasets: 2-D classification, regression and 8x8 digit images, split and standardised.

Features are always float32 (lesson #1: models default to float32). Targets stay as plain
numpy labels/values here; ``losses.LossSpec.make_targets`` turns them into the dtype and shape
the chosen loss needs, in that one place.
"""

from dataclasses import dataclass

import numpy as np
from sklearn import datasets as skd

from torchxp_core.catalogue import DATASETS, SHAPES_SAMPLES, n_val
from torchxp_core.config import DataConfig
from torchxp_core.losses import CLASSIFICATION

# scikit-learn's loaders by dataset name.
REAL_TABLES = {
    "iris": skd.load_iris,
    "wine": skd.load_wine,
    "breast_cancer": skd.load_breast_cancer,
    "diabetes": skd.load_diabetes,
}


@dataclass
class Dataset:
    """A split dataset. x_*: float32 features; y_*: int64 labels or float32 values."""

    x_train: np.ndarray  # (N, 2) / (N, 1) points or (N, 1, 8, 8) images
    y_train: np.ndarray  # (N,)
    x_val: np.ndarray
    y_val: np.ndarray
    task: str
    n_classes: int  # 0 for regression

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.x_train.shape[1:]

    @property
    def is_2d_points(self) -> bool:
        return self.x_train.ndim == 2 and self.x_train.shape[1] == 2


def _spiral(n: int, arms: int, noise: float, rng: np.random.Generator):
    per_arm = np.array_split(np.arange(n), arms)
    xs, ys = [], []
    for arm, idx in enumerate(per_arm):
        t = np.linspace(0.25, 1.0, len(idx))  # radius grows along the arm
        angle = 4.0 * t + 2 * np.pi * arm / arms
        pts = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
        xs.append(pts + rng.normal(scale=noise * 0.25, size=pts.shape))
        ys.append(np.full(len(idx), arm))
    return np.concatenate(xs), np.concatenate(ys)


def _shapes(n: int, noise: float, rng: np.random.Generator):
    """Coloured shapes on a dim field, [B, 3, 16, 16] in [0, 1]: class = shape x colour.

    Shapes sit anywhere in the image, so a model must find them where they are: a CNN's
    job, and what scrambled pixels (an NHWC array reshaped, not permuted) take away.
    """
    size = 16
    yy, xx = np.mgrid[0:size, 0:size]
    y = rng.integers(0, 6, size=n)
    shape, colour = y % 3, y // 3  # square, disc, cross x red, blue
    x = rng.uniform(0.0, 0.15, size=(n, 3, size, size))
    radius = rng.uniform(2.0, 4.0, size=n)
    centre_y, centre_x = rng.uniform(2.5, size - 3.5, size=(2, n))
    for i in range(n):
        dy, dx, r = np.abs(yy - centre_y[i]), np.abs(xx - centre_x[i]), radius[i]
        if shape[i] == 0:
            mask = (dy <= 0.8 * r) & (dx <= 0.8 * r)
        elif shape[i] == 1:
            mask = dy**2 + dx**2 <= r**2
        else:
            mask = ((dy <= 0.8) & (dx <= r)) | ((dx <= 0.8) & (dy <= r))
        x[i, 0 if colour[i] == 0 else 2][mask] = 1.0
        x[i, 1][mask] = 0.3
    return x + rng.normal(scale=noise * 0.3, size=x.shape), y


def _generate(cfg: DataConfig) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(cfg.seed)
    n, noise, seed = cfg.n_samples, cfg.noise, cfg.seed
    name = cfg.dataset
    if name == "moons":
        return skd.make_moons(n, noise=noise, random_state=seed)
    if name == "circles":
        return skd.make_circles(n, noise=noise * 0.5, factor=0.5, random_state=seed)
    if name == "spiral":
        return _spiral(n, cfg.n_classes, noise, rng)
    if name == "xor":
        x = rng.uniform(-1, 1, size=(n, 2))
        y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
        return x + rng.normal(scale=noise * 0.25, size=x.shape), y
    if name == "blobs":
        return skd.make_blobs(
            n, n_features=2, centers=cfg.n_classes, cluster_std=0.5 + 2 * noise, random_state=seed
        )
    if name == "curve":
        x = rng.uniform(-3, 3, size=(n, 1))
        return x, np.sin(2 * x[:, 0]) + x[:, 0] / 2 + rng.normal(scale=noise, size=n)
    if name == "plane":
        x = rng.uniform(-2, 2, size=(n, 2))
        return x, 1.5 * x[:, 0] - 2 * x[:, 1] + rng.normal(scale=noise, size=n)
    if name == "digits":
        digits = skd.load_digits()  # ships with scikit-learn: no download
        return digits.images[:, None, :, :] / 16.0, digits.target  # [B, 1, 8, 8] in [0, 1]
    if name == "shapes":
        return _shapes(SHAPES_SAMPLES, noise, rng)
    if name == "csv":
        table = cfg.stored_table()
        return table.x, table.y
    if name in REAL_TABLES:
        table = REAL_TABLES[name]()  # ships with scikit-learn: no download
        y = table.target
        if name == "diabetes":  # in units of its spread around its mean: losses read as others'
            y = (y - y.mean()) / y.std()
        return table.data, y
    raise ValueError(f"Unknown dataset '{name}'.")


def make_dataset(cfg: DataConfig) -> Dataset:
    """Generate, shuffle, split and (optionally) standardise the configured dataset."""
    info, kind = DATASETS[cfg.dataset], cfg.resolved_task()
    x, y = _generate(cfg)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64 if kind == CLASSIFICATION else np.float32)
    order = np.random.default_rng(cfg.seed + 1).permutation(len(x))
    x, y = x[order], y[order]
    k = n_val(len(x), cfg.val_fraction)
    x_train, y_train, x_val, y_val = x[k:], y[k:], x[:k], y[:k]
    if cfg.standardize:
        # Images share one mean/std across pixels; points get one per feature.
        axis = None if info.image else 0
        mean = x_train.mean(axis=axis, keepdims=True)
        std = x_train.std(axis=axis, keepdims=True) + 1e-6
        x_train, x_val = (x_train - mean) / std, (x_val - mean) / std
    return Dataset(
        np.ascontiguousarray(x_train, dtype=np.float32),
        y_train,
        np.ascontiguousarray(x_val, dtype=np.float32),
        y_val,
        kind,
        cfg.class_count(),
    )


def grid(x: np.ndarray, resolution: int = 60, margin: float = 0.5):
    """A (resolution², 2) float32 grid covering 2-D points, with its axes for plotting."""
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    gx = np.linspace(lo[0], hi[0], resolution, dtype=np.float32)
    gy = np.linspace(lo[1], hi[1], resolution, dtype=np.float32)
    xx, yy = np.meshgrid(gx, gy)
    return np.stack([xx.ravel(), yy.ravel()], axis=1), gx, gy
