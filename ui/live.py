"""The lab's run view: a control bar, the status, and the charts, redrawn while a run trains.

The controls and status lines are one fragment, the charts another, each ticking at its own
pace. A click on Pause, Step or Stop reruns only the small fragment it sits in: the new status
shows at once, however long the browser takes to redraw the charts. The first chart row (step
loss and the model's picture) is what a projector must show without scrolling; everything
else sits below it.
"""

import streamlit as st

from torchxp_core import config as cfgmod
from torchxp_core import outcome, params, pitfalls, preview
from torchxp_core.config import RunConfig
from torchxp_core.figures import autograd as autograd_figs
from torchxp_core.figures import training as figs
from torchxp_core.losses import CLASSIFICATION
from torchxp_core.runner import Run, Status
from torchxp_core.smoothing import LiveCurve
from ui import presenter, run_notes, step_view, text
from ui.state import registry, whose

# How often the status line and the charts refresh while a run trains. Each chart tick costs
# a GPU-less Chromium ~0.3-0.5 s of redraw, and a click waits behind it: with charts every
# second a Pause took 1.4-3.2 s to show, with a cheap fragment ticking instead 0.4 s.
STATUS_TICK_S = 1.0
CHART_TICK_S = 2.0
AXIS_TEXT_PX = 12  # Streamlit's chart theme's tick and axis title size outside presenter mode
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
    """'0.3 s' (a short run said "0 s"), '12 s', '2 min 05 s'."""
    if seconds < 9.95:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _chart(fig, key: str, height: int | None = None) -> None:
    if height is not None:
        fig.update_layout(height=height)
    presenter.style_chart(fig)
    _fixed_margins(fig)
    st.plotly_chart(fig, key=key, width="stretch")


def _fixed_margins(fig) -> None:
    """Margins that fit the axis text, set here instead of measured by plotly's automargin.

    Streamlit's chart theme turns automargin on: plotly then measures the labels and lays
    the chart out again. A live chart is drawn afresh on every tick (its spec changed, so
    Streamlit mounts a new one), and that second layout was ~28 % of a watching tab's
    browser CPU (0.34 -> 0.25 of a core, default run, 1280x720). Without automargin an axis
    title stays inside the margin, so the bottom one holds tick labels and the title.
    """
    text = presenter.FONT_PX if presenter.is_on() else AXIS_TEXT_PX
    titled = bool(fig.layout.xaxis.title.text)
    bottom = 2 * text + 28 if titled else text + 18
    if fig.layout.xaxis.visible is False:  # the images view: no ticks, no title
        bottom = 0
    fig.update_layout(margin={"b": max(fig.layout.margin.b or 0, bottom)})
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)


def _verdict(run: Run) -> str:
    """Why a finished run is not a success, or ''."""
    records = run.log.latest_epochs(1)
    if run.status != Status.FINISHED or not records or run.data is None:
        return ""
    return outcome.learned_nothing(run.cfg.loss.task, run.data, records[-1])


def _progress_text(p: dict, active: bool) -> str:
    if p["total_steps"] is None:
        text = f"epoch {p['epoch']} (until paused) · step {p['step']:,}"
    else:
        text = f"epoch {p['epoch']}/{p['epochs']} · step {p['step']:,}/{p['total_steps']:,}"
    if active and p["eta_s"]:
        text += f" · about {_duration(p['eta_s'])} left"
    return text


def status_line(run: Run, role: str = "", progress: bool = True) -> None:
    """The run's badge, speed and clock; its progress bar unless ``progress`` is False (a
    twin's bar would repeat its run's and cost the charts their room)."""
    p = run.progress()
    verdict = _verdict(run)
    color = "orange" if verdict else STATUS_COLORS[run.status]
    role = f" ({role})" if role else ""
    rate = p["samples_per_s"]  # None until it has trained unpaused (a Step is not a rate)
    speed = "" if rate is None else f"{rate:,.0f} samples/s · "
    st.markdown(
        f"**{run.id}**{role} :{color}-badge[{run.status.value}] &nbsp; "
        f"{speed}{_duration(p['elapsed_s'])} elapsed"
    )
    if progress:
        st.progress(p["fraction"], text=_progress_text(p, run.active))
    if run.error:
        st.error(text.plain(run.error))
        for pitfall in run.cfg.train.pitfalls if run.status == Status.FAILED else ():
            st.caption(pitfalls.look_for(pitfall))  # what torch's message means here
    elif verdict:
        st.warning(verdict)


METRICS = {
    "train_loss": "train loss",
    "val_loss": "val loss",
    "val_accuracy": "val accuracy",
    "val_rmse": "val RMSE",
}


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


def picture_figure(pic: preview.Picture, epoch: int | None):
    """The decision surface, the fitted curve or the images view, whichever the data has."""
    if pic.images is not None:
        return figs.images_figure(pic.images, epoch)
    if pic.grid is None:
        return None
    if len(pic.grid.axes) == 1:
        return figs.curve_figure(pic.snapshot, pic.grid.axes, pic.data)
    return figs.surface_figure(pic.snapshot, pic.grid.axes, pic.data, pic.grid.plane)


def _run_picture(run: Run):
    if run.data is None:  # not made yet, or let go of (runner.Run.shed)
        return None
    if run.grid is not None:  # the worker sends surface snapshots as it trains
        snap = run.log.latest_snapshot()
        if snap is None:  # none sent yet (a Step's first batch): the model it started from
            return picture_figure(preview.untrained(run.cfg, run.data), None)
        return picture_figure(preview.Picture(run.data, run.grid, snap, None), None)
    weights = run.latest_params
    if weights is None:
        return picture_figure(preview.untrained(run.cfg, run.data), None)
    return picture_figure(preview.trained(run.cfg, run.data, weights), weights.epoch)


def _trained_nothing(run: Run) -> bool:
    """Ended before its first step (torch refused the first batch): no chart to draw."""
    return run.step == 0 and not run.active


def top_charts(run: Run, twin: Run | None, smoothing: float, log_y: bool) -> None:
    """The row that must fit a projector: step loss (twin overlay) and the model's picture,
    the twin's picture beside the mistake's."""
    height = presenter.top_row_height()
    if twin is None:
        left, right = st.columns(2)
        with left:
            _chart(
                figs.step_loss_figure(_curve(run, smoothing), log_y=log_y), "chart-steps", height
            )
        with right:
            if (fig := _run_picture(run)) is not None:
                _chart(fig, "chart-surface", height)
            elif note := run_notes.without_tensors(run, registry().max_pictured):
                st.info(note)  # starting, or its data and weights let go of (runner.Run.shed)
        return
    cols = st.columns(3)
    with cols[0]:
        fig = figs.twin_step_figure(_curve(run, smoothing), _curve(twin, smoothing), log_y)
        _chart(fig, "chart-steps", height)
    pictures = (
        (cols[1], run, "With the mistake", "chart-surface"),
        (cols[2], twin, "Correct twin", "chart-twin-surface"),
    )
    for col, shown, role, key in pictures:
        with col:
            if not _trained_nothing(shown) and (fig := _run_picture(shown)) is not None:
                epoch = fig.layout.title.text.rpartition(" · ")[2]  # a third of the width:
                fig.layout.title.text = f"{role} · {epoch}" if "epoch" in epoch else role
                fig.update_layout(showlegend=False)  # no room: the first picture's colours
                fig.update_traces(showscale=False, selector={"type": "heatmap"})
                _chart(fig, key, height)


def epoch_charts(run: Run) -> None:
    columns = run.log.epoch_columns()
    left, right = st.columns(2)
    with left:
        _chart(figs.epoch_figure(columns, "loss", "Loss per epoch"), "chart-epoch-loss")
    with right:
        metric = "accuracy" if run.cfg.loss.task == CLASSIFICATION else "rmse"
        title = "Accuracy per epoch" if metric == "accuracy" else "RMSE per epoch"
        _chart(figs.epoch_figure(columns, metric, title), "chart-epoch-metric")


def frozen_change(run: Run) -> None:
    """With frozen layers, show that their weights really did not move (lesson #10)."""
    frozen = run.cfg.model.frozen
    history = run.log.param_history()
    if not frozen or len(history) < 2:
        return
    change = params.weight_change(history, frozen)
    _chart(autograd_figs.change_figure(change), "chart-frozen")
    still = change[change["frozen"]]["max |Δw|"]
    st.caption(
        f"Frozen layers {', '.join(frozen)}: largest change of any weight since the start = "
        f"{still.max():g} (exactly 0 means untouched). More on the Autograd Inspector page."
    )


def twin_charts(mistake: Run, twin: Run) -> None:
    """The mistaken run against its correct twin: same seed and data, so the gap is the mistake."""
    st.subheader("With the mistake vs. the correct twin")
    pitfalls = ", ".join(cfgmod.PITFALLS[p] for p in mistake.cfg.train.pitfalls)
    st.caption(f"{mistake.id}: {pitfalls} · {twin.id}: the same run done right")
    a, b = mistake.log.epoch_columns(), twin.log.epoch_columns()
    metric = "val_accuracy" if mistake.cfg.loss.task == CLASSIFICATION else "val_rmse"
    left, right = st.columns(2)
    with left:
        fig = figs.twin_epoch_figure(a, b, "val_loss", "Validation loss per epoch")
        _chart(fig, "chart-twin-val")
    with right:
        fig = figs.twin_epoch_figure(a, b, metric, metric.replace("_", " ") + " per epoch")
        _chart(fig, "chart-twin-metric")


def _ended_rerun(runs: list[Run]) -> None:
    """The runs just ended: one full rerun turns both timers off and the Train button on."""
    if not any(r.active for r in runs) and st.session_state.get("live.polling"):
        st.session_state["live.polling"] = False
        st.rerun()


def _reset(run: Run) -> None:
    """Playground's Reset: the run stops and the lab shows the untrained model again."""
    run.stop()
    st.session_state["lab.run_id"] = st.session_state["lab.twin_id"] = ""
    st.session_state["live.reset"] = True  # the fragment then reruns the whole page


# The run controls: what each does to every run shown (a run and its twin), and its icon.
CONTROLS = {
    "Pause": Run.pause,
    "Resume": Run.resume,
    "Step": Run.step_once,
    "Stop": Run.stop,
    "Reset": _reset,
}
ICONS = {
    "Pause": "pause",
    "Resume": "resume",
    "Step": "skip_next",
    "Stop": "stop",
    "Reset": "restart_alt",
}


ASK_FIRST = ("Stop", "Reset")  # they end a run: another tab's only once confirmed here


def _others(runs: list[Run]) -> list[Run]:
    """The training runs shown that this tab did not start (watched from the Runs page)."""
    return [r for r in runs if r.active and whose(r.owner)]


def _apply_control(runs: list[Run]) -> None:
    """Apply a click on the bar once. A timer's rerun can bring the same change back: when
    it interrupts the click's run (Step waits for its batch), or when its request left the
    browser before the bar's reset arrived; one Step click trained 3 batches. So a change
    equal to the last one applied is that one again. Step stays selected instead of being
    reset (nothing for a late request to undo), and a click on it, deselecting it, is the
    next Step: each Step is then a change of its own."""
    choice = st.session_state.get("lab.control")
    change = (tuple(r.id for r in runs), choice)  # another run's bar starts afresh
    if change == st.session_state.get("lab.control.last"):
        return
    st.session_state["lab.control.last"] = change
    if choice is None:  # Step clicked again while selected
        choice = "Step"
    if choice in ASK_FIRST and _others(runs):
        st.session_state["live.confirm"] = choice  # _confirm_stop asks first
    elif choice in CONTROLS:
        _apply(choice, runs)
    if choice != "Step":  # ready for the next click
        st.session_state["lab.control"] = None


def _apply(choice: str, runs: list[Run]) -> None:
    for run in runs:
        CONTROLS[choice](run)
    if choice == "Stop":  # this click's rerun shows them stopped, not a status tick later
        for run in runs:
            run.wait_ended()


def _answer(runs: list[Run]) -> None:
    choice = st.session_state.pop("live.confirm", None)
    if (st.session_state.get("live.confirm.answer") or "").startswith("Yes") and choice:
        _apply(choice, runs)
    st.session_state["live.confirm.answer"] = None
    st.session_state["lab.control.last"] = None  # the bar's Stop may be clicked again


def _confirm_stop(runs: list[Run]) -> None:
    """Stop or Reset of a run another tab started: say whose it is, then Yes or Cancel (a
    control with a value, like the bar's, so a timer's rerun cannot drop the answer)."""
    choice, others = st.session_state.get("live.confirm"), _others(runs)
    if choice is None:
        return
    if not others:  # it ended meanwhile: nothing left to ask about
        st.session_state.pop("live.confirm")
        return
    named = "; ".join(f"{r.id} was {whose(r.owner)}" for r in others)
    st.warning(f"{named}. {choice} it here anyway? Whoever started it may be watching it.")
    st.segmented_control(
        "Confirm",
        [f"Yes, {choice.lower()} it", "Cancel"],
        key="live.confirm.answer",
        on_change=_answer,
        args=(runs,),
        label_visibility="collapsed",
    )


def _controls(runs: list[Run]) -> None:
    """Pause/Resume, Step and Stop as one control with a value, not buttons.

    A button's click is a one-shot trigger, and Streamlit drops it when its rerun request
    merges with a timer's (seen: a Stop click lost while the charts ticked). A selected value
    travels with every later request too, so the click cannot be lost.
    """
    if st.session_state.pop("live.reset", False):
        st.rerun()  # the whole page: back to the untrained preview
    paused = any(r.status == Status.PAUSED for r in runs)
    if not any(r.active for r in runs):
        options = ["Reset"]
    else:
        options = ["Resume", "Step", "Stop", "Reset"] if paused else ["Pause", "Stop", "Reset"]
    if st.session_state.get("lab.control") not in (None, *options):  # Step, then resumed
        st.session_state["lab.control"] = st.session_state["lab.control.last"] = None
    st.segmented_control(
        "Run",
        options,
        key="lab.control",
        format_func=lambda name: f":material/{ICONS[name]}: {name}",
        on_change=_apply_control,
        args=(runs,),
        label_visibility="collapsed",
        help="Step: train exactly one more batch of the paused run, then stay paused. "
        "Reset: stop, and show the untrained model again.",
    )
    _confirm_stop(runs)


def live_view(run: Run, smoothing: float, log_y: bool, twin: Run | None = None) -> None:
    """Draw the run (and its twin); while either trains, redraw the status every second."""
    runs = [run] if twin is None else [run, twin]
    active = any(r.active for r in runs)
    st.session_state["live.polling"] = active

    def controls():
        left, right = st.columns([5, 4], vertical_alignment="center")  # 4 controls fit
        with left:
            _controls(runs)
        with right:
            status_line(run, "with the mistake" if twin is not None else "")
            if twin is not None:
                status_line(twin, "correct twin", progress=False)
        _ended_rerun(runs)

    def body():
        if _trained_nothing(run) and twin is None:  # its error says it all: no empty charts
            _ended_rerun(runs)
            return
        top_charts(run, twin, smoothing, log_y)
        for warned in run.warnings:  # torch's own words, once each, under the charts they explain
            st.warning(f"torch warned {run.id}: {text.plain(warned)}")
        for pitfall in run.cfg.train.pitfalls if twin is not None else ():
            st.info(pitfalls.look_for(pitfall))  # what the mistake is, and what to look for
        step_view.show(run)
        metrics_row(run)
        if run.epoch > 0:  # no empty charts to draw (and redraw) before the first epoch
            epoch_charts(run)
        if twin is not None:
            twin_charts(run, twin)
        frozen_change(run)
        _ended_rerun(runs)

    st.fragment(run_every=STATUS_TICK_S if active else None)(controls)()
    st.fragment(run_every=CHART_TICK_S if active else None)(body)()


@st.cache_resource(max_entries=16, show_spinner=False)
def _untrained(config: RunConfig) -> preview.Picture:
    # Cached per settings: a rerun for another widget does not rebuild data and model.
    return preview.untrained(config)


def idle_view(config: RunConfig) -> None:
    """Before any run: the data and the untrained model, redrawn as the settings change."""
    left, right = st.columns(2)
    with left:
        fig = figs.step_loss_figure(LiveCurve(0.6, figs.MAX_POINTS))
        fig.layout.title.text = "Training loss per step: press Train"
        _chart(fig, "chart-steps", presenter.top_row_height())
    with right:
        fig = picture_figure(_untrained(config), None)
        if fig is not None:
            fig.layout.title.text = "Untrained model · " + fig.layout.title.text
            _chart(fig, "chart-surface", presenter.top_row_height())
