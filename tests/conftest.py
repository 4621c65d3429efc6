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
