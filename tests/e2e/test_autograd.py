"""The Autograd Inspector in Chromium: graphs render as SVG with torch's own node names."""

from playwright.sync_api import Page, expect

from .conftest import open_page, screenshot, wait_for_app

GRAPH = "[data-testid='stGraphVizChart'] svg"
EXCEPTION = "[data-testid='stException']"


def _svg_text(page: Page, index: int = 0) -> str:
    svg = page.locator(GRAPH).nth(index)
    expect(svg).to_be_visible(timeout=30_000)
    expect(svg.locator("g.node").first).to_be_visible()
    return " ".join(svg.locator("text").all_text_contents())


def test_expression_graph_renders_with_torch_node_names(page: Page, app_server: str) -> None:
    open_page(page, app_server, "autograd")
    text = _svg_text(page)
    for label in ("MulBackward0", "AddBackward0", "AccumulateGrad", "requires_grad=False"):
        assert label in text, f"{label!r} missing from the graph's SVG: {text[:300]}"
    page.get_by_role("button", name="Backward").click()
    wait_for_app(page)
    expect(page.get_by_text("ran: the .grad column is filled")).to_be_visible()
    expect(page.locator(EXCEPTION)).to_have_count(0)
    page.mouse.move(0, 0)  # no tooltip over the screenshot
    screenshot(page, "autograd-playground")


def test_two_layer_example_and_model_graph_render(page: Page, app_server: str) -> None:
    open_page(page, app_server, "autograd")
    page.locator("[data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="A two-layer net on one sample").click()
    # The rerun may not have begun when the click returns: wait for the new graph itself.
    expect(page.locator(GRAPH).first.locator("text", has_text="ReluBackward0").first).to_be_visible(
        timeout=30_000
    )
    text = _svg_text(page)
    assert "ReluBackward0" in text and "W1" in text
    screenshot(page, "autograd-two-layer")

    page.get_by_role("tab", name="The model").click()
    text = _svg_text(page, 1)
    for label in ("0.weight", "AddmmBackward0", "AccumulateGrad", "loss"):
        assert label in text, f"{label!r} missing from the model graph: {text[:300]}"
    expect(page.locator(EXCEPTION)).to_have_count(0)
    screenshot(page, "autograd-model")
