"""A live figure whose traces go out as the plain dicts they were built as.

A figure redrawn every tick pays plotly.py twice for each trace: once to build it as a
Python object (``go.Scatter(...)``, even unvalidated), once to deep-copy it back into a dict
on the way out (``to_dict``, which st.plotly_chart calls). For the Inside page's charts,
17-layer gradient-flow lines and a network of 10 columns, that was ~10 of a tick's ~12 ms.
``Prepared`` keeps the trace dicts (their arrays already encoded) and hands them to
``to_dict`` as they are; the layout stays a real plotly layout, so presenter mode restyles it
as any other figure. Traces are built as plotly objects only when ``.data`` is read.
"""

import plotly.graph_objects as go


class Prepared(go.Figure):
    """A plotly Figure of ready trace dicts: never mutated after it is built."""

    def __init__(self, traces: list[dict], layout: dict):
        super().__init__(layout=layout, _validate=False)
        self._traces = traces

    @property
    def data(self) -> tuple:
        """The traces as plotly objects, built on each read (for tests and inspection)."""
        return go.Figure(data=self._traces, _validate=False).data

    def to_dict(self) -> dict:
        out = super().to_dict()  # the layout, copied
        # Not copied: the dicts are built for this figure alone, and nothing changes them.
        out["data"] = self._traces
        return out
