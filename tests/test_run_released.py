"""A run whose tensors were released (Run.shed) says so on the pages that draw its weights,
instead of 'starting' or an error."""

from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.runner import Status
from ui import run_notes
from ui.state import registry


def _shed_run():
    cfg = RunConfig(
        data=DataConfig(n_samples=200), model=ModelConfig(hidden=(6,)), train=TrainConfig(epochs=2)
    )
    run = registry().start(cfg, owner="elsewhere")
    assert run.join(timeout=120)
    assert run.shed()  # what the registry does to ended runs past the newest few
    assert run.data is None and not run.log.param_history()
    return run


def _info(at: AppTest) -> str:
    return " ".join(i.value for i in at.info)


def test_the_inside_page_says_a_shed_runs_weights_were_released():
    at = AppTest.from_file("../pages/inside.py", default_timeout=60)
    at.run()  # the page's registry exists once a script has run
    run = _shed_run()
    at.session_state["lab.run_id"] = run.id  # opened from the Runs page
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="inside.source").value == run.id
    info = _info(at)
    assert f"{run.id}'s weights were released to save memory" in info
    assert "pick a newer run" in info and "starting" not in info
    assert not any("The network · step" in c.proto.spec for c in at.get("plotly_chart"))


def test_the_autograd_run_tab_says_a_shed_runs_weights_were_released():
    at = AppTest.from_file("../pages/autograd.py", default_timeout=60)
    at.run()
    run = _shed_run()
    at.run()
    at.selectbox(key="ag.run").set_value(run.id).run()
    assert not at.exception, at.exception
    info = _info(at)
    assert f"{run.id}'s weights were released to save memory" in info
    assert "not finished an epoch yet" not in info


def test_the_lab_shows_a_shed_run_with_the_same_sentence_and_its_curves():
    at = AppTest.from_file("../pages/training_lab.py", default_timeout=60)
    at.run()
    run = _shed_run()
    at.session_state["lab.run_id"] = run.id  # opened from the Runs page
    at.run()
    assert not at.exception, at.exception
    assert f"{run.id}'s weights were released to save memory" in _info(at)
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Training loss per step" in spec for spec in specs)  # its curves stay
    assert not any("Decision surface" in spec for spec in specs)


def test_each_reason_for_no_tensors_has_its_own_sentence():
    def run(status, step=0, data=None, error=""):
        active = status in (Status.PENDING, Status.RUNNING, Status.PAUSED)
        return SimpleNamespace(
            id="run-9", status=status, step=step, data=data, error=error, active=active
        )

    assert run_notes.without_tensors(run(Status.PENDING), 5) == "run-9 is starting."
    failed = run_notes.without_tensors(run(Status.FAILED, error="out of memory"), 5)
    assert failed.startswith("run-9 failed before its first batch: out of memory")
    assert "released" in run_notes.without_tensors(run(Status.FINISHED, step=40), 5)
    assert run_notes.without_tensors(run(Status.FINISHED, step=40, data=object()), 5) is None
    assert "not finished an epoch yet" in run_notes.no_history(run(Status.RUNNING, step=3), 5)
    assert "stopped before it finished an epoch" in run_notes.no_history(
        run(Status.STOPPED, step=3, data=object()), 5
    )
    assert "no longer kept" in run_notes.no_history(None, 5)
