"""The one look of torchxp's charts: title, size, margins, legend, template.

Every figure module builds its layout here: ``layout`` for figures drawn once (validated by
plotly), ``look`` for the live ones that skip plotly's validation (a plain dict). A family's
differences from the shared look are named below (``LESSONS``, ``LOSSES``, ``LIVE``,
``INSPECTOR``) and passed as ``family``; a figure's own keywords win over both. Presenter
mode resizes the text afterwards (``ui.presenter.style_chart``).
"""

import copy

import plotly.graph_objects as go

# Plotly's templates send ~8 KB with every chart; with an empty one, Streamlit's theme
# styles the chart in the browser.
TEMPLATE: dict = {}
TITLE_PX = 18
MARGIN = {"l": 50, "r": 20, "t": 48, "b": 40}

# The lessons' charts: a plain title and the legend under the plot.
LESSONS = {
    "plain_title": True,
    "margin": {"l": 50, "r": 20, "t": 50, "b": 40},
    "legend": {"orientation": "h", "y": -0.2},
}
# The Loss Explorer's charts: larger text for formulas read off a projector, and plotly's
# white template, whose plain annotation arrows and outline-free colour bars they were drawn
# with.
LOSSES = {
    "template": "plotly_white",
    "title_px": 20,
    "font": {"size": 16},
    "margin": {"l": 70, "r": 24, "t": 90, "b": 60},
    "legend": {"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"},
}
# The Training Lab's live charts: the title on the first line, the legend on its own line
# under it, never on top.
LIVE = {
    "title_place": {"y": 0.99, "yref": "container", "yanchor": "top"},
    "margin": {"l": 50, "r": 20, "t": 64, "b": 40},
}
# The Autograd Inspector's charts: 14 px text, readable in half-width columns.
INSPECTOR = {"font": {"size": 14}}


def title(text: str, size: int = TITLE_PX, **place) -> dict:
    """A chart title at the top left; ``place`` moves it (y, yref, yanchor)."""
    return {"text": text, "x": 0.01, "font": {"size": size}, **place}


def legend(below: bool = False) -> dict:
    """A horizontal legend: top right, or under the plot where it cannot cover the title."""
    if below:
        return {"orientation": "h", "y": -0.3, "x": 0.5, "xanchor": "center", "yanchor": "top"}
    return {"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"}


def look(
    title_text: str,
    height: int = 320,
    revision: str | None = None,
    legend_below: bool = False,
    family: dict | None = None,
    **extra,
) -> dict:
    """The shared layout as a dict; ``uirevision`` keeps zoom when the figure is redrawn.

    ``family`` (``LESSONS``, ``LOSSES``, ...) and then ``extra`` win over the defaults; three
    keys of a family are not plotly's: ``title_px`` (the title's size), ``title_place`` (its
    position) and ``plain_title`` (the title as text only, placed and sized by Streamlit's
    theme).
    """
    own = dict(family or {})
    title_px = extra.pop("title_px", own.pop("title_px", TITLE_PX))
    place = extra.pop("title_place", own.pop("title_place", {}))
    plain = extra.pop("plain_title", own.pop("plain_title", False))
    settings = {
        "title": title_text if plain else title(title_text, title_px, **place),
        "height": height,
        "margin": MARGIN,
        "uirevision": revision,
        "legend": legend(legend_below),
        "template": TEMPLATE,
    }
    # Copied: plotly may write into a layout's dicts, and these are shared by every chart.
    return copy.deepcopy(settings | own) | extra


def layout(
    fig: go.Figure,
    title: str,
    revision: str | None = None,
    height: int = 320,
    legend_below: bool = False,
    family: dict | None = None,
    **extra,
) -> go.Figure:
    """``look`` applied to a figure plotly validates."""
    settings = look(title, height, revision, legend_below, family, **extra)
    # An update merges a dict into plotly's default template; None drops it, sending TEMPLATE.
    fig.update_layout(**settings | {"template": settings["template"] or None})
    return fig
