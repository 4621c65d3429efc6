"""The Runs page in a real browser: stored runs in the table, their curves overlaid."""

from pathlib import Path

from playwright.sync_api import Page, expect

from torchxp_core.config import RunConfig
from torchxp_core.history import HistoryStore
from torchxp_core.recorder import HistoryRecorder
from torchxp_core.runner import RunRegistry

from .conftest import open_page, screenshot


def _train_into_history(folder: Path) -> None:
    """Real runs, recorded into the folder the server reads: three seeds of one setup, one SGD."""
    store, registry = HistoryStore(folder, recover=False), RunRegistry()
    recorder = HistoryRecorder(store, registry, every_s=0.1).start()
    base = {"data": {"n_samples": 400}, "model": {"hidden": [16, 16]}}
    for train in ({"seed": 0}, {"seed": 1}, {"seed": 2}, {"optimizer": "sgd", "lr": 0.05}):
        cfg = RunConfig.from_dict({**base, "train": {"epochs": 15, **train}})
        run = registry.start(cfg)
        assert run.join(120)
    recorder.stop()
    store.close()


def test_runs_page_shows_the_table_and_the_overlay(app_server: str, app_data_dir: Path, page: Page):
    open_page(page, app_server, "runs")
    # The page names its database file by its setting, not by the server's full path.
    expect(page.locator("code", has_text="$TORCHXP_DATA_DIR/history.sqlite")).to_be_visible()
    # The server's folder is a throwaway one per session (other browser tests may have saved
    # runs in it already).
    _train_into_history(app_data_dir)
    open_page(page, app_server, "runs")
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    table = page.locator("[data-testid='stDataFrame']").first
    expect(table).to_be_visible(timeout=30_000)
    expect(page.locator(".gtitle", has_text="Training loss per step").first).to_be_visible(
        timeout=30_000
    )
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "runs")


def test_a_run_trained_in_the_lab_appears_on_the_runs_page(app_server: str, page: Page):
    open_page(page, app_server)
    page.get_by_role("link", name="Training Lab").first.click()
    expect(page.get_by_role("button", name="Train")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Training").click()  # the sidebar's settings are in tabs
    epochs = page.get_by_label("Epochs")
    epochs.fill("12")
    epochs.press("Enter")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text("finished").first).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)  # the recorder writes about once a second
    page.get_by_role("link", name="Runs").first.click()  # in-app navigation keeps the session
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible(timeout=30_000)
    expect(page.locator(".gtitle", has_text="Training loss per step").first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "runs_after_training")
