"""Training Lab: pick data, model, loss and optimizer, press Train, watch PyTorch learn."""

import streamlit as st

from torchxp_core.runner import RunLimitError
from ui import code_panel, history_state, lab, live, presenter, settings, share
from ui.navigation import ensure_app
from ui.state import registry, tab_id

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("Training Lab")
st.caption(
    "A real PyTorch loop runs in a worker process of its own while this page redraws. "
    "Change anything in the sidebar, press **Train**, and watch the loss fall and the "
    "decision surface bend."
)

history_state.ensure_recording()  # every run is saved to the Runs page as it trains
history_state.say_if_not_saving()  # ...or one sentence says why not
share.load_from_url()  # a shared link's settings, once per tab
# Presenter mode hides the sidebar: its settings are used as they stand, not redrawn hidden.
config, problem = settings.from_state() if presenter.is_on() else settings.sidebar()
share.show_problems()
if problem:
    st.error(problem)
share.write_to_url(config)

runs = registry()
mine = runs.runs(owner=tab_id())
run = runs.get(st.session_state.get("lab.run_id", ""))
twin = runs.get(st.session_state.get("lab.twin_id", ""))

buttons = st.columns([1, 4])
with_twin = bool(config and config.train.pitfalls) and st.toggle(
    "Also run the correct twin (same seed and data, no mistake) and overlay the curves",
    value=True, key="lab.with_twin",
)  # fmt: skip
# One run per tab: while this tab's run trains, the button restarts it instead of hiding it.
training = [r for r in (run, twin) if r is not None and r.active and r.owner == tab_id()]
if buttons[0].button(
    "Restart" if training else "Train", type="primary", disabled=config is None,
    icon=":material/restart_alt:" if training else ":material/play_arrow:",
    help="Stop the run shown and start a new one with the settings in the sidebar."
    if training else "Start a new run with the settings in the sidebar.",
):  # fmt: skip
    for r in training:
        r.stop(wait=True)  # frees its slot before the new run asks for one
    try:
        configs = [config, lab.without_pitfalls(config)] if with_twin else [config]
        started = runs.start_many(configs, owner=tab_id())
        for r in started:  # a worker starts in ~50 ms: draw the first points, not empty charts
            r.wait_for_first_step(timeout=1.0)
        run, twin = started[0], started[1] if with_twin else None
        st.session_state["lab.run_id"] = run.id
        st.session_state["lab.twin_id"] = twin.id if twin else ""
    except RunLimitError as exc:
        st.error(str(exc))
ids = [r.id for r in reversed(mine)]
if run is not None and run.id not in ids:
    ids.insert(0, run.id)  # opened from the Runs page, started in another tab
if len(ids) > 1:
    chosen = buttons[1].selectbox(
        "Run shown", ids, index=ids.index(run.id) if run is not None else 0,
        label_visibility="collapsed",
    )  # fmt: skip
    if run is None or chosen != run.id:
        st.session_state["lab.run_id"], st.session_state["lab.twin_id"] = chosen, ""
        run, twin = runs.get(chosen), None

if run is None:
    st.info("Press **Train** to start a run with the settings in the sidebar.")
else:
    view = st.columns([3, 1, 1])
    smoothing = view[0].slider(
        "Smoothing (debiased EMA weight)", 0.0, 0.99, 0.6, 0.01, key="lab.smoothing"
    )
    log_y = view[1].toggle("Log-scale loss", key="lab.log_y")
    live.live_view(run, smoothing, log_y, twin)

code_panel.show(config.train.pitfalls if config else ())
