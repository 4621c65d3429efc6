"""Lessons #3 and #4: model.train() / model.eval(), zero_grad(), and grad mode."""

import streamlit as st

from torchxp_core.figures import lessons as figs
from torchxp_core.lessons import grads, modes
from ui import lesson_views
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("train/eval & gradients")
st.markdown(
    "`model.train()` and `model.eval()` switch Dropout and BatchNorm between their two "
    "behaviours; `backward()` **adds** into `.grad`, so each batch starts with "
    "`optimizer.zero_grad()`; and validation needs no graph: "
    "`torch.set_grad_enabled(phase == 'train')`. Each experiment runs now, on your device."
)
device = lesson_views.device("mg_device")

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
st.markdown(modes.dropout_note(mask))

stats = modes.batchnorm_stats(device, shift=shift)
left, right = st.columns(2)
left.plotly_chart(figs.batchnorm_stats_figure(stats), key="mg_bn", width="stretch")
right.markdown(modes.batchnorm_note(modes.batchnorm_uses(device, shift=shift)))
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
st.caption(modes.drift_note(drift))

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
right.caption(grads.accumulation_note(acc))

st.subheader("What zero_grad() leaves in .grad")
zeroing = grads.zero_grad_effects(device)
st.dataframe(zeroing, hide_index=True, width="stretch")
st.markdown(grads.zero_grad_note(zeroing))

st.subheader("Outputs under each grad mode")
modes_table = grads.grad_modes(device)
st.dataframe(
    modes_table,
    hide_index=True,
    width="stretch",
    column_config={"backward()": st.column_config.TextColumn("y.sum().backward()", width="large")},
)
st.markdown(grads.eval_only_note(modes_table))

st.subheader("A leaf moved with .double() or .to() is a new tensor")
leaves = grads.moved_leaf(device)
st.dataframe(leaves, hide_index=True, width="stretch")
if note := grads.moved_leaf_note(leaves):
    st.markdown(note)

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
if note := grads.cuda_peak_note(cost):
    st.markdown(note)
