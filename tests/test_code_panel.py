"""The code panel: every pitfall switch marks at least one line of the loop it shows."""

import inspect

import pytest

from torchxp_core import training
from torchxp_core.config import PITFALLS
from ui.code_panel import pitfall_lines

SHOWN = "\n".join(
    inspect.getsource(f) for f in (training.prepare, training.fit, training.run_phase)
)


@pytest.mark.parametrize("pitfall", sorted(PITFALLS))
def test_every_pitfall_marks_a_line_of_the_loop_on_the_page(pitfall):
    assert pitfall_lines(SHOWN, (pitfall,)), f"{pitfall} marks no line the panel shows"
