"""Home: what torchxp is, and a door to each page."""

import streamlit as st
import torch

from torchxp_core.devices import available_devices
from ui.navigation import PAGES, ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("torchxp")
st.markdown(
    "#### Learn PyTorch by watching it\n"
    "torchxp turns the team's hard-won *PyTorch experience* notes into live experiments. "
    "Every curve, graph and number here comes from the PyTorch installed on this server, "
    "computed while you watch, never typed in."
)
st.caption(f"torch {torch.__version__} · devices: {', '.join(available_devices())}")

left, right = st.columns(2)
for i, door in enumerate(p for p in PAGES if p.blurb):
    with (left if i % 2 == 0 else right).container(border=True):
        st.page_link(door.path, label=f"**{door.title}**", icon=door.icon)
        st.caption(door.blurb)
