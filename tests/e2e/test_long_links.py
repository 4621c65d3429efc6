"""A link of more parameters than Streamlit reads opens with its settings and a sentence,
not with every setting silently reset."""

from playwright.sync_api import Browser, expect

from .conftest import open_page, screenshot


def test_a_link_over_streamlits_parameter_limit_keeps_its_settings(
    app_server: str, browser: Browser
):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    junk = "&".join(f"utm{i}=x" for i in range(1200))
    open_page(page, app_server, f"training_lab?data.dataset=spiral&train.lr=0.003&{junk}")
    warning = page.locator("[data-testid='stAlert']").filter(has_text="This link was too long")
    expect(warning).to_be_visible(timeout=30_000)  # after the browser reloads the cut link
    expect(warning).to_contain_text("1,202 parameters")
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_role("combobox", name="Dataset")).to_have_value("Spiral")
    assert "utm" not in page.url and "link.cut" not in page.url
    screenshot(page, "long_link")
    context.close()
