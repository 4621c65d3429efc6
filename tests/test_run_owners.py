"""Runs have owners: a tab may watch another tab's run, but stopping, renaming or deleting a
run it did not start asks first, naming the tab that did (or saying it is unknown)."""

import time

from runs_helpers import tiny_config
from streamlit.testing.v1 import AppTest
from test_page_runs import _store_runs
from test_page_training_lab import _control, _training_lab, _wait_for_status

from torchxp_core.runner import Status

OTHER_TAB = "0a1b2c3d4e5f"


def _shown_run(at: AppTest):
    from ui.state import registry

    return registry().get(at.session_state["lab.run_id"])


def test_stopping_another_tabs_run_from_the_lab_asks_first_naming_that_tab():
    at = _training_lab()
    run = _shown_run(at)
    run.owner = OTHER_TAB  # as if opened from the Runs page while another tab trains it
    at.run()
    _control(at, "Stop")
    assert run.active and not at.exception
    asked = " ".join(w.value for w in at.warning)
    assert f"{run.id} was started in another tab (tab 0a1b2c)" in asked and "Stop it" in asked
    at.segmented_control(key="live.confirm.answer").set_value("Yes, stop it").run()
    assert run.join(timeout=30) and run.status == Status.STOPPED
    _wait_for_status(at, "stopped")
    assert not any("another tab" in w.value for w in at.warning)


def test_cancel_keeps_a_run_of_an_unknown_tab_training_and_own_runs_stop_at_once():
    at = _training_lab()
    run = _shown_run(at)
    this_tab, run.owner = run.owner, ""  # as if started outside any tab
    at.run()
    _control(at, "Reset")
    assert any(f"{run.id} was started in a tab that is unknown" in w.value for w in at.warning)
    at.segmented_control(key="live.confirm.answer").set_value("Cancel").run()
    time.sleep(0.5)
    at.run()
    assert run.active and not any("unknown" in w.value for w in at.warning)
    assert at.session_state["lab.run_id"] == run.id  # Reset did nothing
    run.owner = this_tab  # this tab's own run: Stop asks nothing
    _control(at, "Stop")
    assert not any("Stop it here anyway" in w.value for w in at.warning)
    assert run.join(timeout=30) and run.status == Status.STOPPED


def test_renaming_or_deleting_a_history_run_names_its_tab_as_unknown(data_dir):
    _store_runs(data_dir)
    at = AppTest.from_file("../pages/runs.py", default_timeout=60)
    at.run()
    at.selectbox(key="runs.one").set_value("r1").run()
    at.text_input(key="runs.name.r1").input("renamed").run()
    at.button(key="runs.save").click().run()
    assert "was from the history: the tab that started it is unknown" in at.warning[-1].value
    at.button(key="runs.save.no").click().run()
    assert at.dataframe[0].value.set_index("id").loc["r1", "name"] == "adam-slow"
    at.button(key="runs.delete").click().run()
    assert "It was from the history: the tab that started it is unknown." in at.warning[-1].value


def _finished_run_of_another_tab_on_the_runs_page():
    """A run another tab started and finished, once the Runs page lists it: (run, the page,
    its history id)."""
    from ui.state import registry

    run = registry().start(tiny_config(), owner=OTHER_TAB)
    assert run.join(timeout=60)
    at = AppTest.from_file("../pages/runs.py", default_timeout=60)
    deadline = time.monotonic() + 30
    while True:  # the recorder copies the run into the store within a second
        at.run()
        table = at.dataframe[0].value if at.dataframe else None
        if table is not None and run.id in set(table["name"]):
            return run, at, table.set_index("name").loc[run.id, "id"]
        assert time.monotonic() < deadline, "the run never reached the Runs page"
        time.sleep(0.3)


def test_renaming_a_live_run_of_another_tab_asks_first_naming_that_tab(data_dir):
    _run, at, history_id = _finished_run_of_another_tab_on_the_runs_page()
    at.multiselect(key="runs.chosen").set_value([history_id]).run()
    at.text_input(key=f"runs.name.{history_id}").input("theirs").run()
    at.button(key="runs.save").click().run()
    assert f"({history_id}) was started in another tab (tab 0a1b2c)" in at.warning[-1].value
    at.button(key="runs.save.yes").click().run()
    assert not at.exception
    assert at.dataframe[0].value.set_index("id").loc[history_id, "name"] == "theirs"


def test_deleting_a_live_run_of_another_tab_names_it_and_one_of_no_tab_says_unknown(data_dir):
    _store_runs(data_dir)  # rows left once it is deleted (an empty store links to the lab)
    run, at, history_id = _finished_run_of_another_tab_on_the_runs_page()
    at.multiselect(key="runs.chosen").set_value([history_id]).run()
    run.owner = ""  # as if started outside any tab: rename asks, saying so
    at.text_input(key=f"runs.name.{history_id}").input("nobody's").run()
    at.button(key="runs.save").click().run()
    assert f"({history_id}) was started in a tab that is unknown" in at.warning[-1].value
    at.button(key="runs.save.no").click().run()
    run.owner = OTHER_TAB
    at.button(key="runs.delete").click().run()
    assert "It was started in another tab (tab 0a1b2c)." in at.warning[-1].value
    at.button(key="runs.delete.yes").click().run()
    assert not at.exception
    assert history_id not in set(at.dataframe[0].value["id"])
