"""The app's one page list, its navigation, and the guard every page file calls first.

Why the guard: while a ``pages/`` folder sits beside ``app.py``, Streamlit 1.67 starts each
server in its old multipage mode (``PagesManager.uses_pages_directory``, server-wide) and runs
a deep link that arrives before any session has called ``st.navigation`` as a bare script,
without app.py's layout and sections. Declaring the navigation switches the server to
``st.navigation`` for good; the rerun then goes through app.py with the link's page and query.
"""

from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


@dataclass(frozen=True)
class PageEntry:
    path: str  # relative to app.py
    title: str
    icon: str
    section: str
    blurb: str  # the home page's sentence on what the page teaches ("" for Home itself)


PAGES = [
    PageEntry("pages/home.py", "Home", ":material/home:", "torchxp", ""),
    PageEntry(
        "pages/training_lab.py", "Training Lab", ":material/model_training:", "torchxp",
        "Pick a dataset, model, loss, optimizer and device, press Train, and watch a real PyTorch "
        "loop learn: loss curves and the decision surface move live. Switch on a classic mistake "
        "and run it beside its correct twin.",
    ),
    PageEntry(
        "pages/inside.py", "Inside the network", ":material/hub:", "torchxp",
        "Every neuron, weight and gradient of the lab's model while it learns: units as pictures "
        "over the input plane, gradient flow per layer, confusion matrix and convolution filters.",
    ),
    PageEntry(
        "pages/runs.py", "Runs", ":material/history:", "torchxp",
        "Every run is kept: compare curves, group seeds, download metrics, export a run as a "
        "standalone script.",
    ),
    PageEntry(
        "pages/loss_explorer.py", "Loss Explorer", ":material/functions:", "Lessons",
        "Cross-entropy, BCE, BCE-with-logits and MSE with live plots: formulas beside torch's "
        "own numbers, contracts tried against the installed torch.",
    ),
    PageEntry(
        "pages/lesson_dtypes_layout.py", "Data types & layout", ":material/memory:", "Lessons",
        "float32 vs float64, label dtypes, [B,H,W,C] vs [B,C,H,W] and what a Conv2d makes of "
        "them.",
    ),
    PageEntry(
        "pages/lesson_modes_grads.py", "train/eval & gradients", ":material/tune:", "Lessons",
        "Dropout and BatchNorm in both modes, gradients that pile up without zero_grad(), and "
        "what no_grad saves.",
    ),
    PageEntry(
        "pages/lesson_tensors.py", "Creating tensors", ":material/data_array:", "Lessons",
        "torch.tensor, from_numpy and as_tensor: which copy and which share memory.",
    ),
    PageEntry(
        "pages/autograd.py", "Autograd Inspector", ":material/account_tree:", "Lessons",
        "The computational graph of an expression or of your model, with is_leaf, requires_grad "
        "and grad_fn on every tensor; freeze layers and see what changes.",
    ),
]  # fmt: skip


def navigation(position: str = "sidebar"):
    """``st.navigation`` over PAGES, grouped by section; returns the page to run."""
    sections: dict[str, list] = {}
    for p in PAGES:
        page = st.Page(p.path, title=p.title, icon=p.icon, default=p.path == PAGES[0].path)
        sections.setdefault(p.section, []).append(page)
    return st.navigation(sections, position=position)


def ensure_app() -> None:
    """Every page file calls this first: a page run outside app.py's navigation reruns inside it."""
    if PagesManager.uses_pages_directory:
        navigation(position="hidden")
        st.rerun()
