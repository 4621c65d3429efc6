"""The lesson pages (#1-#4, #9) in a real browser: every plot drawn, no exception shown."""

import pytest
from playwright.sync_api import Page, expect

from .conftest import open_page, screenshot, wait_for_app

# URL path -> (title in the navigation and heading, plotly charts drawn with default widgets)
PAGES = {
    "lesson_dtypes_layout": ("Data types & layout", 5),
    "lesson_modes_grads": ("train/eval & gradients", 7),
    "lesson_tensors": ("Creating tensors", 1),
}


def _expect_every_plot_and_no_exception(page: Page, heading: str, charts: int) -> None:
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=60_000)
    containers = page.locator("[data-testid='stPlotlyChart']")
    expect(containers).to_have_count(charts, timeout=30_000)
    for i in range(charts):
        chart = containers.nth(i)
        chart.scroll_into_view_if_needed()
        expect(chart.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


@pytest.mark.parametrize("path", list(PAGES))
def test_lesson_page_opened_by_url_draws_every_plot(page: Page, app_server: str, path: str) -> None:
    heading, charts = PAGES[path]
    open_page(page, app_server, path)
    _expect_every_plot_and_no_exception(page, heading, charts)
    screenshot(page, f"{path}_by_url")


@pytest.mark.parametrize("path", list(PAGES))
def test_lesson_page_reached_from_the_navigation_draws_every_plot(
    page: Page, app_server: str, path: str
) -> None:
    heading, charts = PAGES[path]
    open_page(page, app_server)
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=heading).click()
    page.wait_for_url(f"**/{path}")
    wait_for_app(page)
    _expect_every_plot_and_no_exception(page, heading, charts)
    screenshot(page, path)


def test_modes_page_slider_change_reruns_without_an_exception(page: Page, app_server: str) -> None:
    open_page(page, app_server, "lesson_modes_grads")
    slider = page.get_by_role("slider").first  # Dropout p
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_timeout(500)
    expect(
        page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")
    ).to_be_attached(timeout=60_000)
    expect(page.get_by_text("nn.Dropout(p=0.55) applied to torch.ones")).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


# URL path -> headings and sentences the page computes from torch (issue 11's new rows)
COMPUTED = {
    "lesson_dtypes_layout": ["as long as float32", "what torch calls", "H = C = 3"],
    "lesson_modes_grads": [
        "What zero_grad() leaves in .grad",
        "A leaf moved with .double() or .to() is a new tensor",
        "alone still built a graph",
    ],
    "lesson_tensors": ["torch.Tensor, the class, is not torch.tensor", "made by"],
}


@pytest.mark.parametrize("path", list(COMPUTED))
def test_lesson_page_shows_its_computed_sentences(page: Page, app_server: str, path: str) -> None:
    heading, charts = PAGES[path]
    open_page(page, app_server, path)
    _expect_every_plot_and_no_exception(page, heading, charts)
    for text in COMPUTED[path]:
        found = page.get_by_text(text, exact=False).first
        found.scroll_into_view_if_needed()
        expect(found).to_be_visible()
