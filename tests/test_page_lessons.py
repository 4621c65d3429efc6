"""The lesson pages (#1-#4, #9) run without an exception, draw their plots, and react to widgets."""

import json

import pytest
import torch
from streamlit.testing.v1 import AppTest

TIMEOUT_S = 60


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Two cores shared with the test runner: one torch thread avoids spinning in timings."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _run(path: str) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_dtypes_layout_page_draws_timings_memory_images_and_channels():
    at = _run("../pages/lesson_dtypes_layout.py")
    assert at.title[0].value == "Data types & layout"
    assert len(at.get("plotly_chart")) == 5
    assert at.selectbox(key="dl_device").options[0] == "cpu"
    assert any("Long" in c.value or "dtype" in c.value for c in at.code)  # torch's own error
    at.select_slider[0].set_value(64)
    at.select_slider[1].set_value(32)
    at.slider[0].set_value(5).run()
    assert not at.exception
    assert any("64×64" in t for t in _titles(at))


def test_modes_grads_page_reacts_to_dropout_and_micro_batches():
    at = _run("../pages/lesson_modes_grads.py")
    assert at.title[0].value == "train/eval & gradients"
    assert len(at.get("plotly_chart")) == 7
    at.slider[0].set_value(0.25)  # dropout p
    at.slider[2].set_value(-2.0)  # validation mean
    at.slider[3].set_value(4)  # backward() calls
    at.select_slider[0].set_value(8)  # micro-batches
    at.select_slider[1].set_value(64).run()  # validation batch
    assert not at.exception
    titles = _titles(at)
    assert "nn.Dropout(p=0.25) applied to torch.ones" in titles
    assert any("1.333" in m.value for m in at.markdown)  # 1 / (1 - 0.25), as torch scaled it


def test_tensors_page_shows_the_mutation_table_and_edge_cases():
    at = _run("../pages/lesson_tensors.py")
    assert at.title[0].value == "Creating tensors"
    assert len(at.get("plotly_chart")) == 1
    assert len(at.dataframe[0].value) >= 6
    assert any("byte order" in c.value for c in at.code)
    at.number_input[0].set_value(10).run()
    assert not at.exception


def test_tensors_page_turns_a_core_refusal_into_a_sentence(monkeypatch):
    from torchxp_core.lessons import creation

    def refuse(device, size):
        raise ValueError("Size must be between 1 and 1000, not 0.")

    monkeypatch.setattr(creation, "mutation_table", refuse)
    at = _run("../pages/lesson_tensors.py")
    assert [e.value for e in at.error] == ["Size must be between 1 and 1000, not 0."]
    assert not at.get("plotly_chart")
