"""Lessons #1 and #2: data types (float32, long labels) and tensor layout ([B, C, H, W])."""

import streamlit as st

from torchxp_core.figures import lessons as figs
from torchxp_core.lessons import dtypes, layout
from torchxp_core.loss_lab.cross_entropy import label_dtype_table
from ui import lesson_views
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("Data types & layout")
st.markdown(
    "The note's first two rules: **models are float32, class labels are int64**, and "
    "**a CNN wants `[B, C, H, W]`** while images usually come as `[B, H, W, C]`. "
    "Everything below is run by the installed torch on the device you pick, every time "
    "the page runs; errors are torch's own words."
)
device = lesson_views.device("dl_device")

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
timings = {"matmul": matmul, "training step": step}
for message in dtypes.error_notes(timings, device):
    st.error(message)
for what, timing in timings.items():
    if note := dtypes.ratio_note(f"a {what}", timing):
        st.markdown(note)
st.dataframe(
    dtypes.summary_table(timings),
    hide_index=True,
    column_config={
        "x_base_pairs": st.column_config.NumberColumn("× float32, pairs", format="%.2f"),
        "x_base_min": st.column_config.NumberColumn("× float32, fastest", format="%.2f"),
    },
)
st.caption(
    f"{repeats} timed calls per dtype after 3 warm-up calls. The dtypes take turns, in an order "
    "that flips every round, so each round is a pair timed back to back under the same load; "
    "the ratios come from those pairs and from the fastest calls, not from the two medians, "
    "which load from elsewhere can skew either way. The device is synchronised before and "
    f"after every call, so GPU times are work, not launches. torch used {matmul.threads} CPU "
    "thread(s). Box: quartiles; line: median; dots: every call."
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
    lesson_views.torch_error(mismatch.error)
else:
    st.info("The installed torch ran this without an error.")
st.markdown(f"With `x.float()` first, the output is `{mismatch.fixed_output_dtype}`.")

st.subheader("Which label dtypes does CrossEntropyLoss accept today?")
st.caption("Labels of shape (N,) as class indices, logits (N, C) float32, tried just now.")
st.dataframe(label_dtype_table(device=device), hide_index=True, width="stretch")

st.header("2 · [B, H, W, C] vs [B, C, H, W]")
images = layout.colour_batch()
st.plotly_chart(
    figs.image_batch_figure(
        images, f"A colour batch stored channels-last: x.shape = {images.shape}"
    ),
    key="dl_images",
    width="stretch",
)
views = layout.layouts(images)
st.markdown(layout.memory_note(views))
st.dataframe(
    [vars(view) for view in views],
    hide_index=True,
    width="stretch",
    column_config={"strides": "strides (elements)", "shares_memory": "shares x's memory"},
)
st.markdown(layout.channels_last_note(layout.channels_last(images, device)))

st.subheader("A Conv2d(3, 8, 3) fed each layout")
silent = layout.conv_silent_nonsense(device)
for tried in layout.conv_wrong_layout(images, device) + silent:
    lesson_views.attempt(tried.label, tried.input_shape, tried.output_shape, tried.error)
ran, note = layout.silent_note(silent)
if ran:
    st.warning(note)
else:
    st.info(note)
st.markdown(layout.mixup_note(layout.reshape_mixup(images)))
st.plotly_chart(
    figs.channel_planes_figure(layout.reshape_vs_permute(images)), key="dl_planes", width="stretch"
)
