"""torchxp: run with `streamlit run app.py`. Sets up the page and the navigation, nothing else."""

import streamlit as st

from ui import navigation, presenter, state


def run() -> None:
    st.set_page_config(
        page_title="torchxp", page_icon=":material/local_fire_department:", layout="wide"
    )
    state.registry()  # the first page of a server starts the workers' forkserver (torch import)
    page = navigation.navigation(presenter.navigation_position())
    presenter.apply()
    page.run()


run()
