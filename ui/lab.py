"""The Training Lab's actions that are not widgets: start, restart, and the twin's settings."""

from dataclasses import replace

import streamlit as st

from torchxp_core.config import RunConfig
from torchxp_core.runner import Run, RunLimitError
from ui.state import registry, tab_id


def without_pitfalls(config: RunConfig) -> RunConfig:
    """The correct twin of a run: the same settings and seed with every mistake switched off."""
    return replace(config, train=replace(config.train, pitfalls=()))


def shown() -> tuple[Run | None, Run | None]:
    """The run this tab shows, and its correct twin if it has one."""
    runs = registry()
    return runs.get(st.session_state.get("lab.run_id", "")), runs.get(
        st.session_state.get("lab.twin_id", "")
    )


def training_here(*runs: Run | None) -> list[Run]:
    """Those of ``runs`` that this tab started and that still train."""
    return [r for r in runs if r is not None and r.active and r.owner == tab_id()]


def start(config: RunConfig, with_twin: bool, one_batch: bool = False) -> None:
    """Stop this tab's runs on screen, then start the new one (and its twin); with
    ``one_batch`` the runs start paused and train one batch (Step before Train).

    One run per tab: a new run replaces the one shown, so none trains out of sight. Why a
    run could not start is left in ``lab.refused`` for the page to say.
    """
    for run in training_here(*shown()):
        run.stop(wait=True)  # frees its slot before the new run asks for one
    configs = [config, without_pitfalls(config)] if with_twin else [config]
    try:
        started = registry().start_many(configs, owner=tab_id())
    except RunLimitError as exc:
        st.session_state["lab.refused"] = str(exc)
        return
    if one_batch:  # held before its first batch, then exactly one: Step from the start
        for run in started:
            run.hold_after_one_batch()
    for run in started:  # a worker starts in ~50 ms: draw the first points, not empty charts
        run.wait_for_first_step(timeout=1.0)
    st.session_state["lab.run_id"] = started[0].id
    st.session_state["lab.twin_id"] = started[1].id if with_twin else ""
