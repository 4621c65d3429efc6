"""The ranges of the lab's sliders, in one place: the sidebar draws them, links are held to them.

The config's own limits are wider (a script or a test may ask for a million samples); a link
anyone can click is held to what a person could set with the widgets, and the link reader
says what it clamped (torchxp_core.share).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    label: str  # the widget's label, as a warning names it
    low: float
    high: float
    step: float | None = None

    def widget(self) -> dict:
        """The slider's keyword arguments."""
        kw = {"min_value": self.low, "max_value": self.high}
        return kw if self.step is None else {**kw, "step": self.step}

    def clamp(self, value):
        """The value moved into the range, of its own type."""
        return type(value)(min(max(value, self.low), self.high))


WIDGETS: dict[str, Range] = {
    "data.n_samples": Range("Samples", 100, 5000, 100),
    "data.noise": Range("Noise", 0.0, 1.0, 0.05),
    "data.n_classes": Range("Classes", 2, 8),  # a dataset may need more (spiral: 3)
    "data.val_fraction": Range("Validation fraction", 0.1, 0.5, 0.05),
    "model.dropout": Range("Dropout", 0.0, 0.8, 0.05),
    "train.momentum": Range("Momentum", 0.0, 0.99, 0.01),
}


def widget(key: str) -> dict:
    """``min_value``, ``max_value`` (and ``step``) of the slider for setting ``key``."""
    return WIDGETS[key].widget()
