"""Home: what torchxp is, and a door to each page."""

import streamlit as st
import torch

from torchxp_core.devices import available_devices

DOORS = [
    ("views/training_lab.py", "Training Lab", ":material/model_training:",
     "Pick a dataset, model, loss, optimizer and device, press Train, and watch a real PyTorch "
     "loop learn: loss curves and the decision surface move live. Switch on a classic mistake "
     "and run it beside its correct twin."),
    ("views/runs.py", "Runs", ":material/history:",
     "Every run is kept: compare curves, group seeds, download metrics, export a run as a "
     "standalone script."),
    ("views/loss_explorer.py", "Loss Explorer", ":material/functions:",
     "Cross-entropy, BCE, BCE-with-logits and MSE with live plots: formulas beside torch's "
     "own numbers, contracts tried against the installed torch."),
    ("views/autograd.py", "Autograd Inspector", ":material/account_tree:",
     "The computational graph of an expression or of your model, with is_leaf, requires_grad "
     "and grad_fn on every tensor; freeze layers and see what changes."),
    ("views/lesson_dtypes_layout.py", "Data types & layout", ":material/memory:",
     "float32 vs float64, label dtypes, [B,H,W,C] vs [B,C,H,W] and what a Conv2d makes of them."),
    ("views/lesson_modes_grads.py", "train/eval & gradients", ":material/tune:",
     "Dropout and BatchNorm in both modes, gradients that pile up without zero_grad(), and what "
     "no_grad saves."),
    ("views/lesson_tensors.py", "Creating tensors", ":material/data_array:",
     "torch.tensor, from_numpy and as_tensor: which copy and which share memory."),
]  # fmt: skip

st.title("torchxp")
st.markdown(
    "#### Learn PyTorch by watching it\n"
    "torchxp turns the team's hard-won *PyTorch experience* notes into live experiments. "
    "Every curve, graph and number here comes from the PyTorch installed on this server, "
    "computed while you watch, never typed in."
)
st.caption(f"torch {torch.__version__} · devices: {', '.join(available_devices())}")

left, right = st.columns(2)
for i, (path, title, icon, text) in enumerate(DOORS):
    with (left if i % 2 == 0 else right).container(border=True):
        st.page_link(path, label=f"**{title}**", icon=icon)
        st.caption(text)
