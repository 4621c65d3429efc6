"""Home: what torchxp is, and a door to each page."""

import streamlit as st
import torch

from torchxp_core.devices import available_devices

st.title("torchxp")
st.markdown(
    "#### Learn PyTorch by watching it\n"
    "torchxp turns the team's hard-won *PyTorch experience* notes into live experiments. "
    "Every curve, graph and number here comes from the PyTorch installed on this server, "
    "computed while you watch, never typed in."
)
st.caption(f"torch {torch.__version__} · devices: {', '.join(available_devices())}")

st.page_link("pages/training_lab.py", label="**Training Lab**: pick a dataset, model, loss and "
             "optimizer, press Train, watch the loss and the decision surface move.",
             icon=":material/model_training:")  # fmt: skip
