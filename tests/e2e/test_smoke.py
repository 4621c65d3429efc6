"""The app starts, names itself, and its home page runs without an exception."""

import re

from playwright.sync_api import Page, expect

from .conftest import open_page, screenshot


def test_home_page_loads_with_title_and_no_exception(page: Page, app_server: str) -> None:
    open_page(page, app_server)
    expect(page).to_have_title(re.compile("torchxp", re.IGNORECASE))
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot(page, "home")


def test_a_deep_link_on_a_fresh_server_gets_the_apps_navigation_and_wide_layout(
    fresh_server: str, page: Page
):
    # The very first request goes straight to a page, as a shared link would.
    open_page(page, fresh_server, "training_lab?data.dataset=spiral&train.epochs=7")
    nav = page.locator("[data-testid='stSidebarNav']")
    expect(nav.get_by_text("Lessons")).to_be_visible()  # app.py's sections, not a file list
    expect(nav.get_by_text("Training Lab")).to_be_visible()
    assert nav.get_by_text("app", exact=True).count() == 0
    main = page.locator("[data-testid='stMainBlockContainer']").bounding_box()
    assert main["width"] > 900, "the page fell back to the centred layout"
    # The link's settings arrive too, and no "page not found" dialog stands in the way.
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_role("combobox", name="Dataset")).to_have_value("Spiral")
    sidebar.get_by_role("tab", name="Training").click()  # the settings sit in tabs
    assert sidebar.get_by_role("spinbutton", name="Epochs").input_value() == "7"
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
