"""'Inside the network' in a real browser: train in the lab, open the page, see the views."""

import re

from playwright.sync_api import Page, expect

from .conftest import open_page, screenshot, wait_for_app


def _network_step(page: Page) -> int:
    titles = page.locator(".gtitle", has_text="The network · step").all_text_contents()
    steps = [re.search(r"step ([\d,]+)", t) for t in titles]
    return max((int(m.group(1).replace(",", "")) for m in steps if m), default=0)


def _open_inside(page: Page) -> None:
    page.get_by_role("link", name="Inside the network").first.click()  # keeps the session
    expect(page.get_by_role("heading", name="Inside the network")).to_be_visible(timeout=30_000)


def _train_then_open_inside(page: Page, app_server: str, query: str, status: str, before=None):
    """Train in the lab with ``query``'s settings until ``status`` shows, then open Inside
    (``before(page)`` first, on the lab)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, app_server, f"training_lab?{query}")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text(status).first).to_be_visible(timeout=60_000)
    # Leaving while the Train click's script still runs would interrupt it, and Streamlit
    # drops what that run wrote to the session: the lab would forget its run id.
    wait_for_app(page)
    if before is not None:
        before(page)
    _open_inside(page)


def _images_are_guessed(page: Page) -> None:
    """The lab's validation images, each titled with the guess and its probability."""
    expect(page.locator(".gtitle", has_text="Guess (truth)").first).to_be_visible(timeout=30_000)
    guesses = page.locator(".annotation-text", has_text=re.compile(r"^\d( \(\d\))? \d+%$"))
    assert guesses.count() == 24


def _status_step(page: Page) -> int:
    """The step the status line shows, once two reads a status tick apart agree (a pause's
    last batches can reach the line a tick after its badge)."""
    read = lambda: page.get_by_text(re.compile(r"· step [\d,]+")).first.inner_text()  # noqa: E731
    last, now = None, read()
    while now != last:
        page.wait_for_timeout(1200)
        last, now = now, read()
    return int(re.search(r"· step ([\d,]+)", now).group(1).replace(",", ""))


def test_step_trains_one_batch_of_a_paused_run_and_shows_each_stage(app_server: str, page: Page):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, app_server, "training_lab?train.endless=true")
    page.get_by_role("button", name="Train").click()
    page.get_by_role("radio", name="Pause").click(timeout=60_000)
    expect(page.get_by_role("radio", name="Resume")).to_be_visible(timeout=30_000)
    # The status line says "paused" with the step it paused at (it ticks on its own).
    expect(page.get_by_text("paused", exact=True).first).to_be_visible(timeout=30_000)
    wait_for_app(page)
    held = _status_step(page)
    page.get_by_role("radio", name="Step").click()
    expect(page.get_by_text(f"Step {held + 1:,}, stage by stage")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(f"· step {held + 1:,}$"))).to_be_visible()
    expect(page.locator(".gtitle", has_text=".grad after backward()").first).to_be_visible()
    expect(page.get_by_text("zero_grad (line")).to_be_visible()
    page.get_by_role("radio", name="Step").click()  # selected already: the next Step
    expect(page.get_by_text(f"Step {held + 2:,}, stage by stage")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(2500)  # a few ticks later: still that one batch more
    expect(page.get_by_text(re.compile(f"· step {held + 2:,}$"))).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0


def test_moons_network_view_follows_the_labs_run(app_server: str, page: Page):
    _train_then_open_inside(page, app_server, "train.epochs=100000", "running")
    expect(page.locator(".gtitle", has_text="The network · step").first).to_be_visible(
        timeout=30_000
    )
    first = _network_step(page)
    page.wait_for_timeout(4500)  # two ticks of the page's fragment
    assert _network_step(page) > first, "the network view did not follow the run"
    network = page.locator(".stPlotlyChart").first
    # A picture per input, one per column of units: 2 hidden, outputs
    assert network.locator(".heatmaplayer image").count() >= 5
    network.hover()
    expect(page.locator(".gtitle", has_text="Gradient norm per layer").first).to_be_visible()
    expect(page.locator(".gtitle", has_text="Update / weight per layer").first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    full = screenshot(page, "inside_moons")
    page.screenshot(path=str(full.with_name("inside_moons_720.png")))  # what 1280x720 shows
    page.get_by_role("link", name="Training Lab").first.click()
    page.get_by_role("radio", name="Stop").click()
    expect(page.get_by_text("stopped").first).to_be_visible(timeout=30_000)


def test_digits_cnn_shows_the_confusion_matrix_and_feature_maps(app_server: str, page: Page):
    query = "data.dataset=digits&model.kind=cnn&train.epochs=3"
    _train_then_open_inside(page, app_server, query, "finished", before=_images_are_guessed)
    expect(page.locator(".gtitle", has_text="Confusion matrix · validation").first).to_be_visible(
        timeout=30_000
    )
    expect(page.locator(".gtitle", has_text="weight [16, 1, 3, 3]").first).to_be_visible()
    expect(page.locator(".gtitle", has_text="layer 0 Conv2d").first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "inside_digits")
