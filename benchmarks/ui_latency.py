"""How fast the Training Lab answers in a real browser: click -> visible change, in Chromium.

Serves the app with `streamlit run`, drives headless Chromium (Debian's /usr/bin/chromium),
and times, over several tries: Train -> first step shown, Pause -> "paused" shown, Step ->
the next step shown, Stop -> "stopped" shown. Once with the measured run alone, once while
two more runs train in two other tabs (three runs, the server's cap). Run:
.venv/bin/python benchmarks/ui_latency.py [--tries 5]
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.app_server import serve_app

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
LAB = "training_lab?train.epochs=100000"  # runs that go on until stopped
POLL_S = 0.02


def _wait_ready(page: Page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           state="attached", timeout=60_000)  # fmt: skip


def _step_shown(page: Page) -> int:
    """The step count of the progress line ("epoch 3/100000 · step 75/2,500,000"), or -1."""
    text = page.locator("[data-testid='stProgress']").first.inner_text(timeout=0) or ""
    match = re.search(r"step ([\d,]+)/", text) if text else None
    return int(match.group(1).replace(",", "")) if match else -1


def _timed(page: Page, button: str, done) -> float:
    """Seconds from clicking `button` until `done(page)` holds."""
    started = time.perf_counter()
    page.get_by_role("button", name=button, exact=True).click()
    while True:
        try:
            if done(page):
                return time.perf_counter() - started
        except Exception:  # the element is being redrawn: look again
            pass
        if time.perf_counter() - started > 60:
            page.screenshot(path="/tmp/ui_latency_timeout.png")
            raise TimeoutError(f"{button}: no visible change within 60 s")
        time.sleep(POLL_S)


def _badge(word: str):
    return lambda page: page.get_by_text(word, exact=True).count() > 0


def one_try(page: Page, base_url: str) -> dict[str, float]:
    page.goto(f"{base_url}/{LAB}")
    _wait_ready(page)
    times = {"Train -> first step": _timed(page, "Train", lambda p: _step_shown(p) > 0)}
    times["Pause -> paused"] = _timed(page, "Pause", _badge("paused"))
    before = _step_shown(page)
    times["Step -> next step"] = _timed(page, "Step", lambda p: _step_shown(p) > before)
    times["Stop -> stopped"] = _timed(page, "Stop", _badge("stopped"))
    return times


def measure(browser, base_url: str, tries: int, busy_tabs: int) -> dict[str, list[float]]:
    others = []
    for _ in range(busy_tabs):  # each starts a run of its own and leaves it training
        other = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        other.goto(f"{base_url}/{LAB}")
        _wait_ready(other)
        other.get_by_role("button", name="Train", exact=True).click()
        other.get_by_text("running", exact=True).first.wait_for(timeout=60_000)
        others.append(other)
    results: dict[str, list[float]] = {}
    for _ in range(tries):
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        for name, seconds in one_try(page, base_url).items():
            results.setdefault(name, []).append(seconds)
        page.context.close()
    for other in others:
        other.get_by_role("button", name="Stop", exact=True).click()
        other.context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve_app(
        Path(tmp) / "server.log", Path(tmp) / "data"
    ) as base_url, sync_playwright() as pw:  # fmt: skip
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        measure(browser, base_url, 1, 0)  # warm-up: first page loads, forkserver, caches
        alone = measure(browser, base_url, args.tries, 0)
        busy = measure(browser, base_url, args.tries, 2)
        browser.close()
    print(f"Training Lab in headless Chromium, 1280x720, medians of {args.tries} tries (s):")
    print(f"{'':22s} {'1 run':>8s} {'3 runs':>8s} {'ratio':>7s}")
    for name in alone:
        a, b = statistics.median(alone[name]), statistics.median(busy[name])
        print(f"{name:22s} {a:8.2f} {b:8.2f} {b / a:7.2f}")


if __name__ == "__main__":
    main()
