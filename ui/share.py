"""Share links: the Training Lab's settings live in the URL, so a link opens the same lab."""

import streamlit as st

from torchxp_core import share
from torchxp_core.config import RunConfig
from ui import settings, text

KEEP = ("present",)  # app-wide parameters that the settings must not wipe
LINK = "This link had settings torchxp could not use:"


def _load(query: dict[str, str], intro: str) -> None:
    """Put the query's valid settings into this tab; keep a warning of what was dropped."""
    values, problems = share.from_query(query)
    for key, value in values.items():
        settings.put(key, ",".join(map(str, value)) if key == "model.hidden" else value)
    if problems:
        st.session_state["share.problems"] = (intro, problems)


def load_from_url() -> None:
    """Once per tab: take valid settings from the URL; say in one warning what was dropped."""
    if st.session_state.get("share.loaded"):
        return
    st.session_state["share.loaded"] = True
    _load({k: v for k, v in st.query_params.to_dict().items() if k not in KEEP}, LINK)


def load_stored(stored: dict, name: str) -> None:
    """A stored run's settings into this tab, checked as a link's are (the store is a file
    anyone could have edited); the lab then says what was dropped."""
    for key in share.KEYS:
        settings.put(key, settings.default(key))  # a setting the run cannot give is the default
    _load(share.query_of(stored), f"The run {name} had settings torchxp could not use:")


def show_problems() -> None:
    intro, problems = st.session_state.pop("share.problems", ("", []))
    if problems:
        # The sentences quote keys and values from outside: shown as typed, never as Markdown.
        items = "\n- ".join(text.plain(p) for p in problems)
        st.warning(f"{text.plain(intro)}\n\n- {items}")


def write_to_url(config: RunConfig | None) -> None:
    """Mirror the current settings into the address bar (only what differs from defaults)."""
    if config is None:
        return  # keep the last good link while the sidebar shows an error
    query = share.to_query(config)
    query.update({k: st.query_params[k] for k in KEEP if k in st.query_params})
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)
