"""The Autograd Inspector's model tab: the lab's settings or a run's model, freezing, counts."""

import pandas as pd
import streamlit as st

from torchxp_core import params
from ui import settings
from ui.state import registry


def _label(source: str) -> str:
    if source == "settings":
        return "as the Training Lab would build it now"
    run = registry().get(source)
    return f"{source}'s {'weights right now' if run.active else 'final weights'} ({run.status})"


def choose() -> tuple[params.ModelView | None, bool]:
    """The Model radio and its caption: (the model to look at, whether it is a run's)."""
    live = [r for r in registry().runs() if r.latest_params is not None]
    sources = ["settings"] + [r.id for r in reversed(live)]
    source = st.radio("Model", sources, horizontal=True, key="ag.source", format_func=_label)
    if source != "settings":
        run = registry().get(source)
        weights = run.params_now()
        st.caption(
            f"A copy of {run.id}'s model at step {weights.step:,}, so looking cannot disturb the "
            f"run. One forward pass and loss on {params.PREVIEW_BATCH} training samples, then "
            "one backward. Freezing applies to the next Train, not to this run."
        )
        return params.run_model(run.cfg, run.data, weights), True
    cfg = settings.current_config()
    st.caption(
        f"The model the Training Lab would build now: {cfg.model.kind.upper()} with hidden "
        f"{list(cfg.model.hidden)} on {cfg.data.dataset}, {cfg.train.loss} loss, "
        f"{cfg.train.optimizer} optimizer. One forward pass and loss on "
        f"{params.PREVIEW_BATCH} training samples, then one backward."
    )
    try:
        return params.lab_model(cfg, settings.get("model.frozen")), False
    except (ValueError, RuntimeError) as exc:
        st.error(f"This model cannot be built from the Training Lab's settings: {exc}")
        return None, False


def _freeze() -> None:
    settings.put("model.frozen", list(st.session_state["ag.frozen"]))


def frozen_layers(view: params.ModelView, a_run: bool) -> None:
    """The frozen-layers box: it writes the Training Lab's setting; a run's is only shown."""
    model = view.preview.setup.model
    names = {n: f"layer {n}: {type(getattr(model, n)).__name__}" for n in view.layers}
    st.session_state["ag.frozen"] = view.frozen  # the Training Lab's setting is the truth
    st.multiselect(
        "Frozen layers (requires_grad=False; the next Train in the Training Lab uses this)",
        view.layers,
        format_func=names.get,
        key="ag.frozen",
        on_change=_freeze,
        disabled=a_run,  # a running model is looked at, not changed
    )


def counts(ins: params.Inspection) -> None:
    """What the model has, what the optimizer updates, the loss; then one row per parameter."""
    cols = st.columns(3)
    for col, label, counted in (
        (cols[0], "Parameters in the model", ins.total),
        (cols[1], "Parameters the optimizer updates", ins.trains),
    ):
        col.metric(
            label,
            f"{counted.elements:,}",
            f"{counted.tensors} tensors",
            delta_color="off",
            delta_arrow="off",
        )
    cols[2].metric("Loss on the batch", f"{ins.loss:.4f}")
    st.dataframe(pd.DataFrame(ins.table), hide_index=True, key="ag.params")
