"""The app starts, names itself, and its home page runs without an exception."""

import re

from playwright.sync_api import Page, expect

from .conftest import open_page, screenshot


def test_home_page_loads_with_title_and_no_exception(page: Page, app_server: str) -> None:
    open_page(page, app_server)
    expect(page).to_have_title(re.compile("torchxp", re.IGNORECASE))
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot(page, "home")
