"""Datasets: 2-D classification, regression and 8x8 digit images, split and standardised.

Features are always float32 (lesson #1: models default to float32). Targets stay as plain
numpy labels/values here; ``losses.LossSpec.make_targets`` turns them into the dtype and shape
the chosen loss needs, in that one place.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn import datasets as skd

from torchxp_core import tables
from torchxp_core.losses import CLASSIFICATION, REGRESSION

if TYPE_CHECKING:
    from torchxp_core.config import DataConfig


@dataclass(frozen=True)
class DatasetInfo:
    label: str
    task: str  # CLASSIFICATION or REGRESSION
    classes: int  # fixed class count; 0 means "the n_classes setting decides"
    min_classes: int = 2
    image: bool = False  # True: samples are [C, H, W] images
    description: str = ""
    input_shape: tuple[int, ...] = (2,)  # one sample's shape, as the model receives it


DATASETS: dict[str, DatasetInfo] = {
    "moons": DatasetInfo("Two moons", CLASSIFICATION, 2, description="two interleaving arcs"),
    "circles": DatasetInfo("Circles", CLASSIFICATION, 2, description="a ring around a disc"),
    "spiral": DatasetInfo(
        "Spiral", CLASSIFICATION, 0, description="arms winding around the origin, one per class"
    ),
    "xor": DatasetInfo("XOR", CLASSIFICATION, 2, description="opposite quadrants share a class"),
    "blobs": DatasetInfo(
        "Gaussian blobs", CLASSIFICATION, 0, min_classes=3, description="one cloud per class"
    ),
    "curve": DatasetInfo(
        "1-D curve", REGRESSION, 0, description="y = sin(2x) + x/2 + noise", input_shape=(1,)
    ),
    "plane": DatasetInfo("2-D plane", REGRESSION, 0, description="y = 1.5 x1 - 2 x2 + noise"),
    "digits": DatasetInfo(
        "Digits (8×8)",
        CLASSIFICATION,
        10,
        image=True,
        description="scikit-learn's 1,797 handwritten digits as [B, 1, 8, 8]",
        input_shape=(1, 8, 8),
    ),
    "shapes": DatasetInfo(
        "Coloured shapes (16×16)",
        CLASSIFICATION,
        6,
        image=True,
        description="squares, discs and crosses in red or blue as [B, 3, 16, 16], made here; "
        "the class is shape and colour",
        input_shape=(3, 16, 16),
    ),
    # Real tables that ship with scikit-learn (no download): more than two features, so the
    # lab draws them on their first two principal components.
    "iris": DatasetInfo(
        "Iris (real)",
        CLASSIFICATION,
        3,
        input_shape=(4,),
        description="150 flowers, 4 measurements in cm, 3 species (Fisher, 1936)",
    ),
    "wine": DatasetInfo(
        "Wine (real)",
        CLASSIFICATION,
        3,
        input_shape=(13,),
        description="178 wines, 13 chemical measurements, 3 cultivars",
    ),
    "breast_cancer": DatasetInfo(
        "Breast cancer (real)",
        CLASSIFICATION,
        2,
        input_shape=(30,),
        description="569 tumours, 30 features of cell nuclei, malignant or benign",
    ),
    "csv": DatasetInfo(
        "Your CSV",
        CLASSIFICATION,
        0,
        input_shape=(0,),
        description="a table you upload: choose the target and the feature columns",
    ),
    "diabetes": DatasetInfo(
        "Diabetes (real)",
        REGRESSION,
        0,
        input_shape=(10,),
        description="442 patients, 10 baseline measurements, disease progression a year on",
    ),
}
DIGITS_SAMPLES = 1797  # fixed size of scikit-learn's digits
SHAPES_SAMPLES = 1500
# scikit-learn's loaders by dataset name, and the datasets whose size is fixed.
REAL_TABLES = {
    "iris": skd.load_iris,
    "wine": skd.load_wine,
    "breast_cancer": skd.load_breast_cancer,
    "diabetes": skd.load_diabetes,
}
FIXED_SAMPLES = {
    "digits": DIGITS_SAMPLES,
    "shapes": SHAPES_SAMPLES,
    "iris": 150,
    "wine": 178,
    "breast_cancer": 569,
    "diabetes": 442,
}


def _table(cfg: "DataConfig") -> tables.Arrays:
    return tables.stored_arrays(cfg.table, cfg.target, tuple(cfg.features), cfg.task)


def task(cfg: "DataConfig") -> str:
    """Classification or regression: the dataset's, or for a CSV the one chosen or inferred."""
    return _table(cfg).task if cfg.dataset == "csv" else DATASETS[cfg.dataset].task


def n_classes(cfg: "DataConfig") -> int:
    """Classes of the configured dataset (0 for regression)."""
    if task(cfg) == REGRESSION:
        return 0
    if cfg.dataset == "csv":
        return len(_table(cfg).classes)
    return DATASETS[cfg.dataset].classes or cfg.n_classes


def n_samples(cfg: "DataConfig") -> int:
    if cfg.dataset == "csv":
        return len(_table(cfg).x)
    return FIXED_SAMPLES.get(cfg.dataset, cfg.n_samples)


def n_train(cfg: "DataConfig") -> int:
    return n_samples(cfg) - _n_val(n_samples(cfg), cfg.val_fraction)


def _n_val(total: int, fraction: float) -> int:
    return max(1, round(total * fraction))


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


def _generate(cfg: "DataConfig") -> tuple[np.ndarray, np.ndarray]:
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
        table = _table(cfg)
        return table.x, table.y
    if name in REAL_TABLES:
        table = REAL_TABLES[name]()  # ships with scikit-learn: no download
        y = table.target
        if name == "diabetes":  # in units of its spread around its mean: losses read as others'
            y = (y - y.mean()) / y.std()
        return table.data, y
    raise ValueError(f"Unknown dataset '{name}'.")


def make_dataset(cfg: "DataConfig") -> Dataset:
    """Generate, shuffle, split and (optionally) standardise the configured dataset."""
    info, kind = DATASETS[cfg.dataset], task(cfg)
    x, y = _generate(cfg)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64 if kind == CLASSIFICATION else np.float32)
    order = np.random.default_rng(cfg.seed + 1).permutation(len(x))
    x, y = x[order], y[order]
    n_val = _n_val(len(x), cfg.val_fraction)
    x_train, y_train, x_val, y_val = x[n_val:], y[n_val:], x[:n_val], y[:n_val]
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
        n_classes(cfg),
    )


def grid(x: np.ndarray, resolution: int = 60, margin: float = 0.5):
    """A (resolution², 2) float32 grid covering 2-D points, with its axes for plotting."""
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    gx = np.linspace(lo[0], hi[0], resolution, dtype=np.float32)
    gy = np.linspace(lo[1], hi[1], resolution, dtype=np.float32)
    xx, yy = np.meshgrid(gx, gy)
    return np.stack([xx.ravel(), yy.ravel()], axis=1), gx, gy
