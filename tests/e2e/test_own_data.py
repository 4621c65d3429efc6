"""Your own CSV in a real browser: upload, train, and find the run on the Runs page."""

import re

from playwright.sync_api import Page, expect
from test_tables import GOOD

from .conftest import open_page, screenshot


def test_an_uploaded_csv_trains_and_its_run_is_kept(app_server: str, page: Page, tmp_path):
    open_page(page, app_server, "training_lab?train.epochs=5")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("combobox", name="Dataset").click()
    page.get_by_role("option", name="Your CSV").click()
    expect(sidebar.get_by_text("Upload a table to train on it.")).to_be_visible(timeout=30_000)
    path = tmp_path / "pets.csv"
    path.write_bytes(GOOD)
    sidebar.locator("input[type='file']").set_input_files(str(path))
    expect(sidebar.get_by_text("pets.csv: 60 rows × 4 columns", exact=False)).to_be_visible(
        timeout=30_000
    )
    expect(page.locator(".gtitle", has_text="Untrained model").first).to_be_visible()
    screenshot(page, "own_data_uploaded")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text("finished", exact=True).first).to_be_visible(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.wait_for_timeout(1500)  # the recorder writes about once a second
    page.get_by_role("link", name="Runs").first.click()
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible(timeout=30_000)
    # The runs table is a canvas grid: its cells live in an accessible table the eye never sees.
    cells = page.locator("[role=gridcell]").filter(has_text=re.compile(r"^csv$"))
    expect(cells.first).to_be_attached()
    assert page.locator("[data-testid='stException']").count() == 0
