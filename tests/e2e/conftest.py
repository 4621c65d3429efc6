"""Browser tests: the real app, served by `streamlit run`, driven by headless Chromium.

Fixtures: `app_server` (session, the base URL), `browser` (session), `page` (one fresh
context per test). Helpers, imported with `from .conftest import open_page, screenshot`:
`open_page`, `wait_for_app`, `screenshot`.

Chromium is Debian's (/usr/bin/chromium); Playwright's own download cannot work here.
Without it these tests skip, except under CI=true, where they fail: CI must not go green
by testing nothing.
"""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from .app_server import REPO_ROOT, ServerError, log_tail, serve_app

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
APP_RUN_TIMEOUT_MS = 60_000
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(tryfirst=True)  # before `-m` filters the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with `e2e`, so `-m "not e2e"` skips the browser."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


_server_log: Path | None = None  # set by `app_server`; its tail is added to failure reports
_fresh_log: Path | None = None  # set by `fresh_server` while a test uses its own server
SHOWN_TEXT = 1500  # characters of each open page's text in a failure report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """On a failing browser test, show the server's log (the page only shows a redacted
    error) and what each open tab showed: its address and its text, so a failure on a CI
    machine can be read without a screenshot."""
    report = yield
    if not report.failed or E2E_DIR not in item.path.parents:
        return report
    logs = {"streamlit server log (tail)": _server_log}
    if "fresh_server" in item.fixturenames:
        logs["the test's own server log (tail)"] = _fresh_log
    for title, log in logs.items():
        if log is not None:
            report.sections.append((title, log_tail(log)))
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if isinstance(browser, Browser) and browser.is_connected():
        report.sections.append(("open tabs", _describe_tabs(browser)))
    return report


def _describe_tabs(browser: Browser) -> str:
    """Each open tab's address and the start of its main text."""
    parts = []
    for i, context in enumerate(browser.contexts):
        for tab in context.pages:
            try:
                shown = tab.locator("[data-testid='stMain']").inner_text(timeout=5_000)
            except Exception as exc:  # a report must not fail for want of a page
                shown = f"(no text: {type(exc).__name__})"
            parts.append(f"--- context {i}: {tab.url}\n{shown[:SHOWN_TEXT]}")
    return "\n".join(parts) or "(none)"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium binary; skips the test without it, or fails it under CI=true."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{CHROMIUM} is missing, so the browser tests cannot run; "
                "install it with `apt-get install -y chromium` (scripts/test.sh does this as root)."
            )
        pytest.skip(f"{CHROMIUM} is missing; `apt-get install -y chromium` to run browser tests")
    return str(CHROMIUM)


@contextmanager
def _served(log_path: Path, data_dir: Path) -> Iterator[str]:
    try:
        with serve_app(log_path, data_dir) as base_url:
            yield base_url
    except ServerError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session server's history folder (the page names it only by its setting)."""
    return tmp_path_factory.mktemp("torchxp-data")


@pytest.fixture(scope="session")
def app_server(
    chromium_path: str, tmp_path_factory: pytest.TempPathFactory, app_data_dir: Path
) -> Iterator[str]:
    """Serve the app on a free local port for the whole session; yields the base URL."""
    global _server_log
    log_path = _server_log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with _served(log_path, app_data_dir) as base_url:
        yield base_url


@pytest.fixture
def fresh_server(chromium_path: str, tmp_path: Path) -> Iterator[str]:
    """A server of its own that no request has reached yet (for first-request behaviour)."""
    global _fresh_log
    _fresh_log = tmp_path / "server.log"
    with _served(_fresh_log, tmp_path / "data") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One headless Chromium for the session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Make browser contexts (each its own Streamlit session), closed after the test's
    report, so a failure report can still show their tabs."""
    made: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        made.append(browser.new_context(**options))
        return made[-1]

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (own cookies, so its own Streamlit session)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def wait_for_app(page: Page) -> None:
    """Wait until the page is connected and the script's run has finished."""
    stapp = "[data-testid='stApp']"
    page.wait_for_selector(
        f"{stapp}[data-test-connection-state='CONNECTED']",
        state="attached",
        timeout=APP_RUN_TIMEOUT_MS,
    )
    # "initial" before the first run, "running" during one, "notRunning" once it ends.
    page.wait_for_selector(
        f"{stapp}[data-test-script-state='notRunning']",
        state="attached",
        timeout=APP_RUN_TIMEOUT_MS,
    )


def open_page(page: Page, base_url: str, path: str = "") -> None:
    """Go to `base_url/path` (e.g. path="losses") and wait for the app to finish its run."""
    page.goto(f"{base_url}/{path.lstrip('/')}")
    wait_for_app(page)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as screenshots/<name>.png at the repo root (gitignored)."""
    path = REPO_ROOT / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its main container, not the document, so a "full page"
    # screenshot would stop at the viewport: grow the viewport to the content instead.
    size = page.viewport_size or {"width": 1400, "height": 900}
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stSidebarContent]')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.wait_for_timeout(300)  # let plotly re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path
