"""A link carrying Markdown and HTML in its keys and values opens the lab with a warning that
shows them as typed: no link or image pointing outside the app, no request to another host."""

from urllib.parse import quote, urlsplit

from playwright.sync_api import Browser, expect

from .conftest import open_page, screenshot

PAYLOADS = {
    "train.lr": "[Session expired - sign in again](http://evil.example/login)",
    "data.dataset": '<img src="http://evil.example/y.png"><a href="http://evil.example">z</a>',
    "model.frozen": "![x](http://evil.example/x.png)",
    "![k](http://evil.example/k.png)": "1",
    "model.hidden": "www.evil.example",
}


def test_a_link_with_markdown_and_html_renders_none_of_it(app_server: str, browser: Browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in PAYLOADS.items())
    open_page(page, app_server, f"training_lab?{query}")
    warning = page.locator("[data-testid='stAlert']").filter(has_text="could not use")
    expect(warning).to_be_visible()
    shown = warning.inner_text().replace("\u2060", "")  # word joiners break bare links
    assert "[Session expired - sign in again](http://evil.example/login)" in shown
    assert "![x](http://evil.example/x.png)" in shown
    assert '<img src="http://evil.example/y.png">' in shown
    assert "www.evil.example" in shown
    app = urlsplit(app_server).netloc
    outside = page.evaluate(
        """(app) => [...document.querySelectorAll('a[href], img[src], image')]
            .map(e => e.href?.baseVal ?? e.href ?? e.src)
            .filter(u => { try { const url = new URL(u, location.href);  // data: stays in
                                 return url.host !== app && url.protocol !== 'data:'; }
                           catch { return true; } })""",
        app,
    )
    assert outside == [], outside
    # Streamlit itself fetches its Material icons from fonts.gstatic.com; nothing else leaves.
    hosts = {urlsplit(u).hostname for u in requests} - {urlsplit(app_server).hostname, None}
    assert hosts <= {"fonts.gstatic.com"}, hosts
    assert page.locator("[data-testid='stException']").count() == 0
    expect(page.get_by_role("button", name="Train")).to_be_enabled()
    screenshot(page, "untrusted_link")
    context.close()
