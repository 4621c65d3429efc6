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


def _text(at: AppTest) -> str:
    return "\n".join(
        [m.value for m in at.markdown] + [w.value for w in at.warning] + [i.value for i in at.info]
    )


def test_dtypes_layout_page_states_what_torch_did():
    at = _run("../pages/lesson_dtypes_layout.py")
    text = _text(at)
    # speed: from back-to-back pairs and minima, with a verdict both agree on or "disagree"
    for what in ("a matmul", "a training step"):
        assert f"For {what}, float64 took" in text
    assert "back-to-back pairs" in text
    # layout: the sentences follow the table
    assert "`np.transpose(x, (0,3,1,2))` shares x's memory and is **not** contiguous" in text
    assert "`x.is_contiguous(memory_format=torch.channels_last)` is **True**" in text
    assert "what torch calls *channels_last*" in text
    assert "nothing copied" in text
    # H = C = 3 runs silently on this torch: the warning quotes both output shapes
    warning = next(w.value for w in at.warning if "H = C = 3" in w.value)
    assert "`[2, 8, 16, 3]`" in warning and "`[2, 8, 3, 16]`" in warning
    assert "of the values differ from permute's" in text


def test_dtypes_layout_page_says_when_h_is_not_c_torch_refuses(monkeypatch):
    from torchxp_core.lessons import layout

    real = layout.conv_silent_nonsense
    monkeypatch.setattr(layout, "conv_silent_nonsense", lambda device: real(device, height=4))
    at = _run("../pages/lesson_dtypes_layout.py")
    assert not any("H = C" in w.value for w in at.warning)
    assert any("torch refused the wrong layout too" in i.value for i in at.info)


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


def test_modes_grads_page_states_what_torch_did():
    at = _run("../pages/lesson_modes_grads.py")
    text = _text(at) + "\n".join(c.value for c in at.caption)
    assert "Eval mode returned the input unchanged." in text
    assert "train mode used **this batch's** mean and variance" in text
    assert "eval mode the **running** ones" in text
    assert "no_grad does not protect them" in text
    assert "`optimizer.zero_grad()` left `.grad` as **None**: it sets gradients to None" in text
    assert "`model.eval()` alone still built a graph (`grad_fn` = `AddmmBackward0`)" in text
    assert "2 of these are not leaves (`grad_fn` = `ToCopyBackward0`)" in text
    assert "can't optimize a non-leaf Tensor" in text
    assert "**4×** the full-batch gradient (k = 4)" in text
    frames = [df.value for df in at.dataframe]
    zeroing = next(f for f in frames if "weight.grad after" in f.columns).set_index("call")
    assert zeroing.loc["optimizer.zero_grad()", "weight.grad after"] == "None"
    modes_table = next(f for f in frames if "context" in f.columns).set_index("context")
    assert modes_table.loc["model.eval() only (grad enabled)", "requires_grad"]


def test_tensors_page_shows_the_mutation_table_and_edge_cases():
    at = _run("../pages/lesson_tensors.py")
    assert at.title[0].value == "Creating tensors"
    assert len(at.get("plotly_chart")) == 1
    assert len(at.dataframe[0].value) >= 6
    assert any("byte order" in c.value for c in at.code)
    calls = next(df.value for df in at.dataframe if "aten ops" in df.value.columns)
    assert calls.set_index("expression").loc["torch.Tensor(a)", "dtype"] == "float32"
    text = "\n".join(m.value for m in at.markdown)
    assert "`torch.Tensor(a)` gives **float32** (a copy, cast: see the digits)" in text
    assert "made by `aten.empty`, so its values are whatever that memory held" in text
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
