"""App-wide and per-tab state: the run registry, and which tab owns which run."""

import uuid

import streamlit as st
import torch

from torchxp_core import runner
from torchxp_core.runner import RunRegistry

MAX_ACTIVE_RUNS = 3  # on 2 cores more would only slow every run down


@st.cache_resource
def registry() -> RunRegistry:
    """One registry for the whole server, shared by every browser tab."""
    runner.warm_up()  # the workers' forkserver imports torch now, not at the first Train
    # The server's own torch work (previews, the inspector's models) is tiny: one thread.
    # With torch's default two, a 3,600-point preview waited 40-160 ms on a core a worker
    # held, against 0.2 ms on one thread (measured while a run trained).
    torch.set_num_threads(1)
    return RunRegistry(max_active=MAX_ACTIVE_RUNS)


class _Tab:
    def __init__(self):
        self.id = uuid.uuid4().hex[:12]


def _release(tab: _Tab) -> None:
    # A closed tab's runs would otherwise train for nobody and hold a slot.
    registry().stop_all(owner=tab.id)


@st.cache_resource(scope="session", on_release=_release)
def _tab() -> _Tab:
    return _Tab()


def tab_id() -> str:
    """This browser tab's id: the owner recorded on the runs it starts."""
    return _tab().id


def whose(owner: str | None) -> str:
    """Who started a run, in words, or '' when this tab did. ``owner``: the run's tab id, ''
    for a run started outside any tab, None for a run known only from the history."""
    if owner and owner == tab_id():
        return ""
    if owner:
        return f"started in another tab (tab {owner[:6]})"
    if owner is None:
        return "from the history: the tab that started it is unknown"
    return "started in a tab that is unknown"
