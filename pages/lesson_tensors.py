"""Lesson #9: which ways of making a tensor from a numpy array copy it, and which share it."""

import streamlit as st

from torchxp_core.figures import lessons as figs
from torchxp_core.lessons import creation
from ui import lesson_views
from ui.navigation import ensure_app

ensure_app()  # first: a deep link on a fresh server reruns inside app.py

st.title("Creating tensors")
st.markdown(
    "The note: `torch.tensor` always copies; `torch.from_numpy` and `torch.as_tensor` share "
    "the array's memory as long as neither the dtype nor the device changes. Here the "
    "installed torch is asked, not quoted: we build each tensor from "
    "`a = np.arange(n, dtype=np.float32)`, write "
    f"`a[0] = {creation.NEW_VALUE:g}`, and look at every tensor's first element and its "
    "`data_ptr()`."
)
c1, c2 = st.columns(2)
device = lesson_views.device("ct_device", c1)
size = c2.number_input("Array length n", min_value=1, max_value=1000, value=4, step=1)
if device == "cpu":
    st.caption("Pick a GPU device, where one exists, to add `as_tensor(a, device=...)`.")
try:
    table = creation.mutation_table(device, size=int(size))
except ValueError as exc:
    st.error(str(exc))
    st.stop()

st.plotly_chart(figs.mutation_figure(table), key="ct_mutation", width="stretch")
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "same data_ptr": st.column_config.CheckboxColumn("same data_ptr()"),
        "changed": st.column_config.CheckboxColumn("changed"),
    },
)
shared = table.loc[table["changed"], "expression"].tolist()
copied = table.loc[~table["changed"], "expression"].tolist()
st.markdown(
    "**Share the array's memory** (they changed): "
    + (", ".join(f"`{e}`" for e in shared) or "none")
    + "  \n**Own copies** (unchanged): "
    + (", ".join(f"`{e}`" for e in copied) or "none")
)
verdict = creation.verdicts(table)
st.info(
    f"`as_tensor` with a dtype change ({verdict['dtype change']}) and with no change "
    f"({verdict['no change']}); with a device change: {verdict['device change']}. "
    f"The note says `torch.Tensor(a)`, the class, always copies; here it {verdict['Tensor']}."
)

st.header("torch.Tensor, the class, is not torch.tensor")
calls = creation.tensor_class_calls()
st.caption(
    "`a = np.array([" + ", ".join(f"{v:.10g}" for v in creation.FLOAT64_VALUES) + "])`, "
    "float64. *aten ops* are the operations torch dispatched for each call."
)
st.dataframe(calls, hide_index=True, width="stretch")
row = calls.set_index("expression")
cls, fac, size = row.loc["torch.Tensor(a)"], row.loc["torch.tensor(a)"], row.loc["torch.Tensor(3)"]
st.markdown(
    f"On a float64 array, `torch.Tensor(a)` gives **{cls['dtype']}** "
    + ("(a copy, cast: see the digits)" if not cls["shares a's memory"] else "sharing a's memory")
    + f"; `torch.tensor(a)` keeps **{fac['dtype']}**. `torch.Tensor(3)` is not the number 3: "
    f"it has shape `{size['shape']}`"
    + (
        ", made by `aten.empty`, so its values are whatever that memory held before "
        "(uninitialised), like `torch.empty(3)`."
        if "empty" in size["aten ops"]
        else f", made by `{size['aten ops']}`."
    )
)

st.header("from_numpy at the edges")
for case in creation.from_numpy_edge_cases():
    label = {"error": "refused", "warning": "warned", "tensor": "made a tensor"}[case.outcome]
    shares = "" if case.shares_memory is None else f", shares memory: **{case.shares_memory}**"
    st.markdown(f"**{case.case}**: torch {label}{shares}.")
    if case.message:
        lesson_views.torch_error(case.message, case.kind)
    if case.note:
        st.caption(case.note)
st.caption(
    "Fixes: `np.array(a)` or `a.copy()` gives a writable array; "
    "`a.astype(a.dtype.newbyteorder('='))` gives native byte order."
)
