"""The Training Lab in a real browser: press Train, see the curve grow, stop the run."""

import re

from playwright.sync_api import Page, expect

from .conftest import open_page, screenshot


def _step_count(page: Page) -> int:
    # Plotly can keep the previous title node for a moment while it redraws: take the newest.
    titles = page.locator(".gtitle", has_text="Training loss per step").all_text_contents()
    counts = [re.search(r"\(([\d,]+) steps\)", t) for t in titles]
    # 0 while the title still reads "press Train" (the run's first chart not drawn yet).
    return max((int(m.group(1).replace(",", "")) for m in counts if m), default=0)


def test_train_grows_the_curve_and_stop_ends_the_run(app_server: str, page: Page):
    # Many epochs, so the run is still going when we look twice and press Stop.
    open_page(page, app_server, "training_lab?train.epochs=100000")
    page.get_by_role("button", name="Train").click()

    expect(page.locator(".gtitle", has_text="Training loss per step").first).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("running").first).to_be_visible(timeout=30_000)
    for _ in range(40):  # the charts tick every 2 s; the first steps may land just after one
        if (first := _step_count(page)) > 0:
            break
        page.wait_for_timeout(250)
    page.wait_for_timeout(2500)  # several fragment ticks later
    second = _step_count(page)
    assert second > first > 0, f"the step curve did not grow: {first} then {second}"
    expect(page.locator(".gtitle", has_text="Decision surface").first).to_be_visible()

    page.get_by_role("radio", name="Stop").click()
    expect(page.get_by_text("stopped").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(2500)  # the charts tick every 2 s: let them show the last step
    stopped_at = _step_count(page)
    page.wait_for_timeout(2000)
    assert _step_count(page) == stopped_at, "steps kept coming after Stop"
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "training_lab_stopped")
