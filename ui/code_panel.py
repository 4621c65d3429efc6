"""Show the loop's real source, with the lines each active pitfall switch changes."""

import inspect

import streamlit as st

from torchxp_core import retrain_script, training
from torchxp_core.config import PITFALLS, RunConfig


def pitfall_lines(source: str, pitfalls: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line number, line) of every line marked '# PITFALL <name>' for an active pitfall."""
    marks = tuple(f"# PITFALL {name}" for name in pitfalls)
    return [
        (number, line.strip())
        for number, line in enumerate(source.splitlines(), start=1)
        if marks and any(mark in line for mark in marks)
    ]


def show(config: RunConfig | None) -> None:
    """The source of ``prepare``, ``fit`` and ``run_phase``, and the lines ``config``'s
    mistakes change (the config of the run on screen, else the settings Train would use)."""
    pitfalls = config.train.pitfalls if config else ()
    with st.expander("The loop that is running (real source of torchxp_core/training.py)"):
        if config is not None:  # the call prepare() makes, as the exported script writes it
            st.code(f"optimizer = {retrain_script.optimizer_call(config)}", language="python")
        for func in (training.prepare, training.fit, training.run_phase):
            source = inspect.getsource(func)
            st.code(source, language="python", line_numbers=True)
            for number, line in pitfall_lines(source, pitfalls):
                name = line.split("# PITFALL ")[1].split(":")[0].split()[0]
                st.warning(f"Line {number} changes with **{PITFALLS[name]}**: `{line}`")
