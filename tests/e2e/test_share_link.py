"""A share link opened in a fresh tab shows the same settings, and they survive a run."""

from playwright.sync_api import Browser, expect

from .conftest import open_page, screenshot

LINK = "training_lab?data.dataset=spiral&data.noise=0.35&train.lr=0.003&train.epochs=8"


def _dataset(page):
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("tab", name="Data").click()  # the settings sit in tabs
    return sidebar.get_by_role("combobox", name="Dataset")


def _sidebar_value(page, label: str) -> str:
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("tab", name="Training").click()  # the settings sit in tabs
    return sidebar.get_by_role("spinbutton", name=label).input_value()


def test_a_share_link_opens_the_same_settings_in_a_fresh_tab(app_server: str, browser: Browser):
    first = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    open_page(first, app_server, LINK)
    expect(_dataset(first)).to_have_value("Spiral")
    shared_url = first.url  # the address bar after the app rewrote it

    fresh = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    open_page(fresh, app_server, shared_url.split("/", 3)[3])
    expect(_dataset(fresh)).to_have_value("Spiral")
    assert _sidebar_value(fresh, "Learning rate") == "0.0030"
    assert _sidebar_value(fresh, "Epochs") == "8"

    # A run ends with a full rerun of the page: the settings must still be there after it.
    fresh.get_by_role("button", name="Train").click()
    expect(fresh.get_by_text("finished").first).to_be_visible(timeout=60_000)
    fresh.wait_for_timeout(1500)
    expect(_dataset(fresh)).to_have_value("Spiral")
    assert _sidebar_value(fresh, "Learning rate") == "0.0030"
    assert _sidebar_value(fresh, "Epochs") == "8"
    assert fresh.locator("[data-testid='stAlert']").filter(has_text="must be").count() == 0
    screenshot(fresh, "share_link_after_run")


def test_a_link_with_bad_values_opens_with_a_warning_not_a_crash(app_server: str, browser: Browser):
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    open_page(page, app_server, "training_lab?train.lr=fast&data.dataset=%3Cscript%3E&x=1")
    expect(page.get_by_text("This link had settings torchxp could not use")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    expect(page.get_by_role("button", name="Train")).to_be_enabled()
