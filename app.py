"""torchxp: run with `streamlit run app.py`. Sets up the page and the navigation, nothing else."""

import streamlit as st

from ui import presenter

# Each page is listed by path: st.navigation turns off discovery of pages/, so nothing
# appears in the menu by accident. Sections group pages the way the team's note does.
PAGES = {
    "torchxp": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/training_lab.py", title="Training Lab", icon=":material/model_training:"),
        st.Page("pages/runs.py", title="Runs", icon=":material/history:"),
    ],
    "Lessons": [
        st.Page("pages/loss_explorer.py", title="Loss Explorer", icon=":material/functions:"),
        st.Page(
            "pages/lesson_dtypes_layout.py", title="Data types & layout", icon=":material/memory:"
        ),
        st.Page(
            "pages/lesson_modes_grads.py", title="train/eval & gradients", icon=":material/tune:"
        ),
        st.Page("pages/lesson_tensors.py", title="Creating tensors", icon=":material/data_array:"),
        st.Page("pages/autograd.py", title="Autograd Inspector", icon=":material/account_tree:"),
    ],
}


def run() -> None:
    st.set_page_config(
        page_title="torchxp", page_icon=":material/local_fire_department:", layout="wide"
    )
    page = st.navigation({section: pages for section, pages in PAGES.items() if pages})
    presenter.apply()
    page.run()


run()
