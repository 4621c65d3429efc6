"""Lessons #3 and #4: model.train() / model.eval(), zero_grad(), and grad mode."""

import streamlit as st

from torchxp_core.devices import available_devices, describe
from torchxp_core.figures import lessons as figs
from torchxp_core.lessons import grads, modes
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("train/eval & gradients")
st.markdown(
    "`model.train()` and `model.eval()` switch Dropout and BatchNorm between their two "
    "behaviours; `backward()` **adds** into `.grad`, so each batch starts with "
    "`optimizer.zero_grad()`; and validation needs no graph: "
    "`torch.set_grad_enabled(phase == 'train')`. Each experiment runs now, on your device."
)
device = st.selectbox("Device", available_devices(), format_func=describe, key="mg_device")

st.header("3 · train mode vs eval mode")
c1, c2, c3 = st.columns(3)
p = c1.slider("Dropout p", 0.0, 0.9, 0.5, step=0.05)
calls = c2.slider("Calls with the same input", 2, 10, 5)
shift = c3.slider("Validation data mean (BatchNorm saw mean 0)", -5.0, 5.0, 3.0, step=0.5)
try:
    outputs = modes.outputs_by_mode(p=p, calls=calls, device=device)
    mask = modes.dropout_mask(p=p, device=device)
except ValueError as exc:
    st.error(str(exc))
    st.stop()
st.plotly_chart(figs.outputs_by_mode_figure(outputs), key="mg_outputs", width="stretch")
spread = modes.call_spread(outputs)
st.caption(
    "Largest difference between calls for one sample: "
    f"train mode {spread['train']:.4g}, eval mode {spread['eval']:.4g}."
)
st.plotly_chart(figs.dropout_mask_figure(mask), key="mg_mask", width="stretch")
st.markdown(
    f"In train mode torch kept **{mask.kept_fraction:.0%}** of the units at p = {mask.p:g} and "
    f"scaled the kept ones by **{', '.join(f'{v:.4g}' for v in mask.kept_values) or 'nothing'}**"
    f"; 1/(1−p) = {mask.expected_scale:.4g}, the scale that keeps the expected output equal to "
    "the input. Eval mode "
    + (
        "returned the input unchanged."
        if mask.eval_is_identity
        else "changed the input too (see the right panel)."
    )
)

stats = modes.batchnorm_stats(device, shift=shift)
left, right = st.columns(2)
left.plotly_chart(figs.batchnorm_stats_figure(stats), key="mg_bn", width="stretch")
STATS = {"batch": "**this batch's** mean and variance", "running": "the **running** ones"}
uses = modes.batchnorm_uses(device, shift=shift)
right.markdown(
    f"Recomputed from each candidate, torch's output in train mode used "
    f"{STATS.get(uses['train'], 'neither')}, and in eval mode "
    f"{STATS.get(uses['eval'], 'neither')}. Mean of BatchNorm's output on this batch:"
)
right.dataframe(
    stats[["feature", "output mean (train mode)", "output mean (eval mode)"]],
    hide_index=True,
    column_config={
        "output mean (train mode)": "train mode",
        "output mean (eval mode)": "eval mode",
    },
)
drift = modes.running_stats_drift(passes=20, shift=shift, device=device)
st.plotly_chart(figs.running_stats_figure(drift, shift), key="mg_drift", width="stretch")
moved = modes.drift_summary(drift)
(eval_start, eval_end), (train_start, train_end) = moved["eval"], moved["train"]
st.caption(
    "Every validation pass here ran under `torch.no_grad()`. In eval mode the running mean went "
    f"from {eval_start:.3g} to {eval_end:.3g}; in train mode from {train_start:.3g} to "
    f"{train_end:.3g}"
    + (
        ": the running statistics are buffers, not gradients, so no_grad does not protect them, "
        "and the model then meets the training data with statistics learnt on validation data. "
        if train_end != train_start
        else ". "
    )
    + f"BatchNorm's momentum is {modes.batchnorm_momentum():g}: "
    "running ← (1 − m)·running + m·batch."
)

st.header("4 · zero_grad() and grad mode")
c1, c2 = st.columns(2)
steps = c1.slider("backward() calls", 2, 30, 10)
k = c2.select_slider("Micro-batches k (of a batch of 32)", [1, 2, 4, 8, 16, 32], value=4)
left, right = st.columns(2)
left.plotly_chart(
    figs.grad_growth_figure(grads.accumulate_without_zeroing(steps, device)),
    key="mg_growth",
    width="stretch",
)
acc = grads.accumulation_done_right(k=k, device=device)
right.plotly_chart(figs.accumulation_figure(acc), key="mg_acc", width="stretch")
right.caption(
    f"Largest |full batch − accumulated| = {acc.max_abs_diff:.2g}; float32's step at the largest "
    f"gradient entry is {acc.spacing:.2g}. Without dividing each micro-batch loss by k the sum "
    f"is **{acc.undivided_ratio:.4g}×** the full-batch gradient (k = {acc.k}); accumulating on "
    "purpose means zeroing after the step, not before each micro-batch."
)

st.subheader("What zero_grad() leaves in .grad")
zeroing = grads.zero_grad_effects(device)
st.dataframe(zeroing, hide_index=True, width="stretch")
after = zeroing.set_index("call")["weight.grad after"]
st.markdown(
    f"`optimizer.zero_grad()` left `.grad` as **{after['optimizer.zero_grad()']}**"
    + (
        ": it sets gradients to None by default, not to zeros; the next backward then writes "
        "a fresh tensor instead of adding. Code that reads `.grad` between the two must "
        "expect None, or pass `set_to_none=False`."
        if after["optimizer.zero_grad()"] == "None"
        else "."
    )
)

st.subheader("Outputs under each grad mode")
modes_table = grads.grad_modes(device)
st.dataframe(
    modes_table,
    hide_index=True,
    width="stretch",
    column_config={"backward()": st.column_config.TextColumn("y.sum().backward()", width="large")},
)
eval_row = modes_table.set_index("context").loc["model.eval() only (grad enabled)"]
st.markdown(
    "`model.eval()` alone "
    + (
        f"still built a graph (`grad_fn` = `{eval_row['grad_fn']}`): eval mode switches Dropout "
        "and BatchNorm, not autograd, so validation also needs `torch.no_grad()` or "
        "`set_grad_enabled(False)`."
        if eval_row["requires_grad"]
        else "built no graph here."
    )
)

st.subheader("A leaf moved with .double() or .to() is a new tensor")
leaves = grads.moved_leaf(device)
WARNING = "torch's warning"
st.dataframe(leaves, hide_index=True, width="stretch")
lost = leaves[~leaves["is_leaf"]]
if len(lost):
    first = lost.iloc[0]
    st.markdown(
        f"{len(lost)} of these are not leaves (`grad_fn` = `{first['grad_fn']}`): backward left "
        f"their `.grad` {first['w.grad after backward']}, torch warned *{first[WARNING]}*, and "
        f"the optimizer said *{first['torch.optim.SGD([w])']}*. Make the tensor in its final "
        "dtype and device, then ask for grad."
    )

st.subheader("What a validation pass saves without a graph")
batch = st.select_slider("Validation batch", [64, 128, 256, 512, 1024, 2048], value=512)
cost = grads.validation_cost(device, batch=batch)
st.plotly_chart(figs.validation_cost_figure(cost), key="mg_cost", width="stretch")
st.dataframe(cost.saved, hide_index=True)
st.caption(
    "Memory measured with `torch.autograd.graph.saved_tensors_hooks`: the bytes of every "
    "storage autograd saves for backward during one forward of a 64-512-512-10 MLP, each "
    "storage once. Parameters it saves are in memory anyway; activation bytes are what the "
    "graph adds."
)
if cost.cuda_peak_bytes:
    st.markdown(
        "CUDA peak memory above the start while the output lives: "
        + ", ".join(f"{m}: **{b / 2**20:.2f} MiB**" for m, b in cost.cuda_peak_bytes.items())
    )
