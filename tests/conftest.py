"""Shared test setup: the repo root on sys.path, and no run left training after a test."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def registry():
    """A fresh run registry whose runs are all stopped and joined after the test."""
    from torchxp_core.runner import RunRegistry

    reg = RunRegistry(max_active=4)
    yield reg
    reg.stop_all()
    for run in reg.runs():
        run.join(timeout=30)


@pytest.fixture(autouse=True, scope="session")
def _no_history_in_repo(tmp_path_factory):
    """Tests never write run history into the user's data folder."""
    import os

    os.environ.setdefault("TORCHXP_DATA_DIR", str(tmp_path_factory.mktemp("torchxp-data")))


@pytest.fixture(autouse=True)
def _apptest_navigates_like_a_served_app(monkeypatch):
    """AppTest of app.py as a served app runs it after its first request.

    AppTest resets Streamlit's server-wide "pages folder" mode before every run, so each rerun
    of app.py would start as a fresh server's first request: the page file alone, app.py
    skipped. A served app leaves that mode at its first ``st.navigation`` for good; the first
    request itself is tested on a real fresh server (tests/e2e/test_smoke.py).
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(autouse=True)
def _each_test_is_a_new_tab():
    """Every AppTest shares one session id, so a test would see the runs of the one before
    as its own tab's; a browser tab never does. After each test its runs are stopped and
    belong to another tab, as when a tab closes."""
    yield
    if "ui.state" in sys.modules:
        for run in sys.modules["ui.state"].registry().runs():
            run.stop()
            run.owner = "an earlier test's tab"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh history and tables folder, and no store or recorder cached from another test."""
    import streamlit as st

    monkeypatch.setenv("TORCHXP_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()
