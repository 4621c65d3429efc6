"""Model builders: an MLP for points (or flattened images) and a small CNN for 8x8 images.

The output layer follows from the task and the loss (``LossSpec.output_units``,
``LossSpec.sigmoid_output``), so a model always fits its loss's contract.
"""

from torch import nn

from torchxp_core.config import ModelConfig
from torchxp_core.losses import LossSpec

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
}


def _hidden_stack(cfg: ModelConfig, in_features: int) -> tuple[list[nn.Module], int]:
    layers: list[nn.Module] = []
    for width in cfg.hidden:
        layers.append(nn.Linear(in_features, width))
        if cfg.batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(_ACTIVATIONS[cfg.activation]())
        if cfg.dropout > 0:
            layers.append(nn.Dropout(cfg.dropout))
        in_features = width
    return layers, in_features


def _head(loss: LossSpec, in_features: int, n_classes: int) -> list[nn.Module]:
    # Regression has n_classes == 0 and one output unit, as do both BCE losses.
    layers: list[nn.Module] = [nn.Linear(in_features, loss.output_units(max(n_classes, 1)))]
    if loss.sigmoid_output:
        layers.append(nn.Sigmoid())  # BCELoss wants probabilities, not logits
    return layers


def build_model(
    cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int, loss: LossSpec
) -> nn.Sequential:
    """A fresh, randomly initialised model; seed torch first for reproducible weights."""
    layers: list[nn.Module] = []
    if cfg.kind == "cnn":
        channels, height, width = input_shape  # [C, H, W]: lesson #2's layout
        layers += [
            nn.Conv2d(channels, 16, kernel_size=3, padding=1),  # (B, 16, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 16, 4, 4)
            nn.Conv2d(16, 32, kernel_size=3, padding=1),  # (B, 32, 4, 4)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 32, 2, 2)
            nn.Flatten(),  # (B, 128)
        ]
        in_features = 32 * (height // 4) * (width // 4)
    elif len(input_shape) > 1:
        layers.append(nn.Flatten())  # an MLP on images sees 64 pixels in a row
        in_features = 1
        for dim in input_shape:
            in_features *= dim
    else:
        in_features = input_shape[0]
    hidden, in_features = _hidden_stack(cfg, in_features)
    model = nn.Sequential(*layers, *hidden, *_head(loss, in_features, n_classes))
    freeze(model, cfg.frozen)
    return model


def trainable_layers(model: nn.Sequential) -> list[str]:
    """Names of the layers that own parameters, e.g. ['0', '2', '4']."""
    return [
        name for name, layer in model.named_children() if next(layer.parameters(), None) is not None
    ]


def freeze(model: nn.Sequential, layers: tuple[str, ...]) -> None:
    """Switch requires_grad off for every parameter of the named layers."""
    owners = trainable_layers(model)
    for name in layers:
        if name not in owners:
            raise ValueError(
                f"Layer '{name}' has no parameters to freeze; layers with parameters: "
                f"{', '.join(owners)}."
            )
        for param in getattr(model, name).parameters():
            param.requires_grad_(False)
