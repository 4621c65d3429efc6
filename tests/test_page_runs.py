"""The Runs page in AppTest: table, filters, compare charts, rename, delete, reopen, bad db."""

import json

import numpy as np
import pytest
import streamlit as st
from runs_helpers import tiny_config
from streamlit.testing.v1 import AppTest

from torchxp_core.history import HistoryStore

TIMEOUT = 60


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh history folder, and no store or recorder cached from another test."""
    monkeypatch.setenv("TORCHXP_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()  # stops the recorder (on_release) and the registry's runs


def _store_runs(folder) -> list[str]:
    store = HistoryStore(folder)
    specs = [
        ("adam-fast", 0.1, 0, "finished"),
        ("adam-slow", 0.001, 0, "finished"),
        ("adam-fast-seed1", 0.1, 1, "running"),
    ]
    for i, (name, lr, seed, status) in enumerate(specs):
        run_id = f"r{i}"
        store.add_run(run_id, name, tiny_config(lr=lr, seed=seed).to_dict(), started_at=100.0 + i)
        loss = np.geomspace(1.0, 0.05 + lr, 40).astype(np.float32)
        records = [
            {
                "epoch": e,
                "step": 10 * e,
                "elapsed_s": 0.1 * e,
                "train_loss": float(loss[10 * e]),
                "train_accuracy": 0.5 + 0.1 * e,
                "val_loss": float(loss[10 * e]) + 0.01,
                "val_accuracy": 0.5 + 0.1 * e,
            }
            for e in (1, 2, 3)
        ]
        ended = None if status == "running" else 110.0 + i
        seconds = np.arange(40, dtype=np.float32) * 0.01
        store.append(run_id, 0, loss, seconds, records, status=status, ended_at=ended)
    store.close()
    return ["r0", "r1", "r2"]


def _page() -> AppTest:
    at = AppTest.from_file("../pages/runs.py", default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_lists_runs_and_overlays_the_chosen_ones(data_dir):
    _store_runs(data_dir)
    at = _page()
    assert at.title[0].value == "Runs"
    table = at.dataframe[0].value
    assert len(table) == 3 and set(table["name"]) == {"adam-fast", "adam-slow", "adam-fast-seed1"}
    # Stored as running by a server that is gone: shown as interrupted.
    assert table.set_index("id").loc["r2", "status"] == "interrupted"
    at.multiselect(key="runs.chosen").set_value(["r0", "r1", "r2"]).run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {trace.get("name", "") for trace in spec["data"]}
    assert "adam-slow (lr=0.001, seed=0)" in names  # the legend names the difference
    assert any("mean ± 1 std" in n for n in names)  # r0 and r2 differ only by seed
    assert any(el.proto.id and "parcoords" in el.proto.spec for el in at.get("plotly_chart"))


def test_filters_and_sort_change_the_table(data_dir):
    _store_runs(data_dir)
    at = _page()
    at.multiselect(key="runs.filter.status").set_value(["finished"]).run()
    assert list(at.dataframe[0].value["id"]) == ["r1", "r0"]
    at.selectbox(key="runs.sort").set_value("final val loss (lowest first)").run()
    assert list(at.dataframe[0].value["id"]) == ["r1", "r0"]  # lr 0.001 ends lower
    at.multiselect(key="runs.filter.status").set_value([]).run()
    at.selectbox(key="runs.sort").set_value("newest first").run()
    assert list(at.dataframe[0].value["id"]) == ["r2", "r1", "r0"]
    assert at.multiselect(key="runs.chosen").value == ["r2", "r1"]  # the newest two
    at.button(key="runs.all").click().run()
    assert at.multiselect(key="runs.chosen").value == ["r2", "r1", "r0"]
    assert not at.exception and not at.warning, at.warning


def test_rename_tag_and_delete_with_confirmation(data_dir):
    _store_runs(data_dir)
    at = _page()
    at.selectbox(key="runs.one").set_value("r1").run()
    at.text_input(key="runs.name.r1").input("baseline").run()
    at.text_input(key="runs.tags.r1").input("adam, slow").run()
    at.button(key="runs.save").click().run()
    assert "the tab that started it is unknown" in at.warning[-1].value  # asks first
    at.button(key="runs.save.yes").click().run()
    row = at.dataframe[0].value.set_index("id").loc["r1"]
    assert (row["name"], row["tags"]) == ("baseline", "adam, slow")
    at.button(key="runs.delete").click().run()
    assert "for good" in at.warning[-1].value
    at.button(key="runs.delete.no").click().run()
    assert len(at.dataframe[0].value) == 3
    at.button(key="runs.delete").click().run()
    at.button(key="runs.delete.yes").click().run()
    assert not at.exception, at.exception
    assert "r1" not in set(at.dataframe[0].value["id"])


def test_opening_a_stored_run_loads_its_settings_into_the_training_lab(data_dir):
    _store_runs(data_dir)
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/runs.py").run()
    at.selectbox(key="runs.one").set_value("r1").run()
    at.button(key="runs.open").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Training Lab"
    assert at.session_state["train.lr"] == 0.001 and at.session_state["model.hidden"] == "8"
    assert at.session_state["data.n_samples"] == 200


def test_a_corrupt_database_shows_a_warning_and_training_still_starts(data_dir):
    (data_dir / "history.sqlite").write_bytes(b"not sqlite at all " * 100)
    at = _page()
    assert "Run history is off" in at.warning[0].value
    lab = AppTest.from_file("../pages/training_lab.py", default_timeout=TIMEOUT)
    lab.run()
    lab.button[0].click().run()  # Train
    assert not lab.exception and not lab.error, lab.error
    from ui.state import registry

    [run] = registry().runs()
    run.stop()
    assert run.join(30)


def test_with_no_runs_yet_the_page_points_to_the_training_lab(data_dir):
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception, at.exception
    assert "No runs saved yet" in at.info[0].value
    # Where the history file lives, by the setting's name: not the server's full path.
    assert "$TORCHXP_DATA_DIR/history.sqlite" in at.caption[1].value
    assert str(data_dir) not in at.caption[1].value


def test_a_csv_run_exports_script_and_csv_or_says_why_it_cannot(data_dir):
    from runs_helpers import csv_config

    from torchxp_core import retrain_script, tables

    digest, cfg = csv_config(data_dir)
    store = HistoryStore(data_dir)
    store.add_run("c0", "on my table", cfg.to_dict(), started_at=100.0)
    store.close()
    at = _page()
    at.selectbox(key="runs.one").set_value("c0").run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Export script + CSV" in labels and "Export as script" not in labels
    tables.path_of(digest, data_dir).unlink()  # the file left the data folder
    for cached in (tables.load, tables.stored_arrays, retrain_script._checked_reading):
        cached.cache_clear()
    at.run()
    assert not at.exception, at.exception
    said = " ".join(c.value for c in at.caption)
    assert "No script for this run" in said and "data folder" in said
