"""The loss catalogue: each loss with its input/target contract (lessons #5-#8).

This is the one place that decides what a model's output layer looks like and what dtype and
shape the targets must have for a given loss, so data, models and the loop never disagree.
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

CLASSIFICATION = "classification"
REGRESSION = "regression"
_DOCS = "https://docs.pytorch.org/docs/stable/generated/torch.nn.{}.html"


@dataclass(frozen=True)
class LossSpec:
    """A loss and the contract it imposes on the model output and the targets."""

    name: str  # key used in settings and URLs
    label: str  # what the page shows
    factory: type[nn.Module]
    task: str  # CLASSIFICATION or REGRESSION
    binary_only: bool  # True: a single output unit, so only two classes
    sigmoid_output: bool  # True: the model ends in nn.Sigmoid (BCELoss wants probabilities)
    target_dtype: torch.dtype  # int64 class indices, or float32 values of the output's shape
    contract: str  # the rule, in a sentence, as the page shows it
    latex: str = ""  # the formula as the Loss Explorer typesets it (st.latex)
    docs_url: str = ""  # the loss's page in the PyTorch docs

    @property
    def class_indices(self) -> bool:
        """Targets are (N,) int64 class indices and the model gives C logits (cross-entropy)."""
        return self.target_dtype == torch.int64

    def output_units(self, n_classes: int) -> int:
        """Width of the model's last layer: C logits for cross-entropy, else one unit."""
        return n_classes if self.class_indices else 1

    def make_targets(self, y: np.ndarray) -> torch.Tensor:
        """Labels or values as the tensor this loss expects: (N,) int64 or (N, 1) float32."""
        targets = torch.as_tensor(y, dtype=self.target_dtype)
        if self.class_indices:
            return targets
        # BCE, BCEWithLogits and MSE all demand target.shape == input.shape == (N, 1).
        return targets.reshape(-1, 1)

    def predict(self, outputs: torch.Tensor) -> torch.Tensor:
        """Class predictions from model outputs (classification losses only)."""
        if self.class_indices:
            return outputs.argmax(dim=1)
        threshold = 0.5 if self.sigmoid_output else 0.0  # probability vs logit
        return (outputs.reshape(-1) > threshold).long()

    def positive_probability(self, outputs: torch.Tensor) -> torch.Tensor:
        """P(class 1) for binary problems, or per-class probabilities (N, C) for cross-entropy."""
        if self.class_indices:
            return outputs.softmax(dim=1)
        if self.sigmoid_output:
            return outputs.reshape(-1)
        return outputs.reshape(-1).sigmoid()


LOSSES: dict[str, LossSpec] = {
    spec.name: spec
    for spec in (
        LossSpec(
            "cross_entropy",
            "CrossEntropyLoss",
            nn.CrossEntropyLoss,
            CLASSIFICATION,
            binary_only=False,
            sigmoid_output=False,
            target_dtype=torch.int64,
            contract="input (N, C) raw logits, target (N,) int64 class indices in [0, C-1]; "
            "softmax is inside the loss, no one-hot needed",
            latex=r"\ell(z, t) = -\log \frac{e^{z_t}}{\sum_{k=0}^{C-1} e^{z_k}}"
            r" = -z_t + \log \sum_{k=0}^{C-1} e^{z_k}",
            docs_url=_DOCS.format("CrossEntropyLoss"),
        ),
        LossSpec(
            "bce",
            "BCELoss",
            nn.BCELoss,
            CLASSIFICATION,
            binary_only=True,
            sigmoid_output=True,
            target_dtype=torch.float32,
            contract="input (N, 1) probabilities in (0, 1) after a sigmoid, "
            "target float of the same shape with 0 or 1",
            latex=r"J(\theta) = -\frac{1}{m} \sum_{i=1}^{m} \left[ y^{(i)} \log h\left(x^{(i)},"
            r" \theta\right) + \left(1 - y^{(i)}\right) \log \left(1 - h\left(x^{(i)},"
            r" \theta\right)\right) \right]",
            docs_url=_DOCS.format("BCELoss"),
        ),
        LossSpec(
            "bce_with_logits",
            "BCEWithLogitsLoss",
            nn.BCEWithLogitsLoss,
            CLASSIFICATION,
            binary_only=True,
            sigmoid_output=False,
            target_dtype=torch.float32,
            contract="input (N, 1) raw logits (the sigmoid is inside, numerically stable), "
            "target float of the same shape with 0 or 1",
            latex=r"\ell(z, y) = -\left[ p\, y \log \sigma(z) + (1 - y) \log (1 - \sigma(z))"
            r" \right],\quad \sigma(z) = \frac{1}{1 + e^{-z}}",
            docs_url=_DOCS.format("BCEWithLogitsLoss"),
        ),
        LossSpec(
            "mse",
            "MSELoss",
            nn.MSELoss,
            REGRESSION,
            binary_only=False,
            sigmoid_output=False,
            target_dtype=torch.float32,
            contract="input.shape must equal target.shape, here (N, 1) float",
            latex=r"\mathrm{MSE} = \frac{1}{N} \sum_{i=1}^{N} \left(x_i - y_i\right)^2",
            docs_url=_DOCS.format("MSELoss"),
        ),
    )
}


def get_loss(name: str) -> LossSpec:
    """The loss spec for a settings name, or a ValueError listing the choices."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"Unknown loss '{name}'. Choose one of: {', '.join(LOSSES)}.") from None


def check_serves(spec: LossSpec, task: str, n_classes: int) -> None:
    """Raise a ValueError with advice if this loss cannot train this kind of dataset."""
    if spec.task != task:
        if task == REGRESSION:
            raise ValueError(
                f"{spec.label} is a classification loss, but this dataset is regression: use mse."
            )
        raise ValueError(
            f"{spec.label} is a regression loss, but this dataset has classes: use "
            "cross_entropy (or bce / bce_with_logits for two classes)."
        )
    if spec.binary_only and n_classes != 2:
        raise ValueError(
            f"{spec.label} has one output unit, so it separates two classes, but this dataset "
            f"has {n_classes}: use cross_entropy."
        )
