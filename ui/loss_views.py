"""The Loss Explorer's shared pieces: a loss's contract, torch's number beside the formula's."""

import numpy as np
import pandas as pd
import streamlit as st

from torchxp_core.loss_lab import contracts
from torchxp_core.loss_lab import cross_entropy as ce
from torchxp_core.losses import LOSSES


def contract(name: str) -> None:
    spec = LOSSES[name]
    st.latex(spec.latex)
    st.caption(f"**Contract:** {spec.contract}. [PyTorch docs]({spec.docs_url})")


def contract_tried(name: str) -> None:
    """The dtype and shape cases of ``contracts`` through this loss, and what torch did."""
    st.markdown(f"**Target dtypes and shapes, tried on this torch** ({LOSSES[name].label})")
    table = contracts.dtype_shape_table(name)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"torch says": st.column_config.TextColumn(width="large")},
    )
    st.caption(contracts.summary(name, table))


def numbers(*metrics: tuple[str, str]) -> None:
    """Numbers in a row, one column each: (label, value)."""
    for col, (label, value) in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(label, value)


def side_by_side(label: str, torch_value: float, formula_value: float, digits: int) -> None:
    """torch's number beside the formula's, printed to one digit past where they agree."""
    shown = max(4, min(digits + 1, 16))
    numbers(
        (f"torch {label}", f"{torch_value:.{shown}g}"),
        ("formula", f"{formula_value:.{shown}g}"),
        ("they agree to", f"{digits} digits" if digits < 16 else "every digit"),
    )


def with_formula(where, label: str, value: float, formula: float) -> None:
    """torch's value as a metric, the formula's value under it."""
    where.metric(
        label, f"{value:.6f}", f"formula {formula:.6f}", delta_color="off", delta_arrow="off"
    )


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, key=key, width="stretch")


def logit_editor(where, n_classes: int) -> np.ndarray:
    """An editable table of C logits (2 down to −1 to start), one row per class."""
    start = pd.DataFrame(
        {"class": np.arange(n_classes), "logit": np.round(np.linspace(2.0, -1.0, n_classes), 2)}
    )
    where.caption("Edit the logits:")
    edited = where.data_editor(
        start,
        key=f"loss.ce.logits.{n_classes}",
        disabled=["class"],
        hide_index=True,
        width="stretch",
        height=38 + 35 * n_classes,
    )
    return edited["logit"].to_numpy(float)


def ce_contract_tried(z: np.ndarray, target: int, n_classes: int) -> None:
    """CrossEntropyLoss's target contract on the edited logits: dtypes, classes out of range."""
    st.subheader("The contract, tried on this torch")
    wide = st.column_config.TextColumn(width="large")
    st.markdown("**Target dtypes** (class indices, shape (N,))")
    st.dataframe(
        ce.label_dtype_table([z], [target]), hide_index=True, column_config={"torch says": wide}
    )
    st.markdown(f"**Out-of-range classes** (C = {n_classes})")
    st.dataframe(ce.out_of_range(n_classes), hide_index=True, column_config={"result": wide})
    st.caption(ce.ignored_note(ce.ignored_sample(int(n_classes))))
