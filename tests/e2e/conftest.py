"""Browser tests: the real app, served by `streamlit run`, driven by headless Chromium.

Fixtures: `app_server` (session, the base URL), `browser` (session), `page` (one fresh
context per test). Helpers, imported with `from .conftest import open_page, screenshot`:
`open_page`, `wait_for_app`, `screenshot`.

Chromium is Debian's (/usr/bin/chromium); Playwright's own download cannot work here.
Without it these tests skip, except under CI=true, where they fail: CI must not go green
by testing nothing.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
# The script `streamlit run` serves, relative to the repo root; override to try the harness.
APP_SCRIPT = os.environ.get("TORCHXP_E2E_APP", "app.py")
SERVER_START_TIMEOUT_S = 60
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """On a failing browser test, show the server's log: the page only shows a redacted error."""
    report = yield
    if report.failed and _server_log is not None and E2E_DIR in item.path.parents:
        report.sections.append(("streamlit server log (tail)", _log_tail(_server_log)))
    return report


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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def _log_tail(log_path: Path, chars: int = 3000) -> str:
    return log_path.read_text(errors="replace")[-chars:]


@contextmanager
def serve_app(log_path: Path, data_dir: Path) -> Iterator[str]:
    """Run `streamlit run app.py` on a free local port until the block ends; yields its URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", APP_SCRIPT,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        # Own process group: stopping it also stops anything the server started.
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            # Runs stored by browser tests go to a throwaway folder, not the user's history.
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TORCHXP_DATA_DIR": str(data_dir)},
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(base_url):
            if process.poll() is not None:
                pytest.fail(
                    f"streamlit exited with code {process.returncode} before serving "
                    f"{APP_SCRIPT}; its log ends:\n{_log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {base_url}/_stcore/health within "
                    f"{SERVER_START_TIMEOUT_S} s; its log ends:\n{_log_tail(log_path)}"
                )
            time.sleep(0.25)
        yield base_url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def app_server(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the app on a free local port for the whole session; yields the base URL."""
    global _server_log
    log_path = _server_log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with serve_app(log_path, tmp_path_factory.mktemp("torchxp-data")) as base_url:
        yield base_url


@pytest.fixture
def fresh_server(chromium_path: str, tmp_path: Path) -> Iterator[str]:
    """A server of its own that no request has reached yet (for first-request behaviour)."""
    with serve_app(tmp_path / "server.log", tmp_path / "data") as base_url:
        yield base_url


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    for sig, grace_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace_s)
            break
        except subprocess.TimeoutExpired:
            continue


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
