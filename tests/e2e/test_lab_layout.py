"""The Training Lab on a projector: one screen at 1280x720, in normal and presenter mode.

Before Train the data and the untrained model are on screen; once a run is shown, the
controls, the status, the step-loss chart and the decision surface are all visible without
scrolling; no chart is wider than its column; presenter chart text is at least 14 px.
"""

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import open_page, screenshot

WIDTH, HEIGHT = 1280, 720
CHARTS = "[data-testid='stPlotlyChart']"


def _chart(page: Page, title: str):
    return page.locator(CHARTS).filter(has=page.locator(".gtitle", has_text=title)).first


def _above_the_fold(page: Page, locator) -> None:
    box = None
    for _ in range(20):  # the status redraws every second: catch it between two draws
        locator.wait_for(state="visible")
        if (box := locator.bounding_box()) is not None:
            break
        page.wait_for_timeout(100)
    assert box is not None, "not drawn"
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, f"below the fold: {box}"


def _no_chart_wider_than_its_column(page: Page) -> None:
    overflow = page.evaluate(
        """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")].map(chart => {
            const column = chart.closest("[data-testid='stColumn']") || chart.parentElement;
            const svg = chart.querySelector(".main-svg");
            return svg ? svg.getBoundingClientRect().width - column.getBoundingClientRect().width
                       : 0;
        })"""
    )
    assert max(overflow) <= 1, f"a chart overflows its column by {max(overflow)} px"


def _smallest_tick_font(page: Page) -> float:
    return page.evaluate(
        """() => Math.min(...[...document.querySelectorAll(
            "[data-testid='stPlotlyChart'] .xtick text, [data-testid='stPlotlyChart'] .ytick text"
        )].map(t => parseFloat(getComputedStyle(t).fontSize)))"""
    )


@pytest.mark.parametrize("mode", ["normal", "presenter"])
def test_the_lab_fits_one_projector_screen(app_server: str, browser: Browser, mode: str):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    try:
        query = "train.epochs=100000" + ("&present=1" if mode == "presenter" else "")
        open_page(page, app_server, f"training_lab?{query}")

        # Data first: the untrained model over the data, before any Train.
        preview = _chart(page, "Untrained model")
        expect(preview).to_be_visible(timeout=30_000)
        _above_the_fold(page, preview)

        page.get_by_role("button", name="Train").click()
        badge = page.get_by_text("running", exact=True).first
        expect(badge).to_be_visible(timeout=30_000)
        surface = _chart(page, "Decision surface · epoch")
        expect(surface).to_be_visible(timeout=30_000)
        for part in (
            page.get_by_role("radio", name="Pause"),
            badge,
            page.locator("[data-testid='stProgress']").first,
            _chart(page, "Training loss per step"),
            surface,
        ):
            screenshot(page, f"lab_layout_{mode}_1280")
            _above_the_fold(page, part)
        _no_chart_wider_than_its_column(page)
        if mode == "presenter":
            assert _smallest_tick_font(page) >= 14
            expect(page.get_by_role("button", name="Leave presenter mode")).to_be_visible()
        screenshot(page, f"lab_layout_{mode}_1280")
        page.get_by_role("radio", name="Stop").click()
        expect(page.get_by_text("stopped", exact=True).first).to_be_visible(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()
