"""The Loss Explorer page under AppTest: it runs, its widgets change what torch computes, and bad
input is a sentence on the page, never a traceback."""

import math

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest
from torch import nn

from torchxp_core.loss_lab import cross_entropy, logits

PAGE = "../pages/loss_explorer.py"  # resolved against this file


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.run()
    assert not app.exception
    return app


def _metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_page_runs_and_draws_every_chart(at: AppTest) -> None:
    assert at.title[0].value == "Loss Explorer"
    assert [t.label for t in at.tabs] == [
        "BCELoss",
        "BCEWithLogitsLoss",
        "CrossEntropyLoss",
        "MSELoss",
    ]
    assert len(at.get("plotly_chart")) == 8
    assert len(at.latex) >= 5
    assert not at.error


def test_bce_sliders_move_torchs_value(at: AppTest) -> None:
    at.slider(key="loss.bce.h").set_value(0.8).run()
    at.slider(key="loss.bce.y").set_value(0.0).run()
    expected = nn.BCELoss()(torch.tensor([0.8]), torch.tensor([0.0])).item()
    assert float(_metric(at, "torch BCELoss")) == pytest.approx(expected, rel=1e-6)
    assert float(_metric(at, "formula")) == pytest.approx(-math.log(0.2), rel=1e-6)
    assert not at.exception


def test_bce_at_h_zero_explains_the_clamp(at: AppTest) -> None:
    at.slider(key="loss.bce.h").set_value(0.0).run()
    assert float(_metric(at, "torch BCELoss")) == 100
    assert _metric(at, "formula") == "inf"
    assert any("clamps" in i.value for i in at.info)
    assert not at.exception


def test_logits_tab_reports_where_the_two_step_loss_parts(at: AppTest) -> None:
    for y in (1.0, 0.0):
        at.radio(key="loss.logits.y").set_value(y).run()
        parts = logits.partings(logits.sweep(y))
        text = " ".join(w.value for w in at.warning)
        for p in parts:
            assert f"parts at z = {p.z:g}" in text
    at.slider(key="loss.logits.pos_weight").set_value(5.0).run()
    assert not at.exception


def test_changing_c_and_temperature_recomputes_cross_entropy(at: AppTest) -> None:
    at.number_input(key="loss.ce.C").set_value(6).run()
    at.number_input(key="loss.ce.target").set_value(5).run()
    at.slider(key="loss.ce.T").set_value(2.0).run()
    assert not at.exception and not at.error
    expected = cross_entropy.softmax_loss(np.linspace(2.0, -1.0, 6).round(2), 5, 2.0)
    assert float(_metric(at, "nn.CrossEntropyLoss")) == pytest.approx(expected.ce, rel=1e-9)
    assert _metric(at, "nn.NLLLoss(log_softmax)") == _metric(at, "nn.CrossEntropyLoss")
    at.slider(key="loss.ce.smoothing").set_value(0.3).run()
    assert _metric(at, "float (1, C) target q") == _metric(at, "class index, label_smoothing=0.3")


def test_out_of_range_class_is_an_error_sentence_with_torchs_words(at: AppTest) -> None:
    at.number_input(key="loss.ce.target").set_value(4).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "between 0 and 3" in at.error[0].value
    assert "out of bounds" in at.error[0].value  # torch's own message
    assert len(at.get("plotly_chart")) > 0  # the other tabs still draw


def test_dtype_table_on_the_page_is_what_torch_does(at: AppTest) -> None:
    table = next(df.value for df in at.dataframe if "label dtype" in df.value.columns)
    accepted = dict(zip(table["label dtype"], table["accepted"], strict=True))
    x = torch.zeros(1, 4)
    for name, ok in accepted.items():
        try:
            nn.CrossEntropyLoss()(x, torch.tensor([0]).to(getattr(torch, name)))
            assert ok, name
        except RuntimeError:
            assert not ok, name


def test_mse_tab_shows_the_broadcast_warning_and_both_losses(at: AppTest) -> None:
    at.slider(key="loss.mse.n").set_value(10).run()
    assert not at.exception
    warnings = [w.value for w in at.warning if w.value.startswith("torch warned")]
    assert len(warnings) == 1 and "torch.Size([10, 1])" in warnings[0]
    assert float(_metric(at, "loss (wrong)")) > float(_metric(at, "loss (right)"))


def _text(app: AppTest) -> str:
    return "\n".join(
        [m.value for m in app.markdown]
        + [c.value for c in app.caption]
        + [i.value for i in app.info]
    )


def test_contract_tables_and_sentences_follow_torch(at: AppTest) -> None:
    tables = [df.value for df in at.dataframe if "torch says" in df.value.columns]
    tables = [t for t in tables if "input" in t.columns]
    assert len(tables) == 3  # BCE, BCEWithLogits, MSE
    text = _text(at)
    bce_refusals = tables[0].set_index(["input", "target"])
    assert not bce_refusals.loc[("float64 (N, 1)", "float32 (N, 1)"), "accepted"]
    assert "BCELoss refused input float32 (N, 1) against target float64 (N, 1)" in text
    assert "input float32 (N, 1) against target float32 (N,)" in text
    assert "MSELoss refused none of these; it warned, and went on, for input float32" in text
    # the contract no longer calls the broadcast silent; the page says what torch did
    assert "silently" not in text
    assert "torch warned, then went on: (6, 1) against (6,) broadcast to (6, 6)" in text
    assert "the loss is the mean of all 36 cells below" in text
    # other sentences from torch's result
    assert "with `pos_weight` = 3, torch's loss at y = 1 is **3×**" in text.replace("With", "with")
    assert "-100 is `ignore_index`'s default: the loss with that sample" in text
    assert "torch read the float target as class probabilities" in text
    assert "(BCELoss's clamp)" in text and "matched the exact loss in every dtype" in text


def test_mse_tab_says_when_torch_refuses_instead_of_warning(monkeypatch) -> None:
    from dataclasses import replace

    from torchxp_core.losses import LOSSES

    class Refusing(nn.MSELoss):
        def forward(self, input, target):
            if input.shape != target.shape:
                raise RuntimeError("shapes differ")
            return super().forward(input, target)

    monkeypatch.setitem(LOSSES, "mse", replace(LOSSES["mse"], factory=Refusing))
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "torch refused the mismatched shapes: RuntimeError: shapes differ"
    ]
    assert not any(w.value.startswith("torch warned") for w in app.warning)
    assert "loss (wrong)" not in [m.label for m in app.metric]
    assert "loss (right)" in [m.label for m in app.metric]
