"""How fast the Training Lab answers in a real browser: click -> visible change, in Chromium.

Serves the app with `streamlit run`, drives headless Chromium (Debian's /usr/bin/chromium),
and times, over several tries: Train -> first step shown, Pause -> "paused" shown, Step ->
the next step shown, Stop -> "stopped" shown. Once with the measured run alone, once while
two more runs train in two other tabs (three runs, the server's cap). Each time is taken by
the page's own clock, from the click's pointerdown to the frame that shows the change (the
driver's own waits and round trips into a busy page are not the user's). Run:
.venv/bin/python benchmarks/ui_latency.py [--tries 5]
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import Page

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.app_server import app_in_chromium, wait_until_idle

LAB = "training_lab?train.epochs=100000"  # runs that go on until stopped


def _step_shown(page: Page) -> int:
    """The step count of the progress line ("epoch 3/100000 · step 75/2,500,000"), or -1."""
    text = page.locator("[data-testid='stProgress']").first.inner_text(timeout=0) or ""
    match = re.search(r"step ([\d,]+)/", text) if text else None
    return int(match.group(1).replace(",", "")) if match else -1


# Conditions, checked in the page on every DOM change: JavaScript expressions.
STEP_JS = """(() => { const p = document.querySelector("[data-testid='stProgress']");
  const m = p && /step ([\\d,]+)\\//.exec(p.innerText);
  return m ? Number(m[1].replace(/,/g, '')) : -1; })()"""
BADGE_JS = "[...document.querySelectorAll('span')].some(e => e.textContent === %r)"
UNTRAINED_JS = (
    "[...document.querySelectorAll('.gtitle')].some(e => e.textContent.includes('Untrained'))"
)

# Arms the page: the time of the next pointerdown, then of the first DOM change after it at
# which `done` holds, plus one animation frame (the change painted). Timed by the browser's
# own clock, so the driver's round trips into a busy page do not count.
ARM_JS = """(done) => {
  window.__latency = undefined;
  const check = new Function('return (' + done + ');');
  let down = null;
  document.addEventListener('pointerdown', () => { down = performance.now(); },
                            {capture: true, once: true});
  const seen = () => {
    if (down === null || window.__latency !== undefined || !check()) return;
    observer.disconnect();
    window.__latency = -1;
    requestAnimationFrame(() => { window.__latency = (performance.now() - down) / 1000; });
  };
  const observer = new MutationObserver(seen);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                   attributes: true});
}"""


def _timed(page: Page, button: str, done: str) -> float:
    """Seconds from the click on `button` (Train, or a segment of the run's control bar)
    until the JavaScript condition `done` holds in the page and that frame is painted."""
    page.evaluate(ARM_JS, done)
    role = "button" if button == "Train" else "radio"
    page.get_by_role(role, name=button, exact=True).click()
    try:
        page.wait_for_function("window.__latency > 0", timeout=60_000)
    except Exception as exc:
        page.screenshot(path="/tmp/ui_latency_timeout.png")
        raise TimeoutError(f"{button}: no visible change within 60 s") from exc
    return page.evaluate("window.__latency")


def one_try(page: Page, base_url: str) -> dict[str, float]:
    page.goto(f"{base_url}/{LAB}")
    wait_until_idle(page)
    time.sleep(1.0)  # as a person would: the page has settled before the first click
    times = {"Train -> first step": _timed(page, "Train", f"{STEP_JS} > 0")}
    time.sleep(2.0)  # mid-run, charts ticking
    times["Pause -> paused"] = _timed(page, "Pause", BADGE_JS % "paused")
    before = _step_shown(page)
    times["Step -> next step"] = _timed(page, "Step", f"{STEP_JS} > {before}")
    times["Stop -> stopped"] = _timed(page, "Stop", BADGE_JS % "stopped")
    times["Reset -> untrained"] = _timed(page, "Reset", UNTRAINED_JS)
    return times


def measure(
    browser, base_url: str, tries: int, busy_tabs: int, drawing: bool = True
) -> dict[str, list[float]]:
    """Timings in a fresh tab while `busy_tabs` other tabs each keep a run training.

    drawing=False: the other tabs go to the Home page once their run trains (the session and
    its run go on), so only the runs load the machine, not two more tabs redrawing charts in
    this same 2-core machine's browser, as on the other people's laptops in a meeting.
    """
    others = []
    for _ in range(busy_tabs):  # each starts a run of its own and leaves it training
        other = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        other.goto(f"{base_url}/{LAB}")
        wait_until_idle(other)
        other.get_by_role("button", name="Train", exact=True).click()
        other.get_by_text("running", exact=True).first.wait_for(timeout=60_000)
        if not drawing:
            other.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Home").click()
        others.append(other)
    results: dict[str, list[float]] = {}
    for _ in range(tries):
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        for name, seconds in one_try(page, base_url).items():
            results.setdefault(name, []).append(seconds)
        page.context.close()
    for other in others:  # closing a tab stops its run
        other.context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=5)
    args = parser.parse_args()
    with app_in_chromium() as (browser, base_url, _server):
        measure(browser, base_url, 1, 0)  # warm-up: first page loads, forkserver, caches
        print(f"Training Lab in headless Chromium, 1280x720, medians of {args.tries} tries (s).")
        alone = measure(browser, base_url, args.tries, 0)
        _report("1 run", alone)
        # Each scenario is printed as it ends: a later one that fails keeps the earlier ones.
        for label, drawing in (
            ("3 runs, other tabs idle on Home", False),
            ("3 runs, all three tabs drawing the lab", True),
        ):
            try:
                _report(label, measure(browser, base_url, args.tries, 2, drawing=drawing), alone)
            except TimeoutError as exc:
                print(f"{label}: not measured, {exc} (one GPU-less Chromium drawing three labs)")


def _report(label: str, results: dict[str, list[float]], base: dict | None = None) -> None:
    print(f"\n{label}:")
    for name, values in results.items():
        median = statistics.median(values)
        ratio = f"  {median / statistics.median(base[name]):.2f}x one run" if base else ""
        print(f"  {name:22s} {median:6.2f}{ratio}   tries {[round(v, 2) for v in values]}")


if __name__ == "__main__":
    main()
