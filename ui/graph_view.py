"""An autograd graph drawn with graphviz, at its own size or shrunk to the page."""

import streamlit as st

from torchxp_core import graph, graph_render


def draw(g: graph.Graph) -> None:
    # Small graphs at their own size (16 pt text); big ones shrink to fit the page.
    big = len(g.tensors) + len(g.ops) > 14
    st.graphviz_chart(graph_render.to_dot(g), width="stretch" if big else "content")
