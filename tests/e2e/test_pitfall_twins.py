"""A pitfall run beside its correct twin, in a real browser: both train, the overlay appears."""

from playwright.sync_api import Page, expect

from .conftest import open_page, screenshot


def test_forgetting_zero_grad_runs_beside_its_correct_twin(app_server: str, page: Page):
    open_page(page, app_server, "training_lab?train.pitfalls=forget_zero_grad&train.epochs=15")
    page.get_by_role("button", name="Options").click()
    expect(page.get_by_text("Run the correct twin beside a mistake")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Train").click()

    expect(page.get_by_text("With the mistake vs. the correct twin")).to_be_visible(timeout=30_000)
    for title in ("Loss per step (smoothed)", "Validation loss per epoch"):
        expect(page.locator(".gtitle", has_text=title).first).to_be_visible(timeout=30_000)
    overlay = page.locator("[data-testid='stPlotlyChart']").filter(has_text="correct twin")
    expect(overlay.first).to_be_visible()
    # Two runs, two status lines, both ending on their own.
    expect(page.get_by_text("finished")).to_have_count(2, timeout=90_000)
    assert page.locator("[data-testid='stException']").count() == 0

    # The code panel names the line the switch changed.
    page.get_by_text("The loop this run executes").click()
    expect(page.get_by_text("forget optimizer.zero_grad()").last).to_be_visible()
    screenshot(page, "pitfall_twins")


def test_a_wrong_label_dtype_run_fails_with_torchs_message_in_the_page(app_server: str, page: Page):
    open_page(page, app_server, "training_lab?train.pitfalls=wrong_label_dtype&train.epochs=3")
    page.get_by_role("button", name="Train").click()
    alert = page.locator("[data-testid='stAlert']").filter(has_text="RuntimeError")
    expect(alert.first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("failed").first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
