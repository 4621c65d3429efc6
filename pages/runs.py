"""Runs: every run this server has trained, kept across restarts; compare, export, reopen."""

import streamlit as st

from torchxp_core import compare
from torchxp_core.history import HistoryUnavailable, shown_path
from ui import history_state, run_compare, run_edit
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("Runs")
st.caption(
    "Every run is saved as it trains (settings, status, every step's loss), so it is still "
    "here after a restart. Pick runs to compare their curves, download their metrics, or take "
    "one home as a standalone PyTorch script."
)

history_state.ensure_recording()
db = history_state.store()
if db is None or history_state.problem():
    st.warning(history_state.problem())
if db is None:
    st.stop()

try:
    runs, damaged = db.scan()
except HistoryUnavailable as exc:  # a read error is a sentence; the other pages go on
    st.error(str(exc))
    st.stop()
where = shown_path(db.path)
st.caption(f"Saved in `{where}` (move it with the TORCHXP_DATA_DIR environment variable).")
if damaged:
    rows = "their rows" if damaged > 1 else "its row"
    st.warning(
        f"{damaged} damaged run{'s' * (damaged > 1)} skipped: {rows} in the history file "
        f"could not be read."
    )
if not runs:
    st.info("No runs saved yet: train one in the Training Lab and it appears here.")
    st.page_link(
        "pages/training_lab.py", label="Open the Training Lab", icon=":material/model_training:"
    )
    st.stop()

# Four filters to a row: a fifth column left a chosen value's chip too narrow to read.
cols = st.columns(4)
chosen_filters = {
    name: cols[i].multiselect(
        name.capitalize(), compare.filter_options(runs, name), key=f"runs.filter.{name}"
    )
    for i, name in enumerate(("dataset", "loss", "optimizer", "status"))
}
order = st.columns([1, 3])[0].selectbox("Sort by", compare.SORTS, key="runs.sort")
shown = compare.sort_runs(compare.filter_runs(runs, chosen_filters), order)
st.dataframe(
    compare.runs_frame(shown),
    hide_index=True,
    width="stretch",
    key="runs.table",
    column_config={
        "val loss": st.column_config.NumberColumn(format="%.4f"),
        "val accuracy": st.column_config.NumberColumn(format="percent"),
        "started": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        "seconds": st.column_config.NumberColumn("duration (s)", format="%.1f"),
    },
)
st.caption(f"{len(shown)} of {len(runs)} runs shown.")

by_id = {r.id: r for r in runs}
if st.button("Choose all shown", key="runs.all"):
    st.session_state["runs.chosen"] = [r.id for r in shown]
picked = st.multiselect(
    "Runs to compare and export",
    [r.id for r in shown] + [r.id for r in runs if r not in shown],  # filters keep the choice
    default=[r.id for r in shown[:2]],
    format_func=lambda i: f"{by_id[i].name} · {by_id[i].setting('data.dataset')} · {i}",
    key="runs.chosen",
)
chosen = [by_id[i] for i in picked if i in by_id]
if not chosen:
    st.info("Choose one or more runs above to compare, export, rename or reopen them.")
    st.stop()

st.subheader("One run")
one = st.selectbox("Run", picked, format_func=lambda i: f"{by_id[i].name} · {i}", key="runs.one")
run_edit.show(db, by_id[one])

st.subheader(f"Compare {len(chosen)} run{'s' * (len(chosen) > 1)}")
run_compare.downloads(db, [r.id for r in chosen])
run_compare.charts(db, chosen)
