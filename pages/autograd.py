"""Autograd Inspector: the computational graph, leaves and requires_grad (lesson #10)."""

import pandas as pd
import streamlit as st

from torchxp_core import autograd_examples as ax
from torchxp_core import params
from torchxp_core.figures import autograd as figs
from ui import expression, model_view, run_notes
from ui.graph_view import draw
from ui.navigation import ensure_app
from ui.state import registry

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("Autograd Inspector")
st.caption(
    "Every tensor torch builds remembers the operation that made it (`grad_fn`); backward walks "
    "those links from the output back to the leaves. Below, the graph torch actually recorded: "
    "**blue** leaves get `.grad`, **yellow** results are made by an op, **grey dashed** tensors "
    "do not require grad and are not part of the graph. Arrows follow the forward pass; "
    "backward runs them in reverse and each green `AccumulateGrad` writes its leaf's `.grad`."
)

playground, model_tab, run_tab = st.tabs(["Expression playground", "The model", "A run"])

with playground:
    key = st.selectbox(
        "Example", list(ax.EXAMPLES), key="ag.example", format_func=lambda k: ax.EXAMPLES[k].title
    )
    values, requires, option = expression.inputs(key)
    signature = repr((key, values, requires, option))
    if st.button(
        "Backward",
        type="primary",
        icon=":material/arrow_back:",
        key="ag.backward_btn",
        help="Call backward() on the output and fill the table's .grad column.",
    ):
        st.session_state["ag.backward"] = signature
    asked = st.session_state.get("ag.backward") == signature
    try:
        played = ax.play(key, values, requires, option, backward_now=asked)
    except ValueError as exc:
        st.error(str(exc))
    else:
        expression.outcome(played)
        with st.expander("The code that ran (values and switches from above)"):
            st.code(ax.EXAMPLES[key].source(), language="python")
        draw(played.graph)
        st.dataframe(pd.DataFrame(ax.tensor_table(played.built)), hide_index=True, key="ag.table")
        expression.rules(ax.rules(key, values, requires, option))

with model_tab:
    view, a_run = model_view.choose()
    if view is not None:
        model_view.frozen_layers(view, a_run)
        inspection = params.inspect(view.preview)
        model_view.counts(inspection)
        draw(inspection.graph)

with run_tab:
    runs = registry().runs()
    if not runs:
        st.info("No runs yet: start one in the Training Lab, then come back here.")
    else:
        ids = [r.id for r in reversed(runs)]
        run = registry().get(
            st.selectbox(
                "Run", ids, key="ag.run", format_func=lambda i: f"{i} ({registry().get(i).status})"
            )
        )
        history = run.log.param_history() if run else []
        if not history:
            st.info(run_notes.no_history(run, registry().max_pictured))
        else:
            frozen = run.cfg.model.frozen
            st.caption(
                f"Frozen layers in this run: {', '.join(frozen) or 'none'}. "
                f"{len(history)} weight snapshots recorded, from the initial weights on "
                "(a long run's thinned to spread over all of it)."
            )
            norms = params.norm_history(history)
            log_y = st.toggle("Log-scale norms", key="ag.log_y")
            left, right = st.columns(2)
            left.plotly_chart(
                figs.norms_figure(norms, "weight_norm", "Weight norm per parameter", log_y),
                key="ag.wnorm",
                width="stretch",
            )
            right.plotly_chart(
                figs.norms_figure(norms, "grad_norm", "Gradient norm per parameter", log_y),
                key="ag.gnorm",
                width="stretch",
            )
            change = params.weight_change(history, frozen)
            st.plotly_chart(figs.change_figure(change), key="ag.change", width="stretch")
            st.dataframe(change, hide_index=True, key="ag.change_table")
            epochs = [s.epoch for s in history]
            cols = st.columns(2)
            epoch = cols[0].select_slider("Epoch", epochs, value=epochs[-1], key="ag.epoch")
            name = cols[1].selectbox("Parameter", list(history[0].weights), key="ag.param")
            left, right = st.columns(2)
            for col, kind in ((left, "weights"), (right, "grads")):
                values = params.values_at(history, epoch, name, kind)
                col.plotly_chart(
                    figs.histogram_figure(values, f"{name} {kind} at epoch {epoch}"),
                    key=f"ag.hist.{kind}",
                    width="stretch",
                )
