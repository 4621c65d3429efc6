"""How much of a core Chromium spends on one tab watching the Training Lab train.

Serves the app with `streamlit run`, opens the lab in headless Chromium (Debian's
/usr/bin/chromium) at 1280x720, starts a run that goes on until stopped, and reads the CPU
time of Chromium's processes from /proc over a window, after the run has settled: the
renderer (the page: scripts, layout, drawing the charts) and the rest. Each live chart is
drawn afresh on every tick, so this is what a projector's laptop pays while a run trains,
and, on a 2-core machine, what one more open tab takes from the server and the runs. Run:
.venv/bin/python benchmarks/browser_cpu.py [--tries 3] [--seconds 20]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.app_server import app_in_chromium, wait_until_idle

LAB = "training_lab?train.epochs=100000"


def chromium_cpu() -> dict[str, float]:
    """CPU seconds so far of every Chromium process, summed by kind (renderer or other)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {"renderer": 0.0, "other": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_text()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        if "chrom" in command:
            kind = "renderer" if "--type=renderer" in command else "other"
            seconds[kind] += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return seconds


def one_try(browser, base_url: str, window_s: float) -> dict[str, float]:
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    page.goto(f"{base_url}/{LAB}")
    wait_until_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("running", exact=True).first.wait_for(timeout=60_000)
    time.sleep(5.0)  # past the first ticks: the steady state
    before, start = chromium_cpu(), time.perf_counter()
    time.sleep(window_s)
    after, elapsed = chromium_cpu(), time.perf_counter() - start
    page.context.close()  # closing the tab stops its run
    return {kind: (after[kind] - before[kind]) / elapsed for kind in after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with app_in_chromium() as (browser, base_url, _server):
        tries = [one_try(browser, base_url, args.seconds) for _ in range(args.tries)]
    print(
        f"One tab watching a default run in the Training Lab, 1280x720, {args.tries} tries of "
        f"{args.seconds:g} s; Chromium's CPU in cores (1.0 = one core busy):"
    )
    for kind in ("renderer", "other"):
        values = [t[kind] for t in tries]
        print(
            f"  {kind:9s} {statistics.median(values):.3f} median   tries "
            f"{[round(v, 3) for v in values]}"
        )


if __name__ == "__main__":
    main()
