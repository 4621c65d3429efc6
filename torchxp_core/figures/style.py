"""The look shared by torchxp's charts that are drawn once (not on every live tick)."""

import plotly.graph_objects as go


def legend(below: bool = False) -> dict:
    """A horizontal legend: top right, or under the plot where it cannot cover the title."""
    if below:
        return {"orientation": "h", "y": -0.3, "x": 0.5, "xanchor": "center", "yanchor": "top"}
    return {"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"}


def layout(
    fig: go.Figure,
    title: str,
    revision: str,
    height: int = 320,
    legend_below: bool = False,
    **extra,
) -> go.Figure:
    """Title, size, margins and legend; ``uirevision`` keeps zoom when the figure is redrawn."""
    settings = {
        "title": {"text": title, "x": 0.01, "font": {"size": 18}},
        "height": height,
        "margin": {"l": 50, "r": 20, "t": 48, "b": 40},
        "uirevision": revision,
        "legend": legend(legend_below),
        "template": None,  # Streamlit's theme styles the chart; a template only adds bytes
    }
    fig.update_layout(**(settings | extra))  # a caller's value wins over the default
    return fig
