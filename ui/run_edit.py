"""One stored run on the Runs page: rename and tag it, open it in the lab, export it as a
script, delete it. Renaming or deleting a run another tab started asks first, naming that tab."""

from collections.abc import Callable

import streamlit as st

from torchxp_core import retrain_script
from torchxp_core.history import HistoryStore, HistoryUnavailable, StoredRun
from torchxp_core.runner import ACTIVE
from ui import history_state, share, text
from ui.state import whose

OPEN_HELP = "A run on this server opens live; an older one loads its settings into the sidebar."


def show(db: HistoryStore, one: StoredRun) -> None:
    recorder = history_state.recorder()
    live = recorder.live_runs() if recorder else {}
    # '' when this tab started the run; else whose it is, and renaming or deleting asks first.
    owner = whose(live[one.id].owner if one.id in live else None)
    edit = st.columns([2, 2, 1])
    name = edit[0].text_input("Name", one.name, key=f"runs.name.{one.id}", max_chars=120)
    tags = edit[1].text_input(
        "Tags (comma-separated)", ", ".join(one.tags), key=f"runs.tags.{one.id}"
    )

    def save() -> None:
        db.rename(one.id, name.strip() or one.name)
        db.set_tags(one.id, tags.split(","))

    if edit[2].button("Save", icon=":material/save:", key="runs.save"):
        if owner:
            _ask("runs.save", one.id)
        else:
            _write(save)
    question = (
        f"**{text.plain(one.name)}** ({one.id}) was {owner}. Rename it anyway? Every tab "
        "sees the new name and tags."
    )
    if _answered_yes("runs.save", one.id, question, "Yes, save"):
        _write(save)

    acts = st.columns(4)
    if acts[0].button(
        "Open in the Lab", icon=":material/open_in_new:", key="runs.open", help=OPEN_HELP
    ):
        if one.id in live:
            st.session_state["lab.run_id"] = live[one.id].id
        else:
            share.load_stored(one.settings, one.name)  # checked as a link is; the lab says what not
        st.switch_page("pages/training_lab.py")
    with acts[1]:
        _script_download(one)
    if acts[3].button(
        "Delete…", icon=":material/delete:", key="runs.delete", disabled=one.status in ACTIVE
    ):
        _ask("runs.delete", one.id)
    whose_run = f" It was {owner}." if owner else ""
    question = (
        f"Delete **{text.plain(one.name)}** ({one.id}) and all its metrics for good?{whose_run}"
    )
    if _answered_yes("runs.delete", one.id, question, "Yes, delete"):
        _write(lambda: db.delete(one.id))


def _script_download(one: StoredRun) -> None:
    """'Export as script', or script + CSV in a zip for a run on an uploaded CSV, or why not."""
    trained = one.epochs_trained
    cannot = retrain_script.export_problem(one.settings)  # a run on a CSV needs its stored file
    if cannot:
        st.caption(f"No script for this run: {text.plain(cannot)}")
    elif retrain_script.reads_table(one.settings):  # the script reads the CSV from beside it
        st.download_button(
            "Export script + CSV",
            lambda: retrain_script.bundle(one.settings, one.name, trained),
            f"{one.id}.zip",
            "application/zip",
            icon=":material/code:",
            key="runs.script",
            help="run.py and the uploaded CSV it reads from beside it; needs only torch, numpy "
            "and scikit-learn, and prints this run's losses.",
        )
    else:  # a download that fails is a file saying why
        script = history_state.file_or_sentence(
            lambda: retrain_script.script(one.settings, one.name, trained)
        )
        st.download_button(
            "Export as script",
            script,
            f"{one.id}.py",
            "text/x-python",
            icon=":material/code:",
            key="runs.script",
            help="A standalone file needing only torch and scikit-learn; it prints this run's "
            "losses.",
        )


def _ask(key: str, run_id: str) -> None:
    """Ask the question of ``key`` about this run below, until it is answered."""
    st.session_state[f"{key}.asked"] = run_id


def _answered_yes(key: str, run_id: str, question: str, yes: str) -> bool:
    """The question asked with ``_ask``, Yes and Cancel under it; True once Yes is clicked."""
    if st.session_state.get(f"{key}.asked") != run_id:
        return False
    st.warning(question)
    left, right = st.columns([1, 6])
    if left.button(yes, type="primary", key=f"{key}.yes"):
        st.session_state.pop(f"{key}.asked")
        return True
    if right.button("Cancel", key=f"{key}.no"):
        st.session_state.pop(f"{key}.asked")
        st.rerun()
    return False


def _write(change: Callable[[], None]) -> None:
    """Change the store, then rerun to show it; a store that cannot be written says why."""
    try:
        change()
    except HistoryUnavailable as exc:
        st.error(str(exc))
    else:
        st.rerun()
