"""Runs: every run this server has trained, kept across restarts; compare, export, reopen."""

import streamlit as st

from torchxp_core import compare, export, retrain_script
from torchxp_core.figures import compare as figs
from torchxp_core.history import HistoryUnavailable, shown_path
from torchxp_core.runner import ACTIVE
from ui import history_state, share, text
from ui.navigation import ensure_app
from ui.state import whose

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

cols = st.columns([1, 1, 1, 1, 1.4])
chosen_filters = {
    name: cols[i].multiselect(
        name.capitalize(),
        compare.filter_options(runs, name),
        key=f"runs.filter.{name}",
    )
    for i, name in enumerate(("dataset", "loss", "optimizer", "status"))
}  # fmt: skip
order = cols[4].selectbox("Sort by", compare.SORTS, key="runs.sort")
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
st.button("Choose all shown", key="runs.all", on_click=st.session_state.__setitem__,
          args=("runs.chosen", [r.id for r in shown]))  # fmt: skip
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

# --- one run: rename, tag, open, delete, script --------------------------------------------
st.subheader("One run")
one = by_id[st.selectbox("Run", picked, format_func=lambda i: f"{by_id[i].name} · {i}",
                         key="runs.one")]  # fmt: skip
recorder = history_state.recorder()
live = recorder.live_runs() if recorder else {}
# '' when this tab started the run; else whose it is, and renaming or deleting asks first.
owner = whose(live[one.id].owner if one.id in live else None)
edit = st.columns([2, 2, 1])
name = edit[0].text_input("Name", one.name, key=f"runs.name.{one.id}", max_chars=120)
tags = edit[1].text_input("Tags (comma-separated)", ", ".join(one.tags), key=f"runs.tags.{one.id}")


def save() -> None:
    try:
        db.rename(one.id, name.strip() or one.name)
        db.set_tags(one.id, tags.split(","))
    except HistoryUnavailable as exc:
        st.error(str(exc))
    else:
        st.rerun()


if edit[2].button("Save", icon=":material/save:", key="runs.save"):
    if owner:
        st.session_state["runs.confirm_save"] = one.id
    else:
        save()
if st.session_state.get("runs.confirm_save") == one.id:
    st.warning(
        f"**{text.plain(one.name)}** ({one.id}) was {owner}. Rename it anyway? Every tab "
        "sees the new name and tags."
    )
    yes, no = st.columns([1, 6])
    if yes.button("Yes, save", type="primary", key="runs.save.yes"):
        st.session_state.pop("runs.confirm_save")
        save()
    if no.button("Cancel", key="runs.save.no"):
        st.session_state.pop("runs.confirm_save")
        st.rerun()
acts = st.columns(4)
OPEN_HELP = "A run on this server opens live; an older one loads its settings into the sidebar."
if acts[0].button("Open in the Lab", icon=":material/open_in_new:", key="runs.open",
                  help=OPEN_HELP):  # fmt: skip
    if one.id in live:
        st.session_state["lab.run_id"] = live[one.id].id
    else:
        share.load_stored(one.settings, one.name)  # checked as a link is; the lab says what not
    st.switch_page("pages/training_lab.py")
safe = history_state.file_or_sentence  # a download that fails is a file saying why
trained = int(one.final.get("epoch", 0) or 0)  # an "until paused" run ends where it stopped
data_of = one.settings.get("data") if isinstance(one.settings, dict) else None
on_csv = isinstance(data_of, dict) and data_of.get("dataset") == "csv"
cannot = retrain_script.export_problem(one.settings)  # a run on a CSV needs its stored file
if cannot:
    acts[1].caption(f"No script for this run: {text.plain(cannot)}")
elif on_csv:  # the script reads the CSV from beside it: both in one zip
    acts[1].download_button(
        "Export script + CSV", lambda: retrain_script.bundle(one.settings, one.name, trained),
        f"{one.id}.zip", "application/zip", icon=":material/code:", key="runs.script",
        help="run.py and the uploaded CSV it reads from beside it; needs only torch, numpy "
        "and scikit-learn, and prints this run's losses.",
    )  # fmt: skip
else:
    acts[1].download_button(
        "Export as script", safe(lambda: retrain_script.script(one.settings, one.name, trained)),
        f"{one.id}.py",
        "text/x-python", icon=":material/code:", key="runs.script",
        help="A standalone file needing only torch and scikit-learn; it prints this run's losses.",
    )  # fmt: skip
if acts[3].button("Delete…", icon=":material/delete:", key="runs.delete",
                  disabled=one.status in ACTIVE):  # fmt: skip
    st.session_state["runs.confirm"] = one.id
if st.session_state.get("runs.confirm") == one.id:
    whose_run = f" It was {owner}." if owner else ""
    st.warning(
        f"Delete **{text.plain(one.name)}** ({one.id}) and all its metrics for good?{whose_run}"
    )
    yes, no = st.columns([1, 6])
    if yes.button("Yes, delete", type="primary", key="runs.delete.yes"):
        st.session_state.pop("runs.confirm")
        try:
            db.delete(one.id)
        except HistoryUnavailable as exc:
            st.error(str(exc))
        else:
            st.rerun()
    if no.button("Cancel", key="runs.delete.no"):
        st.session_state.pop("runs.confirm")
        st.rerun()

# --- the chosen runs: downloads and comparison ---------------------------------------------
st.subheader(f"Compare {len(chosen)} run{'s' * (len(chosen) > 1)}")
ids = [r.id for r in chosen]
down = st.columns(4)
down[0].download_button("Metrics as CSV", safe(lambda: export.to_csv(export.load(db, ids))),
                        "torchxp-runs.csv", "text/csv", icon=":material/download:",
                        key="runs.csv")  # fmt: skip
down[1].download_button("Metrics as JSON", safe(lambda: export.to_json(export.load(db, ids))),
                        "torchxp-runs.json", "application/json", icon=":material/download:",
                        key="runs.json")  # fmt: skip
view = st.columns([1, 2, 1])
x_axis = view[0].radio("x axis", ["step", "seconds"], horizontal=True, key="runs.x")
weight = view[1].slider("Smoothing (debiased EMA weight)", 0.0, 0.99, 0.6, 0.01, key="runs.w")
log_y = view[2].toggle("Log-scale loss", True, key="runs.log")


@st.fragment(run_every=2.0 if any(r.status in ACTIVE for r in chosen) else None)
def charts() -> None:
    try:
        fresh = [db.get(i) or by_id[i] for i in ids]  # live runs grow while the page is open
        steps = {r.id: db.steps_checked(r.id) for r in fresh}
        epochs = [db.epochs_checked(r.id) for r in fresh]
    except HistoryUnavailable as exc:
        st.error(str(exc))
        return
    series = {run_id: found for run_id, (found, _) in steps.items()}
    bad = sum(n for _, n in steps.values()) + sum(n for _, n in epochs)
    if bad:
        st.warning(f"{bad} damaged stored part{'s' * (bad > 1)} of these runs (chunks of steps "
                   f"or epoch records) skipped; the curves show the rest.")  # fmt: skip
    bands = [compare.band(g, series, weight, x_axis) for g in compare.seed_groups(fresh)]
    curves = compare.curves(fresh, series, weight, x_axis)
    st.plotly_chart(figs.overlay_figure(curves, bands, x_axis, log_y), key="runs.overlay",
                    width="stretch")  # fmt: skip
    left, right = st.columns(2)
    labels = [c.label for c in curves]
    records = [found for found, _ in epochs]
    left.plotly_chart(figs.epoch_overlay_figure(labels, records, "val_loss"), key="runs.val",
                      width="stretch")  # fmt: skip
    metric = "val_accuracy" if any("val_accuracy" in r.final for r in fresh) else "val_rmse"
    right.plotly_chart(figs.epoch_overlay_figure(labels, records, metric), key="runs.metric",
                       width="stretch")  # fmt: skip
    table, differing = compare.settings_table(fresh)
    st.markdown("**Settings side by side** (rows that differ are highlighted)")
    st.dataframe(figs.style_settings(table, differing), width="stretch", key="runs.settings",
                 height=min(35 * len(table) + 38, 600))  # fmt: skip
    frame = compare.parallel_frame(fresh)
    if len(frame) > 1 and len(frame.columns) > 1:
        st.plotly_chart(figs.parallel_figure(frame), key="runs.parallel", width="stretch")


charts()
