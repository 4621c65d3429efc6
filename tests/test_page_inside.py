"""AppTest of 'Inside the network': the untrained model before Train, a run's views, images."""

import json

from streamlit.testing.v1 import AppTest

from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from ui.state import registry

PAGE = "../pages/inside.py"


def _page(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_before_train_it_shows_the_untrained_model_of_the_labs_settings():
    at = _page()
    assert at.title[0].value == "Inside the network"
    assert at.selectbox(key="inside.source").value == "untrained"
    titles = _titles(at)
    assert titles[0] == "The network · untrained"
    assert any("one batch, untrained" in t for t in titles)
    network = json.loads(at.get("plotly_chart")[0].proto.spec)
    # A trace per unit drawn: 2 inputs, 8 of each 16-wide layer's, 2 outputs.
    assert sum(t["type"] == "heatmap" for t in network["data"]) == 2 + 8 + 8 + 2
    assert any("eval mode" in c.value for c in at.caption)


def test_the_settings_buttons_set_a_deep_sigmoid_mlp_and_show_it():
    at = _page()
    at.button(key="inside.sigmoid").click().run()
    assert not at.exception
    assert at.session_state["model.activation"] == "sigmoid"
    assert at.session_state["model.hidden"] == "16,16,16,16,16,16"
    network = json.loads(at.get("plotly_chart")[0].proto.spec)
    headers = [a["text"] for a in network["layout"]["annotations"] if "hidden" in a["text"]]
    assert len(headers) == 6


def test_digits_with_a_cnn_show_confusion_filters_and_feature_maps():
    at = _page(**{"data.dataset": "digits", "model.kind": "cnn"})
    titles = _titles(at)
    assert any(t.startswith("Confusion matrix · validation") for t in titles)
    assert any("weight [16, 1, 3, 3]" in t for t in titles)
    assert any("[1, 1, 8, 8] → layer 0 Conv2d → [1, 16, 8, 8]" in t for t in titles)
    at.number_input(key="inside.image").set_value(7).run()
    assert any(t.startswith("Image 7:") for t in _titles(at))


def test_a_finished_run_shows_its_weights_and_gradient_flow():
    at = _page()
    cfg = RunConfig(
        data=DataConfig(n_samples=200), model=ModelConfig(hidden=(12,)), train=TrainConfig(epochs=4)
    )
    run = registry().start(cfg, owner="test")
    assert run.join(timeout=120)
    at.session_state["lab.run_id"] = run.id
    at.run()
    assert not at.exception
    assert at.selectbox(key="inside.source").value == run.id  # follows the lab's run
    titles = _titles(at)
    assert titles[0] == f"The network · step {run.step:,} · epoch 4"
    assert "Gradient norm per layer" in titles and "Update / weight per layer" in titles
    grad = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert [t["name"] for t in grad["data"]] == ["0 Linear", "2 Linear"]
    assert grad["layout"]["yaxis"]["type"] == "log"
    assert any(run.id in c.value and "cannot disturb" in c.value for c in at.caption)
