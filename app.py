"""torchxp: run with `streamlit run app.py`. Sets up the page and the navigation, nothing else."""

import streamlit as st

from ui import presenter

# Each page is listed by path. The folder is views/, not pages/: on a fresh server Streamlit
# serves a deep link into a pages/ folder as a bare script, skipping this file's navigation
# and layout (it only learns that st.navigation is used once this script has run).
PAGES = {
    "torchxp": [
        st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("views/training_lab.py", title="Training Lab", icon=":material/model_training:"),
        st.Page("views/runs.py", title="Runs", icon=":material/history:"),
    ],
    "Lessons": [
        st.Page("views/loss_explorer.py", title="Loss Explorer", icon=":material/functions:"),
        st.Page(
            "views/lesson_dtypes_layout.py", title="Data types & layout", icon=":material/memory:"
        ),
        st.Page(
            "views/lesson_modes_grads.py", title="train/eval & gradients", icon=":material/tune:"
        ),
        st.Page("views/lesson_tensors.py", title="Creating tensors", icon=":material/data_array:"),
        st.Page("views/autograd.py", title="Autograd Inspector", icon=":material/account_tree:"),
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
