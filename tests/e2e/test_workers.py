"""Runs train in worker processes: killing the server mid-run leaves no process behind."""

import os
import signal
import time
from pathlib import Path

from playwright.sync_api import Browser, expect

from .app_server import serve_app_process
from .conftest import wait_for_app


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone while we looked
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if state != "Z":  # a zombie runs nothing
                parents[int(entry.name)] = int(ppid)
    return parents


def _descendants(pid: int) -> set[int]:
    parents, found, frontier = _parents(), set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def test_killing_the_server_mid_run_leaves_no_worker_behind(
    chromium_path: str, browser: Browser, tmp_path: Path
):
    with serve_app_process(tmp_path / "server.log", tmp_path / "data") as (url, server):
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        page.goto(f"{url}/training_lab?train.epochs=100000")
        wait_for_app(page)
        page.get_by_role("button", name="Train").click()
        expect(page.get_by_text("running", exact=True).first).to_be_visible(timeout=30_000)
        started = _descendants(server.pid)
        assert started, "the run started no process"
        os.kill(server.pid, signal.SIGKILL)  # no shutdown code runs
        deadline = time.monotonic() + 15
        while (left := started & set(_parents())) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"processes outlived the server: {sorted(left)}"
        page.context.close()
