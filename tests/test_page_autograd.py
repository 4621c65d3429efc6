"""AppTest for the Autograd Inspector: every example, Backward, freezing, and a finished run."""

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from torchxp_core import autograd_examples as ax
from torchxp_core.config import DataConfig, RunConfig, TrainConfig
from ui.state import registry

PAGE = "../pages/autograd.py"


def _frame(app: AppTest, column: str):
    """The first table on the page with ``column`` (AppTest does not expose dataframe keys)."""
    return next(df.value for df in app.dataframe if column in df.value.columns)


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.run()
    assert not app.exception
    return app


def test_every_example_runs_and_backward_fills_grads(at: AppTest) -> None:
    for key, ex in ax.EXAMPLES.items():
        at.selectbox(key="ag.example").set_value(key).run()
        assert not at.exception
        for option in ex.options or [None]:
            if option:
                at.radio(key=f"ag.{key}.option").set_value(option).run()
            at.button(key="ag.backward_btn").click().run()
            assert not at.exception
            table = _frame(at, "version")
            assert list(table["tensor"]) == list(
                ex.build(ex.values, ex.requires_grad, option or "").tensors
            )
    at.selectbox(key="ag.example").set_value("linear").run()
    at.button(key="ag.backward_btn").click().run()
    table = _frame(at, "version").set_index("tensor")
    assert table.loc["w", ".grad"] == "2" and table.loc["b", ".grad"] == "1"
    assert not table.loc["x", ".grad filled"]
    assert any("Trying to backward through the graph a second time" in e.value for e in at.error)


def test_switching_requires_grad_off_everywhere_shows_torchs_error(at: AppTest) -> None:
    for name in ("w", "b"):
        at.toggle(key=f"ag.linear.rg.{name}").set_value(False).run()
    at.button(key="ag.backward_btn").click().run()
    assert not at.exception
    assert any("does not require grad" in e.value for e in at.error)


def test_freezing_a_layer_writes_the_setting_and_shrinks_the_optimizer(at: AppTest) -> None:
    def optimizer_count() -> str:
        return next(m.value for m in at.metric if "optimizer" in m.label)

    before = optimizer_count()
    at.multiselect(key="ag.frozen").set_value(["0"]).run()
    assert not at.exception
    assert at.session_state["model.frozen"] == ["0"]
    assert int(optimizer_count().replace(",", "")) == int(before.replace(",", "")) - 48
    table = _frame(at, "numel").set_index("name")
    assert not table.loc["0.weight", "requires_grad"] and table.loc["2.weight", "requires_grad"]


def test_run_section_draws_norms_change_and_histograms() -> None:
    cfg = RunConfig(data=DataConfig(n_samples=200), train=TrainConfig(epochs=3, lr=0.05))
    cfg = replace(cfg, model=replace(cfg.model, frozen=("2",)))
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.run()  # the page's registry exists once a script has run
    run = registry().start(cfg, owner="test")
    try:
        assert run.join(timeout=120)
    finally:
        run.stop()
        run.join(timeout=10)
    app.run()
    app.selectbox(key="ag.run").set_value(run.id).run()
    assert not app.exception
    change = _frame(app, "max |Δw|").set_index("layer")
    assert change.loc["2", "max |Δw|"] == 0.0 and change.loc["0", "max |Δw|"] > 0
    app.select_slider(key="ag.epoch").set_value(1).run()
    app.selectbox(key="ag.param").set_value("2.weight").run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 5  # two norms, the change, two histograms


def test_the_model_tab_can_show_a_runs_live_weights() -> None:
    from ui.state import registry

    run = registry().start(RunConfig(train=TrainConfig(epochs=2, seed=5)), owner="elsewhere")
    assert run.join(60)
    at = AppTest.from_file("../pages/autograd.py", default_timeout=60)
    at.run()
    at.radio(key="ag.source").set_value(run.id).run()
    assert not at.exception
    assert any(f"A copy of {run.id}'s model" in c.value for c in at.caption)
    assert at.multiselect(key="ag.frozen").disabled
    assert at.get("graphviz_chart")


def test_second_backward_sentence_follows_the_outcome(at: AppTest) -> None:
    """Default linear: the second backward fails with torch's words. Only b requiring grad: it
    runs, and the page says so instead of showing an empty error box."""
    at.selectbox(key="ag.example").set_value("linear").run()
    assert any("Trying to backward through the graph a second time" in e.value for e in at.error)
    assert any("**Gradients add up**" in m.value for m in at.markdown)
    at.toggle(key="ag.linear.rg.w").set_value(False).run()
    assert not at.exception
    assert not at.error  # no empty error box
    text = "\n".join(m.value for m in at.markdown)
    assert "ran without an error here: no op in this graph saved a tensor for backward" in text
    assert "failed; torch says" not in text
