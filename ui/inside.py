"""The "Inside the network" page's parts: which model to look at, and its views, redrawn live.

Every view is computed in this process from copies the run's worker already sent (its newest
weights and its per-epoch history): nothing is asked of the run itself.
"""

import streamlit as st

from torchxp_core import inside
from torchxp_core.config import RunConfig
from torchxp_core.data import DATASETS, make_dataset
from torchxp_core.figures import inside as figs
from torchxp_core.runner import Run
from torchxp_core.surface import surface_grid
from ui import presenter, run_notes, settings
from ui.state import registry, tab_id

TICK_S = 2.0  # as the lab's charts: a GPU-less browser redraws them in ~0.3-0.5 s
UNTRAINED = "untrained"
# Lesson buttons: the settings that show vanishing gradients, and the same net with ReLU.
DEEP = {"model.kind": "mlp", "model.hidden": "16,16,16,16,16,16", "model.batch_norm": False}
DEEP_SIGMOID = DEEP | {"model.activation": "sigmoid"}
DEEP_RELU = DEEP | {"model.activation": "relu"}


def choose() -> Run | None:
    """A selectbox over this tab's runs and the untrained model; follows the lab's run."""
    shown = st.session_state.get("lab.run_id", "")
    ids = [r.id for r in reversed(registry().runs(owner=tab_id()))]
    if shown and shown not in ids and registry().get(shown) is not None:
        ids.insert(0, shown)  # opened from the Runs page, started in another tab
    if st.session_state.get("inside.followed") != shown:  # a new Train in the lab: show it
        st.session_state["inside.followed"] = shown
        st.session_state["inside.source"] = shown if shown in ids else UNTRAINED
    if st.session_state.get("inside.source") not in [UNTRAINED, *ids]:
        st.session_state["inside.source"] = UNTRAINED
    source = st.selectbox(
        "Model",
        [UNTRAINED, *ids],
        key="inside.source",
        format_func=lambda s: (
            "untrained, with the Training Lab's settings"
            if s == UNTRAINED
            else s  # its status is said below, where it is redrawn
        ),
    )
    return None if source == UNTRAINED else registry().get(source)


@st.cache_resource(max_entries=8, show_spinner=False)
def _untrained_data(cfg: RunConfig):
    # Cached per settings: a rerun for another widget does not rebuild the data.
    data = make_dataset(cfg.data)
    return data, surface_grid(data, "cpu")


def _chart(fig, key: str) -> None:
    presenter.style_chart(fig)
    st.plotly_chart(fig, key=key, width="stretch")


def _image_choice(cfg: RunConfig, n_val: int) -> int:
    """Which validation image goes through the first convolution (outside the timed part)."""
    if cfg.model.kind != "cnn" or not DATASETS[cfg.data.dataset].image:
        return 0
    return int(
        st.number_input(
            "Validation image for the feature maps",
            0,
            n_val - 1,
            0,
            key="inside.image",
            help="Which validation image to send through layer 0.",
        )
    )


def network(views: inside.Views, cfg: RunConfig) -> None:
    if views.network is None:
        if not DATASETS[cfg.data.dataset].image:
            return
        st.caption(
            "The network view draws MLPs on points, where every unit is a picture over the "
            "input plane; for images the confusion matrix and the first convolution follow."
        )
        return
    when = "untrained" if views.step == 0 else f"step {views.step:,} · epoch {views.epoch}"
    _chart(figs.network_figure(views.network, f"The network · {when}"), "inside-network")
    note = views.network.eval_note
    st.caption(
        "Each square is one unit's output over the input plane (x₁ across, x₂ up): orange "
        "negative, blue positive, each unit on its own scale. Links are weights: blue positive, "
        "orange negative, thicker for larger |w|; the small square at a unit's lower left is "
        "its bias. Hover for values. Computed in eval mode"
        + (f": {note}." if note else ", as at validation.")
    )


def images(views: inside.Views, cfg: RunConfig, data) -> None:
    if views.confusion is None:
        return
    names = inside.class_names(cfg.data.dataset, data.n_classes)
    right = int(views.confusion.trace())
    title = f"Confusion matrix · validation: {right} of {len(data.y_val)} right"
    if views.filters is None:
        _chart(figs.confusion_figure(views.confusion, names, title), "inside-confusion")
        st.caption("Switch Model to CNN in the Training Lab to see its filters and feature maps.")
        return
    left, middle = st.columns(2)
    with left:
        _chart(figs.confusion_figure(views.confusion, names, title), "inside-confusion")
    with middle:
        _chart(figs.filters_figure(views.filters), "inside-filters")
        st.caption(
            "Each 3×3 square is what one filter multiplies with one input channel; "
            "orange negative, blue positive, one scale for all."
        )
    _chart(figs.feature_maps_figure(views.maps, names), "inside-maps")
    st.caption(
        "Lesson #2 as a picture: the image is [B, C, H, W] = one image of C channels; layer 0 "
        "turns it into 16 channels of the same height and width, one per filter."
    )


def flow(views: inside.Views) -> None:
    st.subheader("Gradient flow")
    st.caption(
        "Per layer: the gradient's norm and how far one update moves the weights relative to "
        "their size, on log scales. Vanishing gradients show as early layers (dark) far below "
        "late ones (yellow); exploding ones as lines climbing."
    )
    if views.flow is None:
        if views.first_batch:
            _chart(figs.first_batch_figure(views.first_batch, views.layers), "inside-first")
        st.caption(
            "Before Train: one batch's gradients of the untrained model. Press Train in the "
            "Training Lab to follow them and the update ratio over the run."
        )
        return
    left, right = st.columns(2)
    with left:
        _chart(figs.grad_norm_figure(views.flow), "inside-grad")
    with right:
        _chart(figs.update_ratio_figure(views.flow), "inside-ratio")
    frozen = ", ".join(views.flow.frozen)
    st.caption(
        "One point per weight snapshot the run sent (at epoch ends, at most 4 a second; a "
        "long run's thinned to spread over all of it). ‖g‖ is the last batch's gradient; "
        "the ratio is how far that batch's optimizer.step() moved the weights."
        + (f" Frozen layers {frozen} never move: no ratio to draw." if frozen else "")
    )


def _try(values: dict) -> None:
    settings.put_all(values)
    st.session_state["inside.source"] = UNTRAINED  # show the new settings' model at once


def lessons() -> None:
    """Buttons that set the lab's model to a deep sigmoid MLP, or the same with ReLU."""
    st.markdown(
        "**Try it:** a deep sigmoid MLP against the same with ReLU. Each button sets the Training "
        "Lab's model (6 hidden layers of 16) and shows it here untrained; then Train it there."
    )
    a, b, _ = st.columns([1, 1, 2], vertical_alignment="center")
    a.button(
        "Deep sigmoid MLP",
        key="inside.sigmoid",
        on_click=_try,
        args=(DEEP_SIGMOID,),
        width="stretch",
    )
    b.button(
        "The same with ReLU", key="inside.relu", on_click=_try, args=(DEEP_RELU,), width="stretch"
    )


def _ended_rerun(run: Run) -> None:
    """The run just ended: one full rerun turns the timer off."""
    if not run.active and st.session_state.get("inside.polling"):
        st.session_state["inside.polling"] = False
        st.rerun()


def show(run: Run | None) -> None:
    """The views of ``run`` (redrawn every TICK_S while it trains), or of the untrained model."""
    if run is None:
        cfg = settings.current_config()
        data, grid = _untrained_data(cfg)
        image = _image_choice(cfg, len(data.x_val))
        views = inside.compute(cfg, data, grid, image=image)
        st.caption(
            f"The model the Training Lab would build now ({cfg.model.kind.upper()}, hidden "
            f"{list(cfg.model.hidden)}, {cfg.model.activation}, on {cfg.data.dataset}), before "
            "any training: press Train there and come back."
        )
        network(views, cfg)
        images(views, cfg, data)
        flow(views)
        lessons()
        return
    if (note := run_notes.without_tensors(run, registry().max_pictured)) is not None:
        st.info(note)  # starting, ended before its first batch, or its tensors released
        return
    image = _image_choice(run.cfg, len(run.data.x_val))
    st.session_state["inside.polling"] = run.active

    @st.fragment(run_every=TICK_S if run.active else None)
    def live() -> None:
        history = run.log.param_history()
        cache = st.session_state.setdefault("inside.flow", {}).setdefault(run.id, {})
        views = inside.compute(
            run.cfg, run.data, run.grid, run.latest_params, history, image, flow_cache=cache
        )
        st.caption(
            f"{run.id} ({run.status}): its weights at step {views.step:,}, epoch {views.epoch}, "
            "as its worker sent them; a copy, so looking cannot disturb the run. Redrawn every "
            f"{TICK_S:g} s while it trains."
        )
        network(views, run.cfg)
        images(views, run.cfg, run.data)
        flow(views)
        _ended_rerun(run)

    live()
    lessons()  # outside the timed fragment: a click is never lost to a tick
