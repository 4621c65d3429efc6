"""Runs train in worker processes: a closed tab ends its run's worker, and killing the server
mid-run leaves no process behind."""

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


def _open_lab(browser: Browser, url: str):
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    page.goto(f"{url}/training_lab?train.epochs=100000")
    wait_for_app(page)
    return page


def _train(page) -> None:
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text("running", exact=True).first).to_be_visible(timeout=30_000)


def _gone(pids: set[int], timeout: float) -> set[int]:
    """Waits until none of `pids` runs; returns those still running after `timeout`."""
    deadline = time.monotonic() + timeout
    while (left := pids & set(_parents())) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_a_closed_tab_ends_its_worker_and_a_killed_server_leaves_no_process_behind(
    chromium_path: str, browser: Browser, tmp_path: Path
):
    with serve_app_process(tmp_path / "server.log", tmp_path / "data") as (url, server):
        page = _open_lab(browser, url)  # the first page starts the forkserver
        time.sleep(1)
        idle = _descendants(server.pid)  # the forkserver and its helpers, before any run
        _train(page)
        worker = _descendants(server.pid) - idle
        assert worker, "the run started no process"
        page.context.close()  # the tab's session ends: its run must stop, its worker exit
        assert not _gone(worker, timeout=15), "a closed tab's worker went on training"

        page = _open_lab(browser, url)
        _train(page)
        started = _descendants(server.pid)
        assert started, "the run started no process"
        os.kill(server.pid, signal.SIGKILL)  # no shutdown code runs
        left = _gone(started, timeout=15)
        assert not left, f"processes outlived the server: {sorted(left)}"
        page.context.close()
