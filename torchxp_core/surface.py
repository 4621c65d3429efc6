"""What the model predicts over the input space: the decision surface or the fitted curve."""

from dataclasses import dataclass

import numpy as np
import torch

from torchxp_core.data import Dataset, grid
from torchxp_core.losses import REGRESSION, LossSpec
from torchxp_core.metrics import Snapshot


@dataclass(frozen=True)
class Plane:
    """The plane of a table's first two principal components (fitted on the train split).

    A table with more than two features is drawn on this plane: points by their projection,
    the model by its predictions on the plane's grid, i.e. a slice of the model through the
    data's mean along the two directions where the data vary most.
    """

    origin: np.ndarray  # (F,) the train mean
    basis: np.ndarray  # (2, F) orthonormal: PC1 and PC2
    explained: tuple[float, float]  # share of the variance along each

    def project(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.origin) @ self.basis.T).astype(np.float32)

    def lift(self, pc: np.ndarray) -> np.ndarray:
        return (self.origin + pc @ self.basis).astype(np.float32)


def principal_plane(x_train: np.ndarray) -> Plane:
    from sklearn.decomposition import PCA  # only tables need it: a lazy import

    pca = PCA(n_components=2, svd_solver="full").fit(x_train)
    ratio = pca.explained_variance_ratio_
    return Plane(pca.mean_, pca.components_, (float(ratio[0]), float(ratio[1])))


@dataclass(frozen=True)
class SurfaceGrid:
    """Where to evaluate the model: a 2-D grid or a 1-D line, with its axes for plotting."""

    points: torch.Tensor  # (M, 2) or (M, 1) float32, or (M, F) on a table's plane
    axes: tuple[np.ndarray, ...]  # (gx, gy) for a grid, (gx,) for a line
    plane: Plane | None = None  # set when the axes are principal components, not features


def surface_grid(data: Dataset, device: str, resolution: int = 60) -> SurfaceGrid | None:
    """The grid for 2-D points (or a table's principal plane), a line for 1-D regression,
    None for images."""
    x = np.concatenate([data.x_train, data.x_val])
    if data.is_2d_points:
        pts, gx, gy = grid(x, resolution)
        return SurfaceGrid(torch.from_numpy(pts).to(device), (gx, gy))
    if x.ndim == 2 and x.shape[1] > 2:
        plane = principal_plane(data.x_train)
        pts, gx, gy = grid(plane.project(x), resolution)
        return SurfaceGrid(torch.from_numpy(plane.lift(pts)).to(device), (gx, gy), plane)
    if x.ndim == 2 and x.shape[1] == 1:
        gx = np.linspace(x.min() - 0.3, x.max() + 0.3, 200, dtype=np.float32)
        return SurfaceGrid(torch.from_numpy(gx[:, None]).to(device), (gx,))
    return None


@torch.no_grad()
def snapshot(
    model: torch.nn.Module, loss: LossSpec, where: SurfaceGrid, step: int, epoch: int
) -> Snapshot:
    """Evaluate the model on the grid in eval mode, then put its mode back as it was."""
    was_training = model.training
    model.eval()  # a display must not update BatchNorm's running statistics
    try:
        param = next(model.parameters())
        outputs = model(where.points.to(param.dtype))
    finally:
        model.train(was_training)
    shape = tuple(len(a) for a in reversed(where.axes))  # (ny, nx) for a grid
    if loss.task == REGRESSION:
        values = outputs.reshape(shape).float().cpu().numpy()
        return Snapshot(step, epoch, values)
    probs = loss.positive_probability(outputs).float().cpu()
    if probs.ndim == 2 and probs.shape[1] == 2:
        probs = probs[:, 1]  # two-class cross-entropy reads best as P(class 1) too
    if probs.ndim == 1:  # binary: P(class 1)
        return Snapshot(step, epoch, probs.reshape(shape).numpy())
    confidence, predicted = probs.max(dim=1)
    return Snapshot(
        step,
        epoch,
        predicted.reshape(shape).numpy().astype(np.float32),
        confidence.reshape(shape).numpy(),
    )
