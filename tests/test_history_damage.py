"""A damaged history store fails soft: damaged rows are skipped and counted, a damaged file is
one sentence on every page that reads it, and training goes on."""

import json
import sqlite3

import numpy as np
import pytest
import streamlit as st
from runs_helpers import tiny_config
from streamlit.testing.v1 import AppTest

from torchxp_core.history import DB_NAME, INTERRUPTED, HistoryStore, HistoryUnavailable

PAGE_SIZE = 4096  # SQLite's default page size, which the store keeps


def _fill(folder, n_runs: int = 3, n_steps: int = 400) -> None:
    store = HistoryStore(folder)
    for i in range(n_runs):
        store.add_run(f"r{i}", f"run {i}", tiny_config(seed=i).to_dict(), started_at=100.0 + i)
        loss = np.geomspace(1.0, 0.1, n_steps).astype(np.float32)
        records = [
            {
                "epoch": e,
                "step": 10 * e,
                "elapsed_s": 0.1 * e,
                "train_loss": 0.5,
                "val_loss": 0.6,
                "val_accuracy": 0.8,
            }
            for e in (1, 2, 3)
        ]
        store.append(f"r{i}", 0, loss, loss, records, status="finished", ended_at=110.0 + i)
    store.close()


def _raw(folder, sql: str, params: tuple = ()) -> None:
    with sqlite3.connect(folder / DB_NAME) as db:
        db.execute(sql, params)
    db.close()


def test_damaged_rows_are_skipped_and_counted(tmp_path):
    _fill(tmp_path)
    _raw(tmp_path, "UPDATE runs SET settings = '{not json' WHERE id = 'r0'")
    _raw(tmp_path, "UPDATE runs SET tags = '\"a string\"' WHERE id = 'r1'")
    _raw(tmp_path, "UPDATE steps SET loss = X'000102' WHERE run_id = 'r2'")  # 3 bytes: odd
    _raw(tmp_path, "INSERT INTO epochs VALUES ('r2', 9, '[1, 2')")
    store = HistoryStore(tmp_path)
    runs, damaged = store.scan()
    assert [r.id for r in runs] == ["r2"] and damaged == 2
    assert store.get("r0") is None and store.get("r2").name == "run 2"
    series, bad_chunks = store.steps_checked("r2")
    assert len(series.loss) == 0 and bad_chunks == 1
    records, bad_records = store.epochs_checked("r2")
    assert len(records) == 3 and bad_records == 1
    store.close()


def test_an_interrupted_run_has_a_duration_up_to_its_last_stored_step(tmp_path):
    store = HistoryStore(tmp_path)
    store.add_run("r0", "killed", tiny_config().to_dict(), status="running", started_at=100.0)
    seconds = np.linspace(0.0, 12.5, 50, dtype=np.float32)
    store.append("r0", 0, np.ones(50, np.float32), seconds, [], status="running")
    store.add_run("r1", "never stepped", tiny_config().to_dict(), status="pending", started_at=5.0)
    store.close()
    again = HistoryStore(tmp_path)
    killed, never = again.get("r0"), again.get("r1")
    assert killed.status == never.status == INTERRUPTED
    assert killed.duration_s == pytest.approx(12.5) and never.duration_s == 0.0
    again.close()


def _pages(folder) -> int:
    return (folder / DB_NAME).stat().st_size // PAGE_SIZE


def _overwrite_page(folder, index: int, seed: int = 0) -> None:
    garbage = np.random.default_rng(seed).integers(0, 256, PAGE_SIZE, dtype=np.uint8).tobytes()
    with open(folder / DB_NAME, "r+b") as file:
        file.seek(index * PAGE_SIZE)
        file.write(garbage)


def _sentences(at: AppTest) -> list[str]:
    return [e.value for e in [*at.warning, *at.error]]


def test_every_page_of_the_file_overwritten_gives_a_sentence_on_every_page_that_reads_it(
    data_dir, tmp_path_factory
):
    _fill(data_dir)
    pristine = (data_dir / DB_NAME).read_bytes()
    n_pages = _pages(data_dir)
    assert n_pages >= 5  # tables, indexes and overflow pages of the step blobs
    for index in range(n_pages):
        (data_dir / DB_NAME).write_bytes(pristine)
        _overwrite_page(data_dir, index, seed=index)
        st.cache_resource.clear()  # a fresh server opens the damaged file
        try:  # the store alone: opens damaged, or refuses with a sentence; nothing else
            store = HistoryStore(data_dir, recover=False)
            assert store.damage, f"page {index}: damage not found"
            store.scan()
        except HistoryUnavailable:
            pass
        runs = AppTest.from_file("../pages/runs.py", default_timeout=60)
        runs.run()
        assert not runs.exception, (index, runs.exception)
        assert any("history" in s for s in _sentences(runs)), (index, _sentences(runs))
        lab = AppTest.from_file("../pages/training_lab.py", default_timeout=60)
        lab.run()
        assert not lab.exception, (index, lab.exception)
        assert any("not saved" in s for s in _sentences(lab)), (index, _sentences(lab))


def test_the_runs_page_says_how_many_damaged_runs_it_skipped(data_dir):
    _fill(data_dir)
    _raw(data_dir, "UPDATE runs SET settings = 'nope' WHERE id = 'r0'")
    _raw(data_dir, "UPDATE runs SET final = '[]' WHERE id = 'r1'")
    at = AppTest.from_file("../pages/runs.py", default_timeout=60)
    at.run()
    assert not at.exception
    assert any("2 damaged runs skipped" in w.value for w in at.warning)
    assert list(at.dataframe[0].value["id"]) == ["r2"]


def test_damaged_steps_of_a_chosen_run_are_skipped_with_a_sentence(data_dir):
    _fill(data_dir)
    _raw(data_dir, "UPDATE steps SET seconds = ? WHERE run_id = 'r2'", (json.dumps([1]),))
    at = AppTest.from_file("../pages/runs.py", default_timeout=60)
    at.run()
    assert not at.exception
    assert any("1 damaged stored part of these runs" in w.value for w in at.warning)


def test_the_lab_says_when_history_is_off_by_setting(data_dir, monkeypatch):
    monkeypatch.setenv("TORCHXP_HISTORY", "off")
    lab = AppTest.from_file("../pages/training_lab.py", default_timeout=60)
    lab.run()
    assert not lab.exception
    assert any("off by setting (TORCHXP_HISTORY=off)" in w.value for w in lab.warning)
    runs = AppTest.from_file("../pages/runs.py", default_timeout=60)
    runs.run()
    assert any("TORCHXP_HISTORY" in w.value for w in runs.warning) and not runs.exception


def test_the_lab_says_nothing_about_history_when_runs_are_saved(data_dir):
    lab = AppTest.from_file("../pages/training_lab.py", default_timeout=60)
    lab.run()
    assert not [w.value for w in lab.warning if "history" in w.value.lower()]


def test_a_download_that_fails_is_one_comment_line_saying_why():
    from ui.history_state import file_or_sentence

    def fails():
        raise ValueError("Unknown dataset 'x\nimport os; os.remove(\"f\")'.")

    made = file_or_sentence(fails)()
    assert made.startswith("# torchxp could not make this file: Unknown dataset")
    assert made.count("\n") == 1 and made.endswith("\n")  # no line of a stored value's own
    assert file_or_sentence(lambda: "a,b\n1,2\n")() == "a,b\n1,2\n"
