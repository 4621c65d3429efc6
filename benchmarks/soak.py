"""Soak: does the server stay flat after many runs, and how long is a page rerun under load?

1. 200 short runs in a row through a RunRegistry with the server's limits and a history
   recorder writing to a throwaway store, as the server does: RSS and threads of this process
   after 10 runs and after 200.
2. The real app (`streamlit run`) and headless Chromium (Debian's /usr/bin/chromium): three
   tabs each train a run (the server's cap) and a fourth shows the lab; for two minutes,
   round-robin over the four tabs, the sidebar's "Standardise features" is flipped and the
   page rerun timed in the browser, from the click to Streamlit's script state going back to
   notRunning (a MutationObserver on stApp's data-test-script-state). Prints p50/p95, and the
   server process's RSS and threads before and after.

Run: .venv/bin/python benchmarks/soak.py [--runs 200] [--minutes 2]
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import Page

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.app_server import app_in_chromium, wait_until_idle
from torchxp_core.config import RunConfig
from torchxp_core.history import HistoryStore
from torchxp_core.recorder import HistoryRecorder
from torchxp_core.runner import RunRegistry, warm_up

LAB = "training_lab?train.epochs=100000"  # runs that go on until stopped
MAX_ACTIVE = 3  # ui.state.MAX_ACTIVE_RUNS (not imported: that module needs a Streamlit session)
# The lab's default settings, 3 epochs (75 steps): a short run.
SHORT = RunConfig.from_dict({"train": {"epochs": 3}})
WATCH = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.__states = [];
  new MutationObserver(() => window.__states.push(
      [performance.now(), app.getAttribute("data-test-script-state")]))
    .observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
CLICK = "(el) => { const t = performance.now(); el.click(); return t; }"
DONE = """(t0) => {
  let ran = false;
  for (const [t, state] of window.__states) {
    if (t < t0) continue;
    if (state === "running") ran = true;
    else if (ran && state === "notRunning") return t - t0;
  }
  return null;
}"""


def _status(pid: int | str = "self") -> tuple[float, int]:
    """(RSS in MB, threads) of a process, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def runs_in_a_row(n: int) -> list[tuple[int, float, int, float]]:
    """(runs done, RSS MB, threads, seconds) after 10 and after ``n`` runs in a row."""
    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        registry = RunRegistry(max_active=MAX_ACTIVE)
        store = HistoryStore(Path(tmp))
        recorder = HistoryRecorder(store, registry).start()
        rows, started = [], time.perf_counter()
        for i in range(1, n + 1):
            run = registry.start(SHORT)
            if not run.join(120) or run.error:
                raise RuntimeError(f"run {i} did not finish: {run.status} {run.error}")
            if i in (10, n):
                rss, threads = _status()
                rows.append((i, rss, threads, time.perf_counter() - started))
        recorder.stop()
        store.close()
    return rows


def _rerun_seconds(page: Page) -> float:
    """One page rerun: flip "Standardise features", wait for the script to run and end."""
    page.get_by_role("tab", name="Data").click()
    box = page.get_by_label("Standardise features").element_handle()
    t0 = page.evaluate("() => performance.now()")
    while page.evaluate(DONE, t0) is not None:  # a tick that ended just now: start later
        t0 = page.evaluate("() => performance.now()")
    t0 = box.evaluate(CLICK)
    deadline = time.monotonic() + 60
    while (ms := page.evaluate(DONE, t0)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("no rerun ended within 60 s of the click")
        time.sleep(0.01)
    return ms / 1000


def reruns_under_load(minutes: float) -> dict:
    with app_in_chromium() as (browser, base_url, server):
        tabs = []
        for i in range(4):
            page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            page.goto(f"{base_url}/{LAB}")
            wait_until_idle(page, 120_000)
            if i < MAX_ACTIVE:  # three tabs train; the fourth shows the untrained lab
                page.get_by_role("button", name="Train", exact=True).click()
                page.get_by_text("running", exact=True).first.wait_for(timeout=60_000)
            page.evaluate(WATCH)
            tabs.append(page)
        time.sleep(3)  # every tab ticking
        before = _status(server.pid)
        times: list[float] = []
        by_tab: dict[int, list[float]] = {i: [] for i in range(4)}
        ends = time.monotonic() + 60 * minutes
        while time.monotonic() < ends:
            for i, page in enumerate(tabs):
                seconds = _rerun_seconds(page)
                times.append(seconds)
                by_tab[i].append(seconds)
                time.sleep(0.5)  # a person's pace, and the ticks go on between clicks
        after = _status(server.pid)
        training = sum(
            tab.get_by_text("running", exact=True).count() > 0 for tab in tabs[:MAX_ACTIVE]
        )
    return {
        "times": times,
        "by_tab": by_tab,
        "before": before,
        "after": after,
        "training": training,
    }


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print(f"1. {args.runs} short runs in a row (RunRegistry + HistoryRecorder, this process)")
    for done, rss, threads, seconds in runs_in_a_row(args.runs):
        print(f"   after {done:4d} runs: RSS {rss:7.1f} MB, {threads} threads ({seconds:.0f} s)")
    print(f"   threads now: {threading.active_count()} Python threads")
    result = reruns_under_load(args.minutes)
    times = result["times"]
    print(
        f"2. {args.minutes:g} min, 3 runs training ({result['training']} still at the end), "
        f"4 tabs: {len(times)} page reruns"
    )
    print(
        f"   page rerun, click -> script state notRunning: p50 {_pct(times, 50):.2f} s, "
        f"p95 {_pct(times, 95):.2f} s, max {max(times):.2f} s"
    )
    for i, tab in result["by_tab"].items():
        role = "training tab" if i < MAX_ACTIVE else "idle lab tab"
        print(f"   tab {i + 1} ({role}): median {statistics.median(tab):.2f} s of {len(tab)}")
    (rss0, th0), (rss1, th1) = result["before"], result["after"]
    print(f"   server process: RSS {rss0:.0f} -> {rss1:.0f} MB, threads {th0} -> {th1}")
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end (shared: numbers wander)")


if __name__ == "__main__":
    main()
