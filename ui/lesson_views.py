"""The lesson pages' shared pieces: the device picker, torch's error as torch wrote it, and a
call that either ran (input → output shape) or was refused."""

import streamlit as st

from torchxp_core.devices import available_devices, describe


def device(key: str, where=st) -> str:
    """The device every experiment of the page runs on."""
    return where.selectbox("Device", available_devices(), format_func=describe, key=key)


def torch_error(message: str, kind: str = "RuntimeError") -> None:
    """torch's own words, as the traceback's last line shows them."""
    st.code(f"{kind}: {message}", language="text", wrap_lines=True)


def attempt(label: str, input_shape, output_shape, error: str | None) -> None:
    """One call: its input's shape, then the output's shape or torch's error."""
    if error:
        st.markdown(f"**{label}**, input `{list(input_shape)}`:")
        torch_error(error)
    else:
        st.markdown(
            f"**{label}**: input `{list(input_shape)}` → output `{list(output_shape)}`, no error."
        )
