"""Lessons #1 and #2: data types (float32, long labels) and tensor layout ([B, C, H, W])."""

import pandas as pd
import streamlit as st

from torchxp_core.devices import available_devices, describe
from torchxp_core.figures import lessons as figs
from torchxp_core.lessons import dtypes, layout
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("Data types & layout")
st.markdown(
    "The note's first two rules: **models are float32, class labels are int64**, and "
    "**a CNN wants `[B, C, H, W]`** while images usually come as `[B, H, W, C]`. "
    "Everything below is run by the installed torch on the device you pick, every time "
    "the page runs; errors are torch's own words."
)
device = st.selectbox("Device", available_devices(), format_func=describe, key="dl_device")

st.header("1 · float32 vs float64")
c1, c2, c3 = st.columns(3)
size = c1.select_slider("Matrix size (n × n)", [64, 128, 256, 512, 1024], value=256)
batch = c2.select_slider("Training batch", [32, 64, 128, 256, 512, 1024], value=256)
repeats = c3.slider("Repeats", 5, 50, 15)
try:
    matmul = dtypes.time_matmul(device, size=size, repeats=repeats)
    step = dtypes.time_train_step(device, batch=batch, repeats=repeats)
except ValueError as exc:
    st.error(str(exc))
    st.stop()
left, right = st.columns(2)
left.plotly_chart(
    figs.timing_figure(matmul.times, "dtype", f"a @ b, {size}×{size}"),
    key="dl_matmul",
    width="stretch",
)
right.plotly_chart(
    figs.timing_figure(step.times, "dtype", f"one training step, MLP 64-256-256-10, batch {batch}"),
    key="dl_step",
    width="stretch",
)
for name, timing in (("matmul", matmul), ("training step", step)):
    for dtype, message in timing.errors.items():
        st.error(f"{dtype} {name} failed on {device}: {message}")
summary = pd.concat(
    [matmul.summary().assign(what="matmul"), step.summary().assign(what="training step")]
)
st.dataframe(
    summary[["what", "dtype", "median_ms", "q25_ms", "q75_ms", "min_ms", "max_ms", "x_fastest"]],
    hide_index=True,
    column_config={"x_fastest": st.column_config.NumberColumn("× fastest", format="%.2f")},
)
st.caption(
    f"{repeats} timed calls per dtype after 3 warm-up calls, the dtypes taking turns so that "
    "load from elsewhere hits both alike; the device is synchronised before and after every "
    f"call, so GPU times are work, not launches. torch used {matmul.threads} CPU thread(s). "
    "Box: quartiles; line: median; dots: every call. On a busy machine a call also waits for "
    "the CPU, which inflates medians and spread; the minimum is closest to the work itself."
)

left, right = st.columns(2)
left.plotly_chart(figs.element_size_figure(dtypes.element_sizes()), key="dl_mem", width="stretch")
with right:
    st.subheader("Defaults, as torch and numpy pick them")
    st.dataframe(dtypes.defaults(), hide_index=True, width="stretch")

st.subheader("float64 data into a float32 model")
mismatch = dtypes.float64_into_float32_model(device)
st.markdown(
    f"`torch.from_numpy` keeps numpy's `{mismatch.input_dtype}`; the layer's weight is "
    f"`{mismatch.weight_dtype}`."
)
if mismatch.error:
    st.code(f"RuntimeError: {mismatch.error}", language="text", wrap_lines=True)
else:
    st.info("The installed torch ran this without an error.")
st.markdown(f"With `x.float()` first, the output is `{mismatch.fixed_output_dtype}`.")

st.subheader("Which label dtypes does CrossEntropyLoss accept today?")
st.caption("Labels of shape (N,) as class indices, logits (N, C) float32, tried just now.")
st.dataframe(dtypes.ce_label_dtypes(device), hide_index=True, width="stretch")

st.header("2 · [B, H, W, C] vs [B, C, H, W]")
images = layout.colour_batch()
st.plotly_chart(
    figs.image_batch_figure(
        images, f"A colour batch stored channels-last: x.shape = {images.shape}"
    ),
    key="dl_images",
    width="stretch",
)
st.markdown(
    "Both `np.transpose(x, (0,3,1,2))` and `torch.permute` only relabel the axes: the data "
    "stays where it was, so the strides are shuffled and the result is **not contiguous**. "
    "`.contiguous()` copies it into the new order."
)
st.dataframe(
    [vars(view) for view in layout.layouts(images)],
    hide_index=True,
    width="stretch",
    column_config={"strides": "strides (elements)", "shares_memory": "shares x's memory"},
)

st.subheader("A Conv2d(3, 8, 3) fed each layout")
for attempt in layout.conv_wrong_layout(images, device) + layout.conv_silent_nonsense(device):
    if attempt.error:
        st.markdown(f"**{attempt.label}**, input `{list(attempt.input_shape)}`:")
        st.code(f"RuntimeError: {attempt.error}", language="text", wrap_lines=True)
    else:
        st.markdown(
            f"**{attempt.label}**: input `{list(attempt.input_shape)}` → "
            f"output `{list(attempt.output_shape)}`, no error."
        )
st.warning(
    "With 3-pixel-high strips (H = C = 3) the wrong layout runs silently: the conv reads rows "
    "as colours and colours as columns, and its output shape looks plausible."
)
st.markdown(
    "The other silent mistake is `reshape(B, C, H, W)` instead of `permute`: the shape is "
    "right, the pixels are not."
)
st.plotly_chart(
    figs.channel_planes_figure(layout.reshape_vs_permute(images)), key="dl_planes", width="stretch"
)
