"""The live view of a run: two fragments that redraw on a timer only while the run trains.

The controls and status lines are one fragment, the charts another. A click on Pause, Step or
Stop then reruns only the small fragment it sits in: the new status shows at once, however
long the browser takes to redraw the charts (a decision surface costs ~0.25 s a tick in a
GPU-less Chromium). The buttons keep their keys across ticks, so no click is lost.
"""

import streamlit as st

from torchxp_core import config as cfgmod
from torchxp_core import params
from torchxp_core.figures import autograd as autograd_figs
from torchxp_core.figures import training as figs
from torchxp_core.losses import CLASSIFICATION
from torchxp_core.runner import Run, Status
from torchxp_core.smoothing import LiveCurve

# How often the status line and the charts refresh while a run trains. Each chart tick costs
# a GPU-less Chromium ~0.3-0.5 s of redraw, and a click waits behind it: with charts every
# second a Pause took 1.4-3.2 s to show, with a cheap fragment ticking instead 0.4 s.
STATUS_TICK_S = 1.0
CHART_TICK_S = 2.0
STATUS_COLORS = {
    Status.PENDING: "gray",
    Status.RUNNING: "blue",
    Status.PAUSED: "orange",
    Status.STOPPED: "gray",
    Status.FINISHED: "green",
    Status.FAILED: "red",
    Status.DIVERGED: "red",
}


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def status_line(run: Run) -> None:
    p = run.progress()
    color = STATUS_COLORS[run.status]
    st.markdown(
        f"**{run.id}** :{color}-badge[{run.status.value}] &nbsp; {p['samples_per_s']:,.0f} "
        f"samples/s · {_duration(p['elapsed_s'])} elapsed"
    )
    text = f"epoch {p['epoch']}/{p['epochs']} · step {p['step']:,}/{p['total_steps']:,}"
    if run.active and p["eta_s"]:
        text += f" · about {_duration(p['eta_s'])} left"
    st.progress(p["fraction"], text=text)
    if run.error:
        st.error(run.error)


METRICS = {"train_loss": "train loss", "val_loss": "val loss", "val_accuracy": "val accuracy",
           "val_rmse": "val RMSE"}  # fmt: skip


def metrics_row(run: Run) -> None:
    """The last epoch's numbers, with the change since the epoch before."""
    records = run.log.latest_epochs(2)
    last = records[-1] if records else {}
    prev = records[-2] if len(records) > 1 else {}
    shown = [key for key in METRICS if key in last]
    for col, key in zip(st.columns(4), shown, strict=False):
        delta = last[key] - prev[key] if key in prev else None
        col.metric(
            METRICS[key],
            f"{last[key]:.4g}",
            None if delta is None else f"{delta:+.3g}",
            delta_color="normal" if key == "val_accuracy" else "inverse",  # up is good only here
        )


def _curve(run: Run, smoothing: float) -> LiveCurve:
    """This tab's smoothed view of the run's step losses, extended with the new steps only."""
    curves = st.session_state.setdefault("live.curves", {})
    curve = curves.get(run.id)
    if curve is None or curve.weight != smoothing:
        curve = curves[run.id] = LiveCurve(smoothing, figs.MAX_POINTS)
    curve.extend(run.log.steps(start=len(curve)).loss)
    return curve


def charts(run: Run, smoothing: float, log_y: bool) -> None:
    columns = run.log.epoch_columns()
    left, right = st.columns([1, 1])
    with left:
        fig = figs.step_loss_figure(_curve(run, smoothing), log_y=log_y)
        st.plotly_chart(fig, key="chart-steps", width="stretch")
        fig = figs.epoch_figure(columns, "loss", "Loss per epoch")
        st.plotly_chart(fig, key="chart-epoch-loss", width="stretch")
    with right:
        if run.grid is not None and run.data is not None:
            snap, axes = run.log.latest_snapshot(), run.grid.axes
            build = figs.curve_figure if len(axes) == 1 else figs.surface_figure
            st.plotly_chart(build(snap, axes, run.data), key="chart-surface",
                            width="stretch")  # fmt: skip
        metric = "accuracy" if run.cfg.loss.task == CLASSIFICATION else "rmse"
        title = "Accuracy per epoch" if metric == "accuracy" else "RMSE per epoch"
        st.plotly_chart(figs.epoch_figure(columns, metric, title), key="chart-epoch-metric",
                        width="stretch")  # fmt: skip


def frozen_change(run: Run) -> None:
    """With frozen layers, show that their weights really did not move (lesson #10)."""
    frozen = run.cfg.model.frozen
    history = run.log.param_history()
    if not frozen or len(history) < 2:
        return
    change = params.weight_change(history, frozen)
    st.plotly_chart(autograd_figs.change_figure(change), key="chart-frozen", width="stretch")
    still = change[change["frozen"]]["max |Δw|"]
    st.caption(
        f"Frozen layers {', '.join(frozen)}: largest change of any weight since the start = "
        f"{still.max():g} (exactly 0 means untouched). More on the Autograd Inspector page."
    )


def twin_charts(mistake: Run, twin: Run, smoothing: float) -> None:
    """The mistaken run against its correct twin: same seed and data, so the gap is the mistake."""
    st.subheader("With the mistake vs. the correct twin")
    pitfalls = ", ".join(cfgmod.PITFALLS[p] for p in mistake.cfg.train.pitfalls)
    st.caption(f"{mistake.id}: {pitfalls} · {twin.id}: the same run done right")
    a, b = mistake.log.epoch_columns(), twin.log.epoch_columns()
    metric = "val_accuracy" if mistake.cfg.loss.task == CLASSIFICATION else "val_rmse"
    left, middle, right = st.columns(3)
    fig = figs.twin_step_figure(_curve(mistake, smoothing), _curve(twin, smoothing))
    left.plotly_chart(fig, key="chart-twin-steps", width="stretch")
    fig = figs.twin_epoch_figure(a, b, "val_loss", "Validation loss per epoch")
    middle.plotly_chart(fig, key="chart-twin-val", width="stretch")
    fig = figs.twin_epoch_figure(a, b, metric, metric.replace("_", " ") + " per epoch")
    right.plotly_chart(fig, key="chart-twin-metric", width="stretch")


def _ended_rerun(runs: list[Run]) -> None:
    """The runs just ended: one full rerun turns both timers off and the Train button on."""
    if not any(r.active for r in runs) and st.session_state.get("live.polling"):
        st.session_state["live.polling"] = False
        st.rerun()


# The run controls: what each does to every run shown (a run and its twin), and its icon.
CONTROLS = {"Pause": Run.pause, "Resume": Run.resume, "Step": Run.step_once, "Stop": Run.stop}
ICONS = {"Pause": "pause", "Resume": "resume", "Step": "skip_next", "Stop": "stop"}


def _apply_control(runs: list[Run]) -> None:
    choice = st.session_state.get("lab.control")
    if choice in CONTROLS:
        for run in runs:
            CONTROLS[choice](run)
    st.session_state["lab.control"] = None  # ready for the next click, the same one too


def _controls(runs: list[Run]) -> None:
    """Pause/Resume, Step and Stop as one control with a value, not buttons.

    A button's click is a one-shot trigger, and Streamlit drops it when its rerun request
    merges with a timer's (seen: a Stop click lost while the charts ticked). A selected value
    travels with every later request too, so the click cannot be lost.
    """
    if not any(r.active for r in runs):
        return
    paused = any(r.status == Status.PAUSED for r in runs)
    st.segmented_control(
        "Run", ["Resume", "Step", "Stop"] if paused else ["Pause", "Stop"], key="lab.control",
        format_func=lambda name: f":material/{ICONS[name]}: {name}",
        on_change=_apply_control, args=(runs,), label_visibility="collapsed",
        help="Step: train exactly one more batch of the paused run, then stay paused.",
    )  # fmt: skip


def live_view(run: Run, smoothing: float, log_y: bool, twin: Run | None = None) -> None:
    """Draw the run (and its twin); while either trains, redraw the status every second."""
    runs = [run] if twin is None else [run, twin]
    active = any(r.active for r in runs)
    st.session_state["live.polling"] = active

    def controls():
        _controls(runs)
        for r in runs:
            status_line(r)
        _ended_rerun(runs)

    def body():
        if twin is not None:
            twin_charts(run, twin, smoothing)
        metrics_row(run)
        charts(run, smoothing, log_y)
        frozen_change(run)
        _ended_rerun(runs)

    st.fragment(run_every=STATUS_TICK_S if active else None)(controls)()
    st.fragment(run_every=CHART_TICK_S if active else None)(body)()
