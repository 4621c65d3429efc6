"""Each loss wired to a model built for it: the output fits the loss's contract in torch."""

import numpy as np
import pytest
import torch

from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.losses import LOSSES
from torchxp_core.training import prepare

CASES = [
    ("moons", "cross_entropy", "mlp"),
    ("moons", "bce", "mlp"),
    ("moons", "bce_with_logits", "mlp"),
    ("curve", "mse", "mlp"),
    ("plane", "mse", "mlp"),
    ("digits", "cross_entropy", "cnn"),
    ("digits", "cross_entropy", "mlp"),
    ("spiral", "cross_entropy", "mlp"),
]


@pytest.mark.parametrize(("dataset", "loss", "kind"), CASES)
def test_model_output_meets_the_loss_contract(dataset, loss, kind):
    cfg = RunConfig(DataConfig(dataset=dataset), ModelConfig(kind=kind), TrainConfig(loss=loss))
    s = prepare(cfg)
    inputs, targets = s.tensors["train"]
    outputs = s.model(inputs[:8])
    spec = LOSSES[loss]
    if loss == "cross_entropy":
        assert outputs.shape == (8, s.data.n_classes) and targets.dtype == torch.int64
    else:
        assert outputs.shape == targets[:8].shape == (8, 1)  # MSE/BCE: shapes must be equal
    if spec.sigmoid_output:
        assert ((outputs > 0) & (outputs < 1)).all()
    value = s.criterion(outputs, targets[:8])
    assert value.ndim == 0 and torch.isfinite(value)
    # The loss object is the real torch class the catalogue names.
    assert type(s.criterion).__name__ == spec.label


def test_bce_and_bce_with_logits_agree_through_a_sigmoid():
    z = torch.linspace(-4, 4, 9).reshape(-1, 1)
    y = torch.tensor(np.arange(9) % 2, dtype=torch.float32).reshape(-1, 1)
    a = LOSSES["bce"].factory()(torch.sigmoid(z), y)
    b = LOSSES["bce_with_logits"].factory()(z, y)
    torch.testing.assert_close(a, b)


def test_predict_turns_outputs_into_classes_per_loss():
    logits = torch.tensor([[2.0, -1.0], [0.0, 3.0]])
    assert LOSSES["cross_entropy"].predict(logits).tolist() == [0, 1]
    assert LOSSES["bce"].predict(torch.tensor([[0.2], [0.9]])).tolist() == [0, 1]
    assert LOSSES["bce_with_logits"].predict(torch.tensor([[-0.1], [0.1]])).tolist() == [0, 1]
