"""Presenter mode: no sidebar, the pages' links on top, chart text sized for a projector.

Also ?present=1. Charts are enlarged by their own font sizes, not by CSS zoom: a zoomed
plotly chart lays itself out for the unzoomed width and is then cropped.
"""

import streamlit as st

# Both modes: Streamlit leaves 6rem above a page; a projector needs that room for charts.
_COMPACT = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 2rem; }
</style>
"""
_PRESENTING = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
.st-key-presenter-leave { position: fixed; top: 0.55rem; right: 4rem; z-index: 999991;
                          width: auto !important; }
</style>
"""
FONT_PX, TITLE_PX = 16, 20  # chart text on a projector: axis labels, ticks, legends, titles
# Notes on a chart at least this: the guessed images' labels ("5 100%") fill a 45 px cell at
# 14 px, and at 16 px ran into each other at 1280x720.
NOTE_PX = 14
# The first chart row's height: with the title row, the control bar (and the presenter's
# settings row) above it, "fit 720p" keeps the row's x-axis inside a 1280x720 screen; a page
# cannot read the screen's height, so a 1080p screen is a choice in the lab's options.
TOP_ROW_PX = {"fit 720p": (400, 330), "fit 1080p": (700, 620)}  # normal, presenting


def is_on() -> bool:
    """On when this tab switched it on, or when it was opened with ?present=1."""
    if "presenter" not in st.session_state:
        st.session_state["presenter"] = st.query_params.get("present") == "1"
    return st.session_state["presenter"]


def _toggle() -> None:
    st.session_state["presenter"] = not is_on()


def navigation_position() -> str:
    """Where the page links go: the sidebar, or the top bar while the sidebar is hidden."""
    return "top" if is_on() else "sidebar"


def apply() -> None:
    """Draw the switch (in the sidebar, or in the top bar while the sidebar is hidden)."""
    # Page changes clear the URL's parameters; the tab's state puts the flag back.
    if is_on():
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]
    st.html(_COMPACT + (_PRESENTING if is_on() else ""))
    if is_on():
        icon = ":material/close_fullscreen:"
        st.button("Leave presenter mode", icon=icon, on_click=_toggle, key="presenter-leave")
    else:
        why = "Hide the sidebar and enlarge chart text, for a projector (or add ?present=1)."
        icon = ":material/open_in_full:"
        st.sidebar.button("Presenter mode", icon=icon, on_click=_toggle, help=why)


def top_row_height() -> int:
    normal, presenting = TOP_ROW_PX[st.session_state.get("lab.screen") or "fit 720p"]
    return presenting if is_on() else normal


def style_chart(fig) -> None:
    """In presenter mode, chart text a room can read (>= 14 px); otherwise unchanged.

    Each text is sized explicitly: Streamlit's chart theme sets tick and legend fonts of its
    own, which a layout-wide font size does not reach.
    """
    if not is_on():
        return
    font = {"size": FONT_PX}
    fig.update_layout(font=font, title={"font": {"size": TITLE_PX}}, legend={"font": font})
    fig.update_xaxes(tickfont=font, title={"font": font})
    fig.update_yaxes(tickfont=font, title={"font": font})
    for note in fig.layout.annotations or ():
        note.font.size = max(note.font.size or 0, NOTE_PX)
