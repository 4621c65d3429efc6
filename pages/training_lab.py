"""Training Lab: pick data, model, loss and optimizer, press Train, watch PyTorch learn."""

import streamlit as st

from torchxp_core import diff, pitfalls
from ui import code_panel, history_state, lab, live, presenter, settings, share
from ui.navigation import ensure_app
from ui.state import registry, tab_id

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

ABOUT = (
    "A real PyTorch loop runs in a worker process of its own while this page redraws. Change "
    "the settings, press Train, and watch the loss fall and the decision surface bend."
)
head = st.columns([3, 1.1, 0.9, 1.5, 1.2], vertical_alignment="bottom")
head[0].title("Training Lab", help=ABOUT)

history_state.ensure_recording()  # every run is saved to the Runs page as it trains
history_state.say_if_not_saving()  # ...or one sentence says why not
share.load_from_url()  # a shared link's settings, once per tab
# Presenter mode hides the sidebar: the settings a presenter changes live sit above the charts.
config, problem = settings.presenter_bar() if presenter.is_on() else settings.sidebar()
share.show_problems()
if problem:
    st.error(problem)
share.write_to_url(config)

with head[4].popover("Options", icon=":material/tune:", width="stretch"):
    with_twin = st.toggle(
        "Run the correct twin beside a mistake",
        value=True,
        key="lab.with_twin",
        help="Same seed and data, no mistake: the gap between the curves is the mistake alone.",
    )
    auto_restart = st.toggle(
        "Restart on change",
        key="lab.auto_restart",
        help="Like TensorFlow Playground: a changed setting restarts the run shown.",
    )
    smoothing = st.slider("Smoothing (debiased EMA)", 0.0, 0.99, 0.6, 0.01, key="lab.smoothing")
    log_y = st.toggle("Log-scale loss", key="lab.log_y")
    st.segmented_control(
        "Chart height",
        list(presenter.TOP_ROW_PX),
        key="lab.screen",
        default="fit 720p",
        help="The first row of charts fits this screen.",
    )
with_twin = with_twin and bool(config and config.train.pitfalls)

for quiet in pitfalls.silent(config) if config is not None else ():  # no silent switch
    note, fix = st.columns([5, 1], vertical_alignment="center")
    note.warning(quiet.why)
    if quiet.fix:
        fix.button(
            quiet.fix_label,
            key=f"lab.fix.{quiet.pitfall}",
            width="stretch",
            on_click=settings.put_all,
            args=(quiet.fix,),
        )

run, twin = lab.shown()
# Only for this tab's runs: a run watched from another tab was never meant to follow them.
mine = run is not None and config is not None and run.owner == tab_id()
changed = diff.changes(run.cfg, config) if mine else []
# The click is read before the button is drawn, so the button shows the state after it.
clicked = st.session_state.get("lab.train") and config is not None
stepped = st.session_state.get("lab.step_new") and config is not None
if clicked or stepped or (changed and auto_restart and run.owner == tab_id()):  # Playground's
    lab.start(config, with_twin, one_batch=bool(stepped))
    run, twin = lab.shown()
    changed = []
training = lab.training_here(run, twin)
if not training:  # the seed's pipeline one batch at a time, from the very first batch
    head[2].button(
        "Step",
        icon=":material/skip_next:",
        key="lab.step_new",
        disabled=config is None,
        help="Start a run paused and train exactly one batch, then show each of its stages.",
    )
head[1].button(
    "Restart" if training else "Train",
    type="primary",
    disabled=config is None,
    icon=":material/restart_alt:" if training else ":material/play_arrow:",
    width="stretch",
    help="Stop the run shown and start a new one with these settings."
    if training
    else "Start a new run with these settings.",
    key="lab.train",
)
if refused := st.session_state.pop("lab.refused", ""):
    st.error(refused)

ids = [r.id for r in reversed(registry().runs(owner=tab_id()))]
if run is not None and run.id not in ids:
    ids.insert(0, run.id)  # opened from the Runs page, started in another tab
if len(ids) > 1 or (ids and run is None):
    chosen = head[3].selectbox(
        "Run shown",
        ids,
        index=ids.index(run.id) if run else None,
        placeholder="Untrained model: pick a run",
    )
    if chosen is not None and (run is None or chosen != run.id):
        st.session_state["lab.run_id"], st.session_state["lab.twin_id"] = chosen, ""
        run, twin = registry().get(chosen), None
        mine = run is not None and config is not None and run.owner == tab_id()
        changed = diff.changes(run.cfg, config) if mine else []

if run is None:
    if config is not None:
        live.idle_view(config)
else:
    if changed:
        note, again = st.columns([5, 1], vertical_alignment="center")
        shown = ", ".join(changed[:3]) + (
            f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        )
        note.warning(f"The charts show {run.id}; the settings have changed since: {shown}.")
        if again.button("Restart with these", icon=":material/restart_alt:", width="stretch"):
            lab.start(config, with_twin)
            st.rerun()  # rare: redraw the page for the new run
    live.live_view(run, smoothing, log_y, twin)

code_panel.show(run.cfg if run is not None else config)  # the loop on screen
