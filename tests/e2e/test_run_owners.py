"""Runs have owners, in a real browser: one tab trains, a second opens that run from the Runs
page and presses Stop; it is asked first, with the other tab named, and only then stops it."""

import re

from playwright.sync_api import Browser, expect

from .conftest import open_page, screenshot, wait_for_app


def test_stopping_a_run_another_tab_started_asks_first(fresh_server: str, browser: Browser):
    owner = browser.new_context(viewport={"width": 1280, "height": 720})
    watcher = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        a = owner.new_page()
        open_page(a, fresh_server, "training_lab?train.epochs=100000")
        a.get_by_role("button", name="Train").click()
        expect(a.get_by_text("running").first).to_be_visible(timeout=30_000)
        status = a.locator("[data-testid='stMarkdownContainer']", has_text="samples/s").first
        run_id = re.search(r"run-\d+-\w+", status.inner_text())[0]

        b = watcher.new_page()
        open_page(b, fresh_server, "runs")  # the only run of this server: chosen already
        expect(b.get_by_text(run_id).first).to_be_visible(timeout=30_000)
        b.get_by_role("button", name="Open in the Lab").click()
        wait_for_app(b)
        expect(b.get_by_text(run_id).first).to_be_visible(timeout=30_000)
        expect(b.get_by_text("running").first).to_be_visible(timeout=30_000)

        b.get_by_role("radio", name="Stop").click()
        question = b.get_by_text(f"{run_id} was started in another tab (tab ")
        expect(question).to_be_visible(timeout=15_000)
        screenshot(b, "owner_confirm")
        b.wait_for_timeout(2500)  # a few status ticks: still training, still asking
        expect(a.get_by_text("running").first).to_be_visible()
        expect(question).to_be_visible()

        b.get_by_role("radio", name="Yes, stop it").click()
        expect(b.get_by_text("stopped").first).to_be_visible(timeout=30_000)
        expect(a.get_by_text("stopped").first).to_be_visible(timeout=30_000)  # its owner sees it
        expect(question).to_have_count(0)
        for page in (a, b):
            assert page.locator("[data-testid='stException']").count() == 0
    finally:
        owner.close()
        watcher.close()
