"""Runs have owners, in a real browser: one tab trains, a second opens that run from the Runs
page and presses Stop; it is asked first, with the other tab named, and only then stops it."""

import re

from playwright.sync_api import expect

from .conftest import open_page, screenshot


def test_stopping_a_run_another_tab_started_asks_first(fresh_server: str, new_context):
    a = new_context(viewport={"width": 1280, "height": 720}).new_page()
    open_page(a, fresh_server, "training_lab?train.epochs=100000")
    a.get_by_role("button", name="Train").click()
    expect(a.get_by_text("running").first).to_be_visible(timeout=30_000)
    status = a.locator("[data-testid='stMarkdownContainer']", has_text="samples/s").first
    run_id = re.search(r"run-\d+-\w+", status.inner_text())[0]

    b = new_context(viewport={"width": 1280, "height": 720}).new_page()
    open_page(b, fresh_server, "runs")  # the only run of this server: chosen already
    # Not the run's name: the table's cells carry it too, hidden behind the grid's canvas.
    expect(b.get_by_role("button", name="Open in the Lab")).to_be_visible(timeout=30_000)
    b.get_by_role("button", name="Open in the Lab").click()
    b.wait_for_url("**/training_lab**", timeout=30_000)
    live = b.locator("[data-testid='stMarkdownContainer']", has_text="samples/s")
    expect(live.filter(has_text=run_id).filter(has_text="running")).to_be_visible(timeout=30_000)

    # Two tabs draw live charts on a 2-core machine: Chromium can take a while to click.
    b.get_by_role("radio", name="Stop").click(timeout=60_000)
    question = b.get_by_text(f"{run_id} was started in another tab (tab ")
    expect(question).to_be_visible(timeout=30_000)
    screenshot(b, "owner_confirm")
    b.wait_for_timeout(2500)  # a few status ticks: still training, still asking
    expect(a.get_by_text("running").first).to_be_visible()
    expect(question).to_be_visible()

    b.get_by_role("radio", name="Yes, stop it").click(timeout=60_000)
    expect(b.get_by_text("stopped").first).to_be_visible(timeout=30_000)
    expect(a.get_by_text("stopped").first).to_be_visible(timeout=30_000)  # its owner sees it
    expect(question).to_have_count(0)
    for page in (a, b):
        assert page.locator("[data-testid='stException']").count() == 0
