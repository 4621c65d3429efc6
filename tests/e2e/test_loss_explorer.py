"""The Loss Explorer in a real browser: every tab draws its plotly charts, none shows an error."""

from playwright.sync_api import Page, expect

from .conftest import open_page, screenshot

TABS = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss"]


def _open(page: Page, base_url: str) -> None:
    open_page(page, base_url, "loss_explorer")


def _visible_plots(page: Page) -> int:
    """Plotly plots drawn in the open tab (hidden tabs' charts are in the DOM too)."""
    return page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg:visible").count()


def test_every_tab_renders_its_plots_without_an_exception(page: Page, app_server: str) -> None:
    _open(page, app_server)
    expect(page.get_by_role("heading", name="Loss Explorer")).to_be_visible()
    for i, name in enumerate(TABS):
        page.get_by_role("tab", name=name).click()
        plots = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot:visible")
        expect(plots.first).to_be_visible(timeout=30_000)
        assert _visible_plots(page) > 0, f"no plotly chart drawn on the {name} tab"
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        screenshot(page, f"loss_explorer_{i + 1}_{name}")


def test_out_of_range_target_class_shows_a_sentence_not_a_traceback(
    page: Page, app_server: str
) -> None:
    _open(page, app_server)
    page.get_by_role("tab", name="CrossEntropyLoss").click()
    box = page.get_by_label("target class t")
    box.fill("9")
    box.press("Enter")
    error = page.locator("[data-testid='stAlertContentError']")
    expect(error).to_contain_text("between 0 and 3", timeout=30_000)
    expect(error).to_contain_text("out of bounds")  # torch's own words
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot(page, "loss_explorer_ce_bad_target")
