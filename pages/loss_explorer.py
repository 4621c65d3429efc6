"""Loss Explorer (lessons #5-#8): BCE, BCEWithLogits, CrossEntropy and MSE, live from torch.

Every number and sentence comes from torchxp_core.loss_lab, every figure from
torchxp_core.figures.losses; ui.loss_views holds the pieces the four tabs share.
"""

import pandas as pd
import streamlit as st

from torchxp_core.figures import losses as figs
from torchxp_core.loss_lab import TORCH_VERSION, bce, logits, mse
from torchxp_core.loss_lab import cross_entropy as ce
from ui import loss_views as lv
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py


def show_cross_entropy() -> None:
    """The CE tab; a bad logit table or target class ends it with an error, not the page."""
    lv.contract("cross_entropy")
    c1, c2, c3 = st.columns(3)
    n_classes = c1.number_input("C, the number of classes", 2, 10, 4, key="loss.ce.C")
    target = int(c2.number_input("target class t", value=0, step=1, key="loss.ce.target"))
    temp = c3.slider("temperature T", 0.1, 5.0, 1.0, 0.1, key="loss.ce.T")
    table, bars = st.columns([1, 3])
    z = lv.logit_editor(table, n_classes)
    try:
        sm = ce.softmax_loss(z, target, temp)
    except ValueError as exc:
        bars.error(str(exc))
        return
    with bars:
        lv.chart(figs.softmax_bars(sm), "loss.ce.bars")
    lv.numbers(
        ("nn.CrossEntropyLoss", f"{sm.ce:.10f}"),
        ("nn.NLLLoss(log_softmax)", f"{sm.nll:.10f}"),
        ("formula −z_t + log Σ e^z_k", f"{sm.formula:.10f}"),
    )
    lv.chart(figs.temperature(ce.temperature_sweep(z, target), temp, target), "loss.ce.T_chart")
    lv.ce_contract_tried(z, target, n_classes)
    st.markdown("**Float targets of shape (N, C)**")
    eps = st.slider("label_smoothing ε", 0.0, 0.5, 0.1, 0.01, key="loss.ce.smoothing")
    pt_ = ce.probability_targets(z, target, eps)
    st.latex(ce.smoothing_latex(pt_))
    lv.numbers(
        (f"class index, label_smoothing={eps:g}", f"{pt_.index_loss:.10f}"),
        ("float (1, C) target q", f"{pt_.probability_loss:.10f}"),
        ("formula −Σ q_k log p_k", f"{pt_.formula:.10f}"),
    )
    st.caption(ce.probability_note(pt_))
    if pt_.long_probabilities_error:
        st.caption(f"An int64 one-hot of shape (1, C) instead: `{pt_.long_probabilities_error}`")
    lv.chart(figs.ce_vs_mse_gradient(ce.ce_vs_mse_gradient(n_classes)), "loss.ce.vs_mse")


st.title("Loss Explorer")
st.markdown(
    "Four losses from the team's note, each next to its formula. Every number and curve here is "
    f"computed by the installed **torch {TORCH_VERSION}** each time the page runs; the dotted "
    "lines are the closed form, and errors and warnings are torch's own words."
)
tab_bce, tab_logits, tab_ce, tab_mse = st.tabs(
    ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss"]
)

with tab_bce:
    lv.contract("bce")
    c1, c2, c3 = st.columns([3, 3, 2])
    h = c1.slider("h, the predicted probability", 0.0, 1.0, 0.3, 0.001, key="loss.bce.h")
    y = c2.slider("y, the label", 0.0, 1.0, 1.0, 0.05, key="loss.bce.y")
    dtype = c3.radio("dtype", ["float32", "float64"], horizontal=True, key="loss.bce.dtype")
    pt = bce.point(h, y, dtype)
    lv.side_by_side("BCELoss", pt.torch_loss, pt.formula_loss, pt.digits)
    if pt.clamped:
        st.info(bce.clamp_note(pt))
    lv.chart(figs.bce_curves(bce.curves(y=y), pt), "loss.bce.curves")
    with st.expander("torch's clamp, measured: y = 1 and h shrinking to 0"):
        st.dataframe(bce.clamp_table(), hide_index=True, width="stretch")
    st.subheader("A batch: the loss is the mean")
    st.caption("Edit h and y, add or delete rows. Both must be between 0 and 1.")
    start = pd.DataFrame({"h": [0.9, 0.2, 0.6, 0.05], "y": [1.0, 0.0, 1.0, 1.0]})
    editor, left, right = st.columns([2, 3, 2])
    table = editor.data_editor(start, num_rows="dynamic", key="loss.bce.batch", width="stretch")
    try:
        b = bce.batch(table["h"].to_numpy(float), table["y"].to_numpy(float))
    except ValueError as exc:
        left.error(str(exc))
    else:
        per_sample = b.per_sample.rename(columns={"torch": 'torch, reduction="none"'})
        left.dataframe(per_sample, hide_index=True, width="stretch")
        lv.with_formula(right, 'reduction="mean" (default)', b.mean, b.formula_mean)
        lv.with_formula(right, 'reduction="sum"', b.total, b.formula_sum)
    st.subheader("The gradient")
    grads = bce.gradients(y)
    st.markdown(bce.gradient_note(pt, grads))
    lv.chart(figs.bce_gradients(grads, y), "loss.bce.gradients")
    lv.contract_tried("bce")

with tab_logits:
    lv.contract("bce_with_logits")
    y_l = st.radio(
        "label y", [0.0, 1.0], format_func="{:g}".format, horizontal=True, key="loss.logits.y"
    )
    st.markdown(logits.saturation_note(y_l, logits.saturation(y_l)))
    sweep = logits.sweep(y_l)
    parts = logits.partings(sweep)
    for col, part in zip(st.columns(len(parts)), parts, strict=True):
        if part.z is None:
            col.success(f"{part.dtype}: sigmoid + BCELoss stays within 0.1 % over the sweep.")
        else:
            col.warning(logits.parting_note(part))
    lv.chart(figs.logit_sweep(sweep, parts, y_l), "loss.logits.sweep")
    st.subheader("pos_weight")
    p = st.slider("pos_weight", 0.1, 10.0, 3.0, 0.1, key="loss.logits.pos_weight")
    curves_pw = logits.pos_weight_curves(p)
    st.markdown(logits.pos_weight_note(p, logits.pos_weight_ratios(curves_pw)))
    lv.chart(figs.pos_weight(curves_pw), "loss.logits.pos_weight_chart")
    lv.contract_tried("bce_with_logits")

with tab_ce:
    show_cross_entropy()

with tab_mse:
    lv.contract("mse")
    c1, c2, c3 = st.columns(3)
    n = c1.slider("N, the batch size", 2, 12, 6, key="loss.mse.n")
    noise = c2.slider("model error (noise)", 0.0, 1.0, 0.3, 0.05, key="loss.mse.noise")
    seed = c3.number_input("seed", 0, 9999, 0, key="loss.mse.seed")
    bc = mse.broadcast(n, noise, int(seed))
    broken, fixed = st.columns(2)
    with broken:
        st.markdown("**Broken**: one output unit against labels straight from the dataset")
        st.code(mse.broken_code(bc))
        if bc.wrong is None:
            st.error(f"torch refused the mismatched shapes: {bc.wrong_error}")
        else:
            lv.with_formula(st, "loss (wrong)", bc.wrong, bc.wrong_formula)
        for text in bc.warnings:
            st.warning(f"torch warned: {text}", icon=":material/warning:")
        if bc.wrong is not None:
            st.caption(mse.broadcast_note(bc))
    with fixed:
        st.markdown("**Fixed**: make the shapes equal")
        st.code(mse.fixed_code(bc))
        lv.with_formula(st, "loss (right)", bc.right, bc.right_formula)
        st.success("No warning." if not bc.fix_warnings else "; ".join(bc.fix_warnings))
    lv.chart(figs.broadcast_heatmap(bc), "loss.mse.heatmap")
    lv.contract_tried("mse")
