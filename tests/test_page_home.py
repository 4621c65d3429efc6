"""The home page links to every page file of the app."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGES_DIR = Path(__file__).parents[1] / "pages"


def test_home_says_what_torchxp_is_and_links_every_page():
    at = AppTest.from_file("../app.py", default_timeout=30)
    at.run()
    assert not at.exception
    assert at.title[0].value == "torchxp"
    page_files = {p.stem for p in PAGES_DIR.glob("*.py")}
    linked = {Path(link.proto.page).stem for link in at.get("page_link")}
    assert linked == page_files - {"home"}
