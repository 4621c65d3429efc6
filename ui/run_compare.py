"""The chosen runs on the Runs page: their metrics as CSV or JSON, overlaid step curves with
seed bands, epoch charts, settings side by side and parallel coordinates. The charts refresh
while any of them is still training."""

import streamlit as st

from torchxp_core import compare, export
from torchxp_core.figures import compare as figs
from torchxp_core.history import HistoryStore, HistoryUnavailable, StoredRun
from torchxp_core.runner import ACTIVE
from ui import history_state


def downloads(db: HistoryStore, ids: list[str]) -> None:
    """Every point of the chosen runs, as CSV and as JSON (a failed read is a file saying why)."""
    safe = history_state.file_or_sentence
    down = st.columns(4)
    down[0].download_button(
        "Metrics as CSV",
        safe(lambda: export.to_csv(export.load(db, ids))),
        "torchxp-runs.csv",
        "text/csv",
        icon=":material/download:",
        key="runs.csv",
    )
    down[1].download_button(
        "Metrics as JSON",
        safe(lambda: export.to_json(export.load(db, ids))),
        "torchxp-runs.json",
        "application/json",
        icon=":material/download:",
        key="runs.json",
    )


def charts(db: HistoryStore, chosen: list[StoredRun]) -> None:
    """The chart options, then the charts: every 2 s while a chosen run trains."""
    view = st.columns([1, 2, 1])
    x_axis = view[0].radio("x axis", ["step", "seconds"], horizontal=True, key="runs.x")
    weight = view[1].slider("Smoothing (debiased EMA weight)", 0.0, 0.99, 0.6, 0.01, key="runs.w")
    log_y = view[2].toggle("Log-scale loss", True, key="runs.log")

    @st.fragment(run_every=2.0 if any(r.status in ACTIVE for r in chosen) else None)
    def refreshed() -> None:
        _charts(db, chosen, x_axis, weight, log_y)

    refreshed()


def _charts(
    db: HistoryStore, chosen: list[StoredRun], x_axis: str, weight: float, log_y: bool
) -> None:
    try:
        fresh = [db.get(r.id) or r for r in chosen]  # live runs grow while the page is open
        steps = {r.id: db.steps_checked(r.id) for r in fresh}
        epochs = [db.epochs_checked(r.id) for r in fresh]
    except HistoryUnavailable as exc:
        st.error(str(exc))
        return
    series = {run_id: found for run_id, (found, _) in steps.items()}
    bad = sum(n for _, n in steps.values()) + sum(n for _, n in epochs)
    if bad:
        st.warning(
            f"{bad} damaged stored part{'s' * (bad > 1)} of these runs (chunks of steps "
            f"or epoch records) skipped; the curves show the rest."
        )
    bands = [compare.band(g, series, weight, x_axis) for g in compare.seed_groups(fresh)]
    curves = compare.curves(fresh, series, weight, x_axis)
    overlay = figs.overlay_figure(curves, bands, x_axis, log_y)
    st.plotly_chart(overlay, key="runs.overlay", width="stretch")
    left, right = st.columns(2)
    labels = [c.label for c in curves]
    records = [found for found, _ in epochs]
    val = figs.epoch_overlay_figure(labels, records, "val_loss")
    left.plotly_chart(val, key="runs.val", width="stretch")
    metric = "val_accuracy" if any("val_accuracy" in r.final for r in fresh) else "val_rmse"
    metric_fig = figs.epoch_overlay_figure(labels, records, metric)
    right.plotly_chart(metric_fig, key="runs.metric", width="stretch")
    table, differing = compare.settings_table(fresh)
    st.markdown("**Settings side by side** (rows that differ are highlighted)")
    st.dataframe(
        figs.style_settings(table, differing),
        width="stretch",
        key="runs.settings",
        height=min(35 * len(table) + 38, 600),
    )
    frame = compare.parallel_frame(fresh)
    if len(frame) > 1 and len(frame.columns) > 1:
        st.plotly_chart(figs.parallel_figure(frame), key="runs.parallel", width="stretch")
