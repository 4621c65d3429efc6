"""The sidebar's "Your CSV" settings: upload, target and feature columns, task.

The file is checked when it arrives (``tables.parse``) and kept in the data folder under its
content hash; the settings hold only the hash, so links and stored runs stay small. A file
that cannot be used is a sentence here, and the table chosen before stays.
"""

import streamlit as st

from torchxp_core import tables
from torchxp_core.losses import CLASSIFICATION, REGRESSION
from ui import settings, text

TASKS = {"": "inferred from the target", CLASSIFICATION: CLASSIFICATION, REGRESSION: REGRESSION}


def _receive() -> None:
    upload = st.session_state.get("data.upload")
    if upload is None:
        return
    try:
        raw = upload.getvalue()
        frame = tables.parse(raw)
        digest = tables.save(raw, tables.data_folder())
    except tables.TableError as exc:
        st.session_state["data.upload_error"] = str(exc)
        return
    except OSError as exc:
        st.session_state["data.upload_error"] = f"The table could not be stored: {exc.strerror}."
        return
    numeric = tables.numeric_columns(frame)
    target = frame.columns[-1]  # most tables put what they predict last
    settings.put_all(
        {
            "data.table": digest,
            "data.table_name": upload.name,
            "data.target": target,
            "data.features": [c for c in numeric if c != target],
            "data.task": "",
        }
    )
    st.session_state.pop("data.upload_error", None)


def section() -> dict:
    """The CSV's settings as DataConfig fields ({} until a table is uploaded)."""
    st.file_uploader(
        "CSV file (UTF-8, a header row, at most 20 MB)",
        type=["csv"],
        key="data.upload",
        on_change=_receive,
    )
    if error := st.session_state.get("data.upload_error"):
        st.error(text.plain(error))
    digest = settings.get("data.table")
    if not digest:
        st.caption("Upload a table to train on it.")
        return {}
    try:
        frame = tables.load(digest, tables.data_folder())
    except tables.TableError as exc:
        st.error(text.plain(str(exc)))
        return {"table": digest}
    name = st.session_state.get("data.table_name", "your table")
    st.caption(
        f"{text.plain(name)}: {len(frame):,} rows × {frame.shape[1]} columns. The file stays on "
        "this server: a link to these settings works here, but the data do not travel in it."
    )
    columns = list(frame.columns)
    target = settings.select("Target (to predict)", "data.target", columns)
    numeric = [c for c in tables.numeric_columns(frame) if c != target]
    features = settings.widget(st.multiselect, "Features", "data.features", options=numeric)
    task = settings.select("Task", "data.task", list(TASKS), TASKS)
    if task == "":
        st.caption(f"Inferred: {tables.infer_task(frame[target])}.")
    try:
        dropped = tables.stored_arrays(digest, target, tuple(features), task).dropped
    except tables.TableError:
        dropped = 0  # the settings' own error says what is wrong
    if dropped:
        st.caption(f"{dropped} row(s) with a missing value are left out.")
    return {"table": digest, "target": target, "features": tuple(features), "task": task}
