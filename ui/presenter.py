"""Presenter mode: no sidebar, bigger type and charts, for a projector. Also ?present=1."""

import streamlit as st

_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 1.5rem 2.5rem; zoom: 1.3; }
</style>
"""


def is_on() -> bool:
    """On when this tab switched it on, or when it was opened with ?present=1."""
    if "presenter" not in st.session_state:
        st.session_state["presenter"] = st.query_params.get("present") == "1"
    return st.session_state["presenter"]


def _toggle() -> None:
    st.session_state["presenter"] = not is_on()


def apply() -> None:
    """Draw the switch (in the sidebar, or above the page while the sidebar is hidden)."""
    # Page changes clear the URL's parameters; the tab's state puts the flag back.
    if is_on():
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]
    if is_on():
        st.html(_CSS)
        st.button("Leave presenter mode", icon=":material/close_fullscreen:", on_click=_toggle)
    else:
        st.sidebar.button(
            "Presenter mode", icon=":material/open_in_full:", on_click=_toggle,
            help="Hide the sidebar and enlarge everything, for a projector (or add ?present=1).",
        )  # fmt: skip
