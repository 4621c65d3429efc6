"""The expression playground's widgets and sentences: an example's inputs, backward, rules."""

import pandas as pd
import streamlit as st

from torchxp_core import autograd_examples as ax


def inputs(key: str) -> tuple[dict, dict, str | None]:
    """Example ``key``'s numbers, requires_grad switches and variant, as widgets."""
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
    return values, requires, option


def outcome(played: ax.Played) -> None:
    """torch's refusal of a step, then what backward did (when it was asked for)."""
    built = played.built
    if built.error:
        st.error(f"torch refused a step of this example: {built.error}")
    if played.backward_error:
        st.error(
            f"`{built.output}.backward()` failed with torch's own message: {played.backward_error}"
        )
    elif played.backward_error == "":
        st.success(f"`{built.output}.backward()` ran: the `.grad` column is filled.")


def rules(r: ax.Rules) -> None:
    """A second backward without retain_graph, and gradients adding up, as torch did them."""
    st.subheader("The rules, as they happen")
    if r.first_error:
        st.info(f"backward() cannot run on this variant at all: {r.first_error}")
        return
    second = "**A second `backward()` without `retain_graph=True`**"
    if r.second_error:
        st.markdown(f"{second} failed; torch says:")
        st.error(r.second_error)
    elif r.saved == 0:
        st.markdown(
            f"{second} ran without an error here: no op in this graph saved a tensor for "
            "backward, so the first call had nothing to free."
        )
    else:
        st.markdown(
            f"{second} ran without an error here: the ops saved {r.saved} tensor(s) for "
            "backward; torch ran it anyway."
        )
    if r.accumulation_error:
        st.error(r.accumulation_error)
        return
    st.markdown(
        "**Gradients add up**: two `backward(retain_graph=True)` calls, no `zero_grad()` "
        "between them, and every `.grad` after the second is twice the first:"
        if r.doubled
        else "Two `backward(retain_graph=True)` calls, no `zero_grad()` between them:"
    )
    st.dataframe(pd.DataFrame(r.accumulation), hide_index=True, key="ag.accumulate")
