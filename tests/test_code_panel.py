"""The code panel: the loop of the run on screen, every active pitfall's lines highlighted."""

import pytest
from streamlit.testing.v1 import AppTest

from torchxp_core import loop_source
from torchxp_core.config import PITFALL_LOSSES, PITFALLS, RunConfig, TrainConfig
from ui.code_panel import listing_html, pitfall_lines


def _with(pitfall: str) -> RunConfig:
    data = {"nhwc_reshape": "shapes", "mse_shape": "curve"}.get(pitfall, "moons")
    kind = "cnn" if data == "shapes" else "mlp"
    return RunConfig.from_dict(
        {
            "data": {"dataset": data},
            "model": {"kind": kind},
            "train": {"loss": PITFALL_LOSSES.get(pitfall, "cross_entropy"), "pitfalls": [pitfall]},
        }
    )


@pytest.mark.parametrize("pitfall", sorted(PITFALLS))
def test_every_pitfall_highlights_a_line_of_the_loop_on_the_page(pitfall):
    listing = loop_source.for_run(_with(pitfall))
    marked = pitfall_lines(listing)
    assert marked and {name for _, name, _ in marked} == {pitfall}
    page = listing_html(listing)
    for number, _, _ in marked:  # drawn highlighted, not only listed
        row = page.split(f'data-line="{number}"')[0].rsplit("<span ", 1)[1]
        assert "#ffe08a" in row


def test_a_run_without_pitfalls_shows_no_switch_and_no_highlight():
    listing = loop_source.for_run(RunConfig())
    assert not listing.marks and "#ffe08a" not in listing_html(listing)
    assert "mistake" not in listing.text and "PITFALL" not in listing.text
    for call in (
        "model.train()",
        "optimizer.zero_grad()",
        "outputs = model(inputs)",
        "loss = criterion(outputs, labels)",
        "loss.backward()",
        "optimizer.step()",
        "model.eval()",
        "with torch.no_grad():",
        "optimizer = torch.optim.Adam(",
    ):
        assert call in listing.text, call  # fmt: skip


def test_the_listing_is_escaped_html():
    listing = loop_source.plain("x = '<script>alert(1)</script>' & 1")
    page = listing_html(listing, {1: "<b>tag</b>"})
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;tag&lt;/b&gt;" in page


def _html(at: AppTest) -> str:
    return " ".join(element.proto.body for element in at.get("html"))


def test_the_panel_follows_the_run_on_screen_not_the_sidebar():
    from ui.state import registry

    at = AppTest.from_file("../pages/training_lab.py", default_timeout=60)
    at.run()
    assert "PITFALL" not in _html(at)  # the sidebar's settings: no mistake
    cfg = RunConfig(train=TrainConfig(epochs=1, pitfalls=("forget_zero_grad",)))
    run = registry().start(cfg, owner="another-tab")
    assert run.join(60)
    at.session_state["lab.run_id"] = run.id  # what "Open in the Lab" does
    at.run()
    assert not at.exception
    assert "PITFALL forget_zero_grad" in _html(at) and "#ffe08a" in _html(at)
