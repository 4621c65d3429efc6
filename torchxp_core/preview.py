"""What the lab draws in its picture: the model's predictions, trained or not.

Before Train the lab shows the data and the untrained model (TensorFlow Playground's first
screen), so a change of dataset or model is seen at once; while a run trains, the same
pictures come from the weights its worker sends. The untrained model is built as a run
builds it (``initial_model``), so its picture is exactly the run's step 0.
"""

from dataclasses import dataclass

import numpy as np
import torch

from torchxp_core.config import RunConfig
from torchxp_core.data import Dataset, make_dataset
from torchxp_core.losses import REGRESSION
from torchxp_core.metrics import ParamSnapshot, Snapshot
from torchxp_core.surface import SurfaceGrid, snapshot, surface_grid
from torchxp_core.training import initial_model

N_IMAGES = 24  # validation images in the images view: 4 rows of 6


@dataclass(frozen=True)
class ImagePredictions:
    """Validation images with their true labels and what the model predicts for them."""

    images: np.ndarray  # (n, C, H, W) float32, as the model sees them
    labels: np.ndarray  # (n,) int64
    predicted: np.ndarray  # (n,) int64
    confidence: np.ndarray  # (n,) float32: the predicted class's probability


@dataclass(frozen=True)
class Picture:
    """The data, and the model's predictions over it: a surface/curve or labelled images."""

    data: Dataset
    grid: SurfaceGrid | None
    snapshot: Snapshot | None
    images: ImagePredictions | None


@torch.no_grad()
def image_predictions(model: torch.nn.Module, cfg: RunConfig, data: Dataset) -> ImagePredictions:
    """The model's guesses for the first validation images, in eval mode."""
    x = torch.from_numpy(data.x_val[:N_IMAGES])
    if "nhwc_reshape" in cfg.train.pitfalls:  # as prepare() feeds that run: scrambled images
        x = x.permute(0, 2, 3, 1).reshape(x.shape)
    was_training = model.training
    model.eval()
    try:
        param = next(model.parameters())
        outputs = model(x.to(param.device, param.dtype))
    finally:
        model.train(was_training)
    probs = cfg.loss.positive_probability(outputs).float().cpu()
    if probs.ndim == 1:  # binary losses give P(class 1)
        probs = torch.stack([1 - probs, probs], dim=1)
    confidence, predicted = probs.max(dim=1)
    return ImagePredictions(
        data.x_val[:N_IMAGES], data.y_val[:N_IMAGES], predicted.numpy(), confidence.numpy()
    )


def picture(cfg: RunConfig, model: torch.nn.Module, data: Dataset, step: int, epoch: int):
    """The predictions of ``model`` as the lab draws them, on the cpu."""
    if "logits_into_bce" in cfg.train.pitfalls:  # the model that run trains: as prepare() does
        model = model[:-1]
    grid = surface_grid(data, "cpu")
    if grid is not None:
        return Picture(data, grid, snapshot(model, cfg.loss, grid, step, epoch), None)
    images = None if cfg.loss.task == REGRESSION else image_predictions(model, cfg, data)
    return Picture(data, None, None, images)


def trained(cfg: RunConfig, data: Dataset, weights: ParamSnapshot) -> Picture:
    """The picture of a run at the moment its worker sent ``weights`` (rebuilt on the cpu)."""
    model = initial_model(cfg, data)
    state = {**weights.weights, **weights.buffers}
    model.load_state_dict({name: torch.from_numpy(array) for name, array in state.items()})
    return picture(cfg, model, data, weights.step, weights.epoch)


def untrained(cfg: RunConfig, data: Dataset | None = None) -> Picture:
    """The data and the freshly initialised model of these settings: the run's step 0."""
    data = data if data is not None else make_dataset(cfg.data)
    return picture(cfg, initial_model(cfg, data), data, 0, 0)
