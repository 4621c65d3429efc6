"""Inside the network: every unit, weight and gradient of the lab's model, live while it learns."""

import streamlit as st

from ui import inside
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

ABOUT = (
    "The Training Lab's model opened up: each hidden unit's output over the input plane, every "
    "weight as a link, each layer's gradients over the run, and for images what the model "
    "confuses and what its first convolution sees. All drawn from copies of the weights the "
    "run sends, so watching changes nothing in the run."
)
title, choice = st.columns([3, 2], vertical_alignment="bottom")
title.title("Inside the network", help=ABOUT)
with choice:
    run = inside.choose()
inside.show(run)
