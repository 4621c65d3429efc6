"""Serve the real app with `streamlit run` on a free local port: for browser tests and
benchmarks alike (no pytest here, so benchmarks/ui_latency.py can use it too)."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The script `streamlit run` serves, relative to the repo root; override to try the harness.
APP_SCRIPT = os.environ.get("TORCHXP_E2E_APP", "app.py")
SERVER_START_TIMEOUT_S = 60


class ServerError(RuntimeError):
    """The server exited or never answered; the message ends with its log."""


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


def log_tail(log_path: Path, chars: int = 3000) -> str:
    return log_path.read_text(errors="replace")[-chars:]


@contextmanager
def serve_app(log_path: Path, data_dir: Path) -> Iterator[str]:
    """Run `streamlit run app.py` on a free local port until the block ends; yields its URL."""
    with serve_app_process(log_path, data_dir) as (base_url, _process):
        yield base_url


@contextmanager
def serve_app_process(log_path: Path, data_dir: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """As serve_app, and the server's process too (to kill it, or find what it started)."""
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
                raise ServerError(
                    f"streamlit exited with code {process.returncode} before serving "
                    f"{APP_SCRIPT}; its log ends:\n{log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise ServerError(
                    f"streamlit did not answer {base_url}/_stcore/health within "
                    f"{SERVER_START_TIMEOUT_S} s; its log ends:\n{log_tail(log_path)}"
                )
            time.sleep(0.25)
        yield base_url, process
    finally:
        _stop(process)


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


IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def wait_until_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until a Playwright page's app has finished its script run (for the benchmarks)."""
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)


BENCHMARK_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


@contextmanager
def app_in_chromium() -> Iterator[tuple]:
    """For the benchmarks: the app served with a throwaway history folder, and Debian's
    headless Chromium; yields (browser, base URL, the server's process)."""
    from playwright.sync_api import sync_playwright  # the server alone needs no browser

    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_app_process(Path(tmp) / "server.log", Path(tmp) / "data") as (base_url, server),
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=BENCHMARK_CHROMIUM_ARGS
        )
        try:
            yield browser, base_url, server
        finally:
            browser.close()
