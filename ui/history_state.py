"""App-wide run history: one store and one recorder thread per server, started on demand."""

import os
from collections.abc import Callable

import streamlit as st

from torchxp_core.history import HistoryStore, HistoryUnavailable
from torchxp_core.recorder import HistoryRecorder
from ui.state import registry

SETTING = "TORCHXP_HISTORY"  # "off" (or 0, false, no): runs train but are not saved
OFF = (
    f"Run history is off by setting ({SETTING}=off): runs train, but are not saved and do "
    f"not appear on the Runs page."
)


class _History:
    """The store, or the sentence saying why there is none."""

    def __init__(self):
        self.store: HistoryStore | None = None
        self.problem = ""
        if os.environ.get(SETTING, "on").strip().lower() in ("off", "0", "false", "no"):
            self.problem = OFF
            return
        try:
            self.store = HistoryStore()  # $TORCHXP_DATA_DIR or ./data; marks old runs interrupted
        except HistoryUnavailable as exc:
            self.problem = str(exc)
            return
        self.problem = self.store.damage  # damaged: read what can be read, write nothing


@st.cache_resource
def _history() -> _History:
    return _History()


def store() -> HistoryStore | None:
    """The server's history store; None when the database cannot be used (see problem())."""
    return _history().store


def _stop(rec: HistoryRecorder | None) -> None:
    if rec is not None:
        rec.stop()


@st.cache_resource(on_release=_stop)
def recorder() -> HistoryRecorder | None:
    """The thread that copies every run of the registry into the store, once a second."""
    history = _history()
    if history.store is None or history.problem:
        return None
    return HistoryRecorder(history.store, registry()).start()


def problem() -> str:
    """Why history is off, as a sentence; '' when it works."""
    rec = recorder()
    return _history().problem or (rec.error if rec is not None else "")


def ensure_recording() -> None:
    """Start the recorder if it is not running yet (cheap after the first call)."""
    recorder()


def say_if_not_saving() -> None:
    """On the lab: one sentence when runs are not being saved, and why."""
    why = problem()
    if why:
        st.warning(why, icon=":material/history:")


def file_or_sentence(make: Callable[[], str]) -> Callable[[], str]:
    """A download made on click (Streamlit runs it outside the page, where an exception shows
    nothing): on a store or settings error, a file of one comment line saying why."""

    def made() -> str:
        try:
            return make()
        except (HistoryUnavailable, ValueError) as exc:
            # One line: the sentence can quote a stored value, and a newline in it would put
            # that value on a line of its own in a .py file someone may run.
            why = "".join(c if c.isprintable() else " " for c in str(exc))
            return f"# torchxp could not make this file: {why}\n"

    return made
