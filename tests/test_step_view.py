"""Step mode's .grad heatmap: the trace's grads are a manual backward's, and the picture's
values are the trace's."""

import copy
import json

import numpy as np
import plotly.io as pio
import torch
from streamlit.testing.v1 import AppTest
from torch import nn

from tests.test_inside import _array
from torchxp_core.figures import step as step_figs
from torchxp_core.step_trace import SMALL, StepTrace


def _traced_step() -> tuple[dict, dict[str, torch.Tensor]]:
    """One batch through the seed's pipeline under a StepTrace, and a manual backward of the
    same batch on a copy of the weights it began with."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    x, y = torch.randn(32, 2), torch.randint(0, 3, (32,))
    criterion = nn.CrossEntropyLoss()
    twin = copy.deepcopy(model)  # the weights the batch begins with
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trace = StepTrace(model, frozenset())
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    result = trace.finish(loss.item())
    criterion(twin(x), y).backward()  # by hand
    return result, {n: p.grad for n, p in twin.named_parameters()}


def test_the_traces_grads_are_a_manual_backwards_and_small_ones_come_whole():
    trace, manual = _traced_step()
    for row in trace["params"]:
        grad = manual[row["parameter"]]
        assert np.isclose(row[".grad after backward (norm)"], grad.norm().item(), rtol=1e-5)
        if grad.numel() <= SMALL:
            np.testing.assert_array_equal(row["grad"], grad.numpy())
        else:
            assert row["grad"] is None  # 8 x 16 = 128 values: a norm only
    assert sum(row["grad"] is not None for row in trace["params"]) == 5


def test_the_heatmaps_values_are_the_traces_grads():
    trace, manual = _traced_step()
    fig = json.loads(pio.to_json(step_figs.grad_heatmaps_figure(trace["params"], "t")))
    small = [row for row in trace["params"] if row["grad"] is not None]
    assert len(fig["data"]) == len(small)
    for heatmap, row in zip(fig["data"], small, strict=True):
        drawn = _array(heatmap["z"])
        np.testing.assert_array_equal(drawn, step_figs.as_grid(row["grad"]))
        np.testing.assert_array_equal(drawn.reshape(row["shape"]), manual[row["parameter"]])
        assert row["parameter"] in heatmap["hovertemplate"]
    names = [a["text"] for a in fig["layout"]["annotations"]]
    assert names[0] == "0.weight<br>[8 × 2]" and names[1] == "0.bias<br>[8]"
    assert step_figs.grad_heatmaps_figure([{"parameter": "w", "grad": None}], "t") is None


def _page(params: list[dict]) -> None:
    from ui import step_view

    step_view.grads(params)


def test_step_view_draws_the_heatmap_of_the_traces_grads():
    trace, _ = _traced_step()
    at = AppTest.from_function(_page, args=(trace["params"],), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["layout"]["title"]["text"].startswith(".grad after backward()")
    np.testing.assert_array_equal(_array(fig["data"][0]["z"]), trace["params"][0]["grad"])
    assert "output units" in at.caption[0].value
