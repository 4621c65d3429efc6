"""Autograd Inspector: the computational graph, leaves and requires_grad (lesson #10)."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from torchxp_core import autograd_examples as ax
from torchxp_core import graph, graph_render, params
from torchxp_core.figures import autograd as figs
from torchxp_core.models import trainable_layers
from ui import settings
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


def draw(g: graph.Graph) -> None:
    # Small graphs at their own size (16 pt text); big ones shrink to fit the page.
    big = len(g.tensors) + len(g.ops) > 14
    st.graphviz_chart(graph_render.to_dot(g), width="stretch" if big else "content")


playground, model_tab, run_tab = st.tabs(["Expression playground", "The model", "A run"])

with playground:
    key = st.selectbox(
        "Example", list(ax.EXAMPLES), key="ag.example", format_func=lambda k: ax.EXAMPLES[k].title
    )
    ex = ax.EXAMPLES[key]
    values = {
        name: col.number_input(
            name,
            value=default,
            step=1 if name in ex.integers else 0.5,
            key=f"ag.{key}.v.{name}",
            **({"min_value": 0} if name in ex.integers else {}),
        )
        for col, (name, default) in zip(st.columns(len(ex.values)), ex.values.items(), strict=True)
    }
    st.markdown("`requires_grad` of each input:")
    requires = {
        name: col.toggle(name, value=default, key=f"ag.{key}.rg.{name}")
        for col, (name, default) in zip(
            st.columns(len(ex.requires_grad)), ex.requires_grad.items(), strict=True
        )
    }
    option = None
    if ex.options:
        option = st.radio(
            "Variant",
            list(ex.options),
            format_func=ex.options.get,
            horizontal=True,
            key=f"ag.{key}.option",
        )
    signature = repr((key, values, requires, option))
    if st.button(
        "Backward",
        type="primary",
        icon=":material/arrow_back:",
        key="ag.backward_btn",
        help="Call backward() on the output and fill the table's .grad column.",
    ):
        st.session_state["ag.backward"] = signature
    try:
        built = ax.build(key, values, requires, option)
    except ValueError as exc:
        st.error(str(exc))
        built = None
    if built is not None:
        if built.error:
            st.error(f"torch refused a step of this example: {built.error}")
        g = graph.trace(built.tensors)  # before backward, while saved tensors still exist
        if st.session_state.get("ag.backward") == signature:
            problem = ax.backward(built)
            if problem:
                st.error(f"`{built.output}.backward()` failed with torch's own message: {problem}")
            else:
                st.success(f"`{built.output}.backward()` ran: the `.grad` column is filled.")
        with st.expander("The code that ran (values and switches from above)"):
            st.code(ex.source(), language="python")
        draw(g)
        st.dataframe(pd.DataFrame(ax.tensor_table(built)), hide_index=True, key="ag.table")

        st.subheader("The rules, as they happen")
        first, second = ax.second_backward(key, values, requires, option)
        if first:
            st.info(f"backward() cannot run on this variant at all: {first}")
        else:
            if second:
                st.markdown(
                    "**A second `backward()` without `retain_graph=True`** failed; torch says:"
                )
                st.error(second)
            else:
                saved = ax.saved_for_backward(key, values, requires, option)
                st.markdown(
                    "**A second `backward()` without `retain_graph=True`** ran without an error "
                    "here: "
                    + (
                        "no op in this graph saved a tensor for backward, so the first call had "
                        "nothing to free."
                        if saved == 0
                        else f"the ops saved {saved} tensor(s) for backward; torch ran it anyway."
                    )
                )
            try:
                rows = ax.accumulation(key, values, requires, option)
                doubled = all(row["call 2 = 2 × call 1"] for row in rows)
                st.markdown(
                    "**Gradients add up**: two `backward(retain_graph=True)` calls, no "
                    "`zero_grad()` between them, and every `.grad` after the second is twice the "
                    "first:"
                    if doubled
                    else "Two `backward(retain_graph=True)` calls, no `zero_grad()` between them:"
                )
                st.dataframe(pd.DataFrame(rows), hide_index=True, key="ag.accumulate")
            except ValueError as exc:
                st.error(str(exc))

with model_tab:
    live = [r for r in registry().runs() if r.latest_params is not None]
    sources = ["settings"] + [r.id for r in reversed(live)]
    source = st.radio(
        "Model", sources, horizontal=True, key="ag.source",
        format_func=lambda s: "as the Training Lab would build it now" if s == "settings"
        else f"{s}'s {'weights right now' if registry().get(s).active else 'final weights'} "
        f"({registry().get(s).status})",
    )  # fmt: skip
    cfg = settings.current_config()
    pv = None
    if source != "settings":
        run = registry().get(source)
        weights = run.params_now()
        pv = params.live_preview(run.cfg, run.data, weights)
        layers = trainable_layers(pv.setup.model)
        valid = list(run.cfg.model.frozen)
        st.caption(
            f"A copy of {run.id}'s model at step {weights.step:,}, so looking cannot disturb the "
            f"run. One forward pass and loss on {params.PREVIEW_BATCH} training samples, then "
            "one backward. Freezing applies to the next Train, not to this run."
        )
    else:
        st.caption(
            f"The model the Training Lab would build now: {cfg.model.kind.upper()} with hidden "
            f"{list(cfg.model.hidden)} on {cfg.data.dataset}, {cfg.train.loss} loss, "
            f"{cfg.train.optimizer} optimizer. One forward pass and loss on "
            f"{params.PREVIEW_BATCH} training samples, then one backward."
        )
        try:
            plain = params.preview(replace(cfg, model=replace(cfg.model, frozen=())))
            layers = trainable_layers(plain.setup.model)
            valid = [name for name in settings.get("model.frozen") if name in layers]
            pv = params.preview(replace(cfg, model=replace(cfg.model, frozen=tuple(valid))))
        except (ValueError, RuntimeError) as exc:
            st.error(f"This model cannot be built from the Training Lab's settings: {exc}")
    if pv is not None:
        model = pv.setup.model
        names = {n: f"layer {n}: {type(getattr(model, n)).__name__}" for n in layers}
        st.session_state["ag.frozen"] = valid  # the Training Lab's setting is the truth

        def _freeze() -> None:
            settings.put("model.frozen", list(st.session_state["ag.frozen"]))

        st.multiselect(
            "Frozen layers (requires_grad=False; the next Train in the Training Lab uses this)",
            layers,
            format_func=names.get,
            key="ag.frozen",
            on_change=_freeze,
            disabled=source != "settings",  # a running model is looked at, not changed
        )
        tensors, named = graph.model_tensors(model, pv.setup.criterion, pv.inputs, pv.targets)
        model_graph = graph.trace(tensors, named)  # before backward frees the saved tensors
        params.one_backward(model, tensors["loss"])
        total, trains = params.count(model.parameters()), params.optimizer_count(pv.setup.optimizer)
        cols = st.columns(3)
        cols[0].metric(
            "Parameters in the model",
            f"{total.elements:,}",
            f"{total.tensors} tensors",
            delta_color="off",
            delta_arrow="off",
        )
        cols[1].metric(
            "Parameters the optimizer updates",
            f"{trains.elements:,}",
            f"{trains.tensors} tensors",
            delta_color="off",
            delta_arrow="off",
        )
        cols[2].metric("Loss on the batch", f"{tensors['loss'].item():.4f}")
        st.dataframe(pd.DataFrame(params.param_table(model)), hide_index=True, key="ag.params")
        draw(model_graph)

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
            st.info("This run has not finished an epoch yet; parameters are recorded per epoch.")
        else:
            frozen = run.cfg.model.frozen
            st.caption(
                f"Frozen layers in this run: {', '.join(frozen) or 'none'}. "
                f"{len(history)} epochs recorded."
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
