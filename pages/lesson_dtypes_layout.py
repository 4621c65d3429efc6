"""Lessons #1 and #2: data types (float32, long labels) and tensor layout ([B, C, H, W])."""

import pandas as pd
import streamlit as st

from torchxp_core.devices import available_devices, describe
from torchxp_core.figures import lessons as figs
from torchxp_core.lessons import dtypes, layout
from torchxp_core.loss_lab.cross_entropy import label_dtype_table
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
VERDICT = {
    "slower": "float32 was the faster of the two here",
    "faster": "**float64 was faster here**, against the note's rule",
    "unclear": "the two measures disagree, so neither is clearly faster on this machine now",
}
for name, timing in (("a matmul", matmul), ("a training step", step)):
    ratio = timing.ratio("float64", "float32")
    if ratio is not None:
        st.markdown(
            f"For {name}, float64 took **{ratio.pair_median:.2f}×** as long as float32 "
            f"(median of {ratio.pairs} back-to-back pairs; fastest call against fastest call: "
            f"**{ratio.of_minima:.2f}×**): {VERDICT[ratio.verdict]}."
        )
summary = pd.concat(
    [matmul.summary().assign(what="matmul"), step.summary().assign(what="training step")]
)
cols = ["what", "dtype", "median_ms", "q25_ms", "q75_ms", "min_ms", "max_ms"]
st.dataframe(
    summary[[*cols, "x_base_pairs", "x_base_min"]],
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
    st.code(f"RuntimeError: {mismatch.error}", language="text", wrap_lines=True)
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
np_view, torch_view, fixed_view = views[1], views[2], views[3]
st.markdown(
    f"`np.transpose(x, (0,3,1,2))` {'shares' if np_view.shares_memory else 'does not share'} "
    f"x's memory and {'is' if np_view.contiguous else 'is **not**'} contiguous; "
    f"`permute` {'shares' if torch_view.shares_memory else 'does not share'} it and "
    f"{'is' if torch_view.contiguous else 'is **not**'} contiguous: the strides are shuffled, "
    f"the data stays where it was. `.contiguous()` "
    f"{'copies it into the new order' if not fixed_view.shares_memory else 'keeps the memory'}."
)
st.dataframe(
    [vars(view) for view in views],
    hide_index=True,
    width="stretch",
    column_config={"strides": "strides (elements)", "shares_memory": "shares x's memory"},
)

cl = layout.channels_last(images, device)
to_cl = "returns x's own memory, nothing copied" if cl.to_channels_last_is_free else "copies"
to_nchw = "copies into NCHW order" if cl.contiguous_copies else "returns x's own memory"
conv_out = "itself channels_last" if cl.conv_output_channels_last else "in NCHW order"
st.markdown(
    f"`x.is_contiguous()` is **{cl.contiguous}**, but "
    f"`x.is_contiguous(memory_format=torch.channels_last)` is **{cl.channels_last}** "
    f"(strides `{list(cl.strides)}`)"
    + (": the permuted batch is what torch calls *channels_last*. " if cl.channels_last else ". ")
    + f"`x.contiguous(memory_format=torch.channels_last)` {to_cl}; plain `.contiguous()` "
    f"{to_nchw}. A Conv2d given x returns `{list(cl.conv_output_shape)}`, {conv_out}."
)

st.subheader("A Conv2d(3, 8, 3) fed each layout")
silent = layout.conv_silent_nonsense(device)
for attempt in layout.conv_wrong_layout(images, device) + silent:
    if attempt.error:
        st.markdown(f"**{attempt.label}**, input `{list(attempt.input_shape)}`:")
        st.code(f"RuntimeError: {attempt.error}", language="text", wrap_lines=True)
    else:
        st.markdown(
            f"**{attempt.label}**: input `{list(attempt.input_shape)}` → "
            f"output `{list(attempt.output_shape)}`, no error."
        )
wrong, right = silent
_, h, w, c = wrong.input_shape
if wrong.error is None:
    st.warning(
        f"With {h}-pixel-high strips, H = C = {c}, and the wrong layout ran without an error: "
        f"the conv read the {h} rows as colour channels, the {w} columns as rows and the {c} "
        f"colours as columns, and returned `{list(wrong.output_shape)}` where the right layout "
        f"gives `{list(right.output_shape)}`: a plausible shape that means nothing."
    )
else:
    st.info(f"With {h}-pixel-high strips (H = {h}, C = {c}) torch refused the wrong layout too.")
mixup = layout.reshape_mixup(images)
st.markdown(
    "The other mistake is `reshape(B, C, H, W)` instead of `permute`: "
    + (
        f"the shape is the same, no error, and {mixup.fraction_moved:.0%} of the values differ "
        "from permute's."
        if mixup.same_shape and not mixup.same_values
        else f"here the shapes {'match' if mixup.same_shape else 'differ'} and the values "
        f"{'match' if mixup.same_values else 'differ'}."
    )
)
st.plotly_chart(
    figs.channel_planes_figure(layout.reshape_vs_permute(images)), key="dl_planes", width="stretch"
)
