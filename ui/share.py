"""Share links: the Training Lab's settings live in the URL, so a link opens the same lab."""

import streamlit as st

from torchxp_core import share
from torchxp_core.config import RunConfig
from ui import settings

KEEP = ("present",)  # app-wide parameters that the settings must not wipe


def load_from_url() -> None:
    """Once per tab: take valid settings from the URL; say in one warning what was dropped."""
    if st.session_state.get("share.loaded"):
        return
    st.session_state["share.loaded"] = True
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in KEEP}
    values, problems = share.from_query(query)
    for key, value in values.items():
        settings.put(key, ",".join(map(str, value)) if key == "model.hidden" else value)
    if problems:
        st.session_state["share.problems"] = problems


def show_problems() -> None:
    problems = st.session_state.pop("share.problems", None)
    if problems:
        st.warning("This link had settings torchxp could not use:\n\n- " + "\n- ".join(problems))


def write_to_url(config: RunConfig | None) -> None:
    """Mirror the current settings into the address bar (only what differs from defaults)."""
    if config is None:
        return  # keep the last good link while the sidebar shows an error
    query = share.to_query(config)
    query.update({k: st.query_params[k] for k in KEEP if k in st.query_params})
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)
