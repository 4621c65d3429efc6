"""Loss Explorer (lessons #5-#8): BCE, BCEWithLogits, CrossEntropy and MSE, live from torch.

Four lessons on one page, one tab each, so it runs past the usual ~150 lines; every number
comes from torchxp_core.loss_lab, every figure from torchxp_core.figures.losses.
"""

import numpy as np
import pandas as pd
import streamlit as st

from torchxp_core.figures import losses as figs
from torchxp_core.loss_lab import TORCH_VERSION, bce, contracts, logits, mse
from torchxp_core.loss_lab import cross_entropy as ce
from torchxp_core.loss_lab.attempt import agreeing_digits
from torchxp_core.losses import LOSSES
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py


def side_by_side(label: str, torch_value: float, formula_value: float, digits: int) -> None:
    """torch's number beside the formula's, printed to one digit past where they agree."""
    shown = max(4, min(digits + 1, 16))
    a, b, c = st.columns(3)
    a.metric(f"torch {label}", f"{torch_value:.{shown}g}")
    b.metric("formula", f"{formula_value:.{shown}g}")
    c.metric("they agree to", f"{digits} digits" if digits < 16 else "every digit")


def contract(name: str) -> None:
    spec = LOSSES[name]
    st.latex(spec.latex)
    st.caption(f"**Contract:** {spec.contract}. [PyTorch docs]({spec.docs_url})")


def contract_tried(name: str) -> None:
    """The dtype and shape cases of ``contracts`` through this loss, and what torch did."""
    label = LOSSES[name].label
    st.markdown(f"**Target dtypes and shapes, tried on this torch** ({label})")
    table = contracts.dtype_shape_table(name)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"torch says": st.column_config.TextColumn(width="large")},
    )
    refused = table[~table["accepted"]]
    warned = table[table["accepted"] & table["warned"]]
    parts = [f"input {r.input} against target {r.target}" for r in refused.itertuples()]
    said = f"{label} refused {'; '.join(parts)}" if parts else f"{label} refused none of these"
    if len(warned):
        said += "; it warned, and went on, for " + "; ".join(
            f"input {r.input} against target {r.target}" for r in warned.itertuples()
        )
    st.caption(said + ".")


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, key=key, width="stretch")


def show_cross_entropy() -> None:
    """The CE tab; a bad logit table or target class ends it with an error, not the page."""
    contract("cross_entropy")
    c1, c2, c3 = st.columns(3)
    n_classes = c1.number_input("C, the number of classes", 2, 10, 4, key="loss.ce.C")
    target = c2.number_input("target class t", value=0, step=1, key="loss.ce.target")
    temp = c3.slider("temperature T", 0.1, 5.0, 1.0, 0.1, key="loss.ce.T")
    start = pd.DataFrame(
        {"class": np.arange(n_classes), "logit": np.round(np.linspace(2.0, -1.0, n_classes), 2)}
    )
    table, bars = st.columns([1, 3])
    table.caption("Edit the logits:")
    edited = table.data_editor(
        start, key=f"loss.ce.logits.{n_classes}", disabled=["class"], hide_index=True,
        width="stretch", height=38 + 35 * n_classes,
    )  # fmt: skip
    z = edited["logit"].to_numpy(float)
    try:
        sm = ce.softmax_loss(z, int(target), temp)
    except ValueError as exc:
        bars.error(str(exc))
        return
    with bars:
        chart(figs.softmax_bars(sm), "loss.ce.bars")
    a, b_, c = st.columns(3)
    a.metric("nn.CrossEntropyLoss", f"{sm.ce:.10f}")
    b_.metric("nn.NLLLoss(log_softmax)", f"{sm.nll:.10f}")
    c.metric("formula −z_t + log Σ e^z_k", f"{sm.formula:.10f}")
    chart(
        figs.temperature(ce.temperature_sweep(z, int(target)), temp, int(target)), "loss.ce.T_chart"
    )
    st.subheader("The contract, tried on this torch")
    wide = {"result": st.column_config.TextColumn(width="large")}
    st.markdown("**Target dtypes** (class indices, shape (N,))")
    st.dataframe(ce.target_dtype_table(z, int(target)), hide_index=True, column_config=wide)
    st.markdown(f"**Out-of-range classes** (C = {n_classes})")
    st.dataframe(ce.out_of_range(n_classes), hide_index=True, column_config=wide)
    ig = ce.ignored_sample(int(n_classes))
    st.caption(
        f"{ig.ignore_index} is `ignore_index`'s default: "
        + (
            f"the loss with that sample ({ig.with_ignored:.6f}) equals the loss of the other "
            "sample alone, so it is skipped, not an error."
            if ig.skipped
            else f"the loss with it is {ig.with_ignored:.6f}, without it {ig.first_alone:.6f}."
        )
    )
    st.markdown("**Float targets of shape (N, C)**")
    eps = st.slider("label_smoothing ε", 0.0, 0.5, 0.1, 0.01, key="loss.ce.smoothing")
    pt_ = ce.probability_targets(z, int(target), eps)
    st.latex(r"q = (1-\varepsilon)\,\mathrm{onehot}(t) + \varepsilon / C = ["
             + ", ".join(f"{v:.4f}" for v in pt_.q) + "]")  # fmt: skip
    a, b_, c = st.columns(3)
    a.metric(f"class index, label_smoothing={eps:g}", f"{pt_.index_loss:.10f}")
    b_.metric("float (1, C) target q", f"{pt_.probability_loss:.10f}")
    c.metric("formula −Σ q_k log p_k", f"{pt_.formula:.10f}")
    read_as = agreeing_digits(pt_.probability_loss, pt_.formula) >= 10
    st.caption(
        "torch read the float target as class probabilities: its loss equals −Σ q_k log p_k."
        if read_as
        else "torch's loss for the float target is not −Σ q_k log p_k here."
    )
    if pt_.long_probabilities_error:
        st.caption(f"An int64 one-hot of shape (1, C) instead: `{pt_.long_probabilities_error}`")
    chart(figs.ce_vs_mse_gradient(ce.ce_vs_mse_gradient(n_classes)), "loss.ce.vs_mse")


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
    contract("bce")
    c1, c2, c3 = st.columns([3, 3, 2])
    h = c1.slider("h, the predicted probability", 0.0, 1.0, 0.3, 0.001, key="loss.bce.h")
    y = c2.slider("y, the label", 0.0, 1.0, 1.0, 0.05, key="loss.bce.y")
    dtype = c3.radio("dtype", ["float32", "float64"], horizontal=True, key="loss.bce.dtype")
    pt = bce.point(h, y, dtype)
    side_by_side("BCELoss", pt.torch_loss, pt.formula_loss, pt.digits)
    if pt.clamped:
        clamp = bce.log_clamp(dtype)
        st.info(
            f"The formula says {pt.formula_loss:.4g}, torch says {pt.torch_loss:g}: BCELoss clamps "
            f"log h and log(1 − h) at {clamp:g}, so one sample costs at most {-clamp:g}, and "
            f"autograd's dL/dh here is {pt.torch_grad:.4g}"
            + (", finite. " if np.isfinite(pt.torch_grad) else ". ")
            + "The table below shows where the clamp starts."
        )
    chart(figs.bce_curves(bce.curves(y=y), pt), "loss.bce.curves")
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
        left.dataframe(
            b.per_sample.rename(columns={"torch": 'torch, reduction="none"'}),
            hide_index=True, width="stretch",
        )  # fmt: skip
        right.metric('reduction="mean" (default)', f"{b.mean:.6f}", f"formula {b.formula_mean:.6f}",
                     delta_color="off", delta_arrow="off")  # fmt: skip
        right.metric('reduction="sum"', f"{b.total:.6f}", f"formula {b.formula_sum:.6f}",
                     delta_color="off", delta_arrow="off")  # fmt: skip
    st.subheader("The gradient")
    grads = bce.gradients(y)
    dz_gap = float(np.abs(grads["torch_dz"] - grads["formula_dz"]).max())
    st.markdown(
        f"At the sliders, autograd's **dL/dh = {pt.torch_grad:.6g}**, the closed form "
        f"−y/h + (1−y)/(1−h) = **{pt.formula_grad:.6g}**. Through a sigmoid, h = σ(z), "
        f"autograd's |dL/dz| is at most {grads['torch_dz'].abs().max():.4f} over "
        f"z ∈ [{grads['z'].min():g}, {grads['z'].max():g}] and matches σ(z) − y to "
        f"{dz_gap:.1e}: bounded, which is one reason to end on logits."
    )
    chart(figs.bce_gradients(grads, y), "loss.bce.gradients")
    contract_tried("bce")

with tab_logits:
    contract("bce_with_logits")
    y_l = st.radio("label y", [0.0, 1.0], format_func="{:g}".format, horizontal=True,
                   key="loss.logits.y")  # fmt: skip
    lines = []
    sats = logits.saturation(y_l)
    for sat in sats:
        rounded = "rounds to exactly" if sat.sigmoid_is_exact_label else "is"
        lines.append(
            f"- **{sat.dtype}**, z = {sat.z:g}: σ(z) {rounded} {sat.sigmoid:.4g}; "
            f"`nn.Sigmoid()` + `nn.BCELoss()` returns **{sat.two_step:.6g}**"
            + (" (BCELoss's clamp)" if sat.clamp_hit else "")
            + f", `BCEWithLogitsLoss` **{sat.fused:.6g}**, the exact loss {sat.exact:.6g}."
        )
    fused_exact = all(agreeing_digits(sat.fused, sat.exact) >= 6 for sat in sats)
    lines.append(
        "\n`BCEWithLogitsLoss` is given z itself, not σ(z), and "
        + ("matched the exact loss in every dtype." if fused_exact else "missed the exact loss.")
    )
    st.markdown(f"A confidently wrong logit with y = {y_l:g}, tried now:\n" + "\n".join(lines))
    sweep = logits.sweep(y_l)
    parts = logits.partings(sweep)
    cols = st.columns(len(parts))
    for col, part in zip(cols, parts, strict=True):
        if part.z is None:
            col.success(f"{part.dtype}: sigmoid + BCELoss stays within 0.1 % over the sweep.")
        else:
            col.warning(
                f"**{part.dtype}**: sigmoid + BCELoss parts at z = {part.z:g}, returning "
                f"{part.loss:.6g} where the exact loss is {part.exact:.6g}. The fused loss's "
                f"worst error over the sweep: {part.fused_max_error:.1e}."
            )
    chart(figs.logit_sweep(sweep, parts, y_l), "loss.logits.sweep")
    st.subheader("pos_weight")
    p = st.slider("pos_weight", 0.1, 10.0, 3.0, 0.1, key="loss.logits.pos_weight")
    curves_pw = logits.pos_weight_curves(p)
    ratio = logits.pos_weight_ratios(curves_pw)
    st.markdown(
        f"With `pos_weight` = {p:g}, torch's loss at y = 1 is **{ratio[1.0]:.4g}×** the "
        f"unweighted one and at y = 0 **{ratio[0.0]:.4g}×**: each positive counts p times. "
        "With rare positives, p = negatives / positives balances the classes."
    )
    chart(figs.pos_weight(curves_pw), "loss.logits.pos_weight_chart")
    contract_tried("bce_with_logits")

with tab_ce:
    show_cross_entropy()

with tab_mse:
    contract("mse")
    c1, c2, c3 = st.columns(3)
    n = c1.slider("N, the batch size", 2, 12, 6, key="loss.mse.n")
    noise = c2.slider("model error (noise)", 0.0, 1.0, 0.3, 0.05, key="loss.mse.noise")
    seed = c3.number_input("seed", 0, 9999, 0, key="loss.mse.seed")
    bc = mse.broadcast(n, noise, int(seed))
    broken, fixed = st.columns(2)
    with broken:
        st.markdown("**Broken**: one output unit against labels straight from the dataset")
        st.code(f"pred.shape   = {bc.input_shape}\ntarget.shape = {bc.target_shape}\n"
                f"(pred - target).shape = {bc.diff_shape}\nnn.MSELoss()(pred, target)")  # fmt: skip
        if bc.wrong is not None:
            st.metric(
                "loss (wrong)",
                f"{bc.wrong:.6f}",
                f"formula {bc.wrong_formula:.6f}",
                delta_color="off",
                delta_arrow="off",
            )
        else:
            st.error(f"torch refused the mismatched shapes: {bc.wrong_error}")
        for text in bc.warnings:
            st.warning(f"torch warned: {text}", icon=":material/warning:")
        if bc.wrong is not None:
            cells = bc.diff_shape[0] * bc.diff_shape[1]
            mean_of_all = agreeing_digits(bc.wrong, bc.wrong_formula) >= 5
            st.caption(
                f"torch {'warned, then' if bc.warnings else 'said nothing and'} went on: "
                f"{bc.input_shape} against {bc.target_shape} broadcast to {bc.diff_shape}, "
                + (
                    f"and the loss is the mean of all {cells} cells below."
                    if mean_of_all
                    else f"and the loss is not the mean of the {cells} cells below."
                )
            )
    with fixed:
        st.markdown("**Fixed**: make the shapes equal")
        st.code(f"pred.squeeze(1).shape = {(n,)}\ntarget.shape          = {bc.target_shape}\n"
                "nn.MSELoss()(pred.squeeze(1), target)")  # fmt: skip
        st.metric("loss (right)", f"{bc.right:.6f}", f"formula {bc.right_formula:.6f}",
                  delta_color="off", delta_arrow="off")  # fmt: skip
        st.success("No warning." if not bc.fix_warnings else "; ".join(bc.fix_warnings))
    chart(figs.broadcast_heatmap(bc), "loss.mse.heatmap")
    contract_tried("mse")
