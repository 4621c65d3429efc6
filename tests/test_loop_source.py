"""loop_source: loop.py's switches resolved for a run's pitfalls, and Step's stage lines in it."""

import ast
import itertools

import pytest

from torchxp_core import loop_source, step_trace
from torchxp_core.config import PITFALLS, RunConfig, TrainConfig


@pytest.mark.parametrize("pair", list(itertools.combinations(sorted(PITFALLS), 2)))
def test_any_two_pitfalls_render_valid_python_without_a_switch_left(pair):
    for name in ("to_tensors", "train_epoch", "evaluate"):
        listing = loop_source.function(name, frozenset(pair))
        ast.parse(listing.text)  # the exported script runs this text
        assert "mistake" not in listing.text and "nullcontext" not in listing.text
        assert set(listing.marks.values()) <= set(pair)


def test_a_switch_on_shows_its_mistake_and_off_its_correct_line():
    on = loop_source.function("evaluate", frozenset({"grad_in_val"})).text
    off = loop_source.function("evaluate", frozenset()).text
    assert "torch.no_grad()" not in on.replace("no torch.no_grad()", "")
    assert "with torch.no_grad():" in off and "PITFALL" not in off


def test_a_switch_on_anything_but_mistake_is_refused():
    source = "def f(x, mistake):\n    if mistake('a'):\n        x = 1\n    elif x:\n        x = 2\n"
    with pytest.raises(ValueError, match="only mistake"):
        loop_source.render(source, frozenset())


@pytest.mark.parametrize("pitfalls", [(), ("forget_zero_grad",), ("softmax_before_ce",)])
def test_steps_stages_name_the_lines_the_panel_numbers(pitfalls):
    listing = loop_source.for_run(RunConfig(train=TrainConfig(pitfalls=pitfalls)))
    lines = step_trace.stage_lines(listing)
    assert list(lines) == ["zero_grad", "forward", "loss", "backward", "step"]
    for stage, (number, text) in lines.items():
        assert listing.lines[number - 1].strip() == text
        assert step_trace.STAGE_CALLS[stage] in text
    numbers = [n for n, _ in lines.values()]
    assert numbers == sorted(numbers)  # the pipeline's order
    if pitfalls == ("forget_zero_grad",):
        assert listing.marks[lines["zero_grad"][0]] == "forget_zero_grad"
