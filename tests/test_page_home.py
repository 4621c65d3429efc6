"""The home page links to every page the app registers."""

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest


def test_home_says_what_torchxp_is_and_links_every_page():
    at = AppTest.from_file("../app.py", default_timeout=30)
    at.run()
    assert not at.exception
    assert at.title[0].value == "torchxp"
    app_text = (Path(__file__).parents[1] / "app.py").read_text()
    registered = {Path(p).stem for p in re.findall(r'st\.Page\(\s*"([^"]+)"', app_text)}
    linked = {Path(link.proto.page).name for link in at.get("page_link")}
    assert linked == registered - {"home"}
