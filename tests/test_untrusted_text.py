"""Text from outside (link keys and values, run names, layer names) is shown as typed: no
link, image or formatting from a user reaches the page."""

import re
import string

import numpy as np
import pytest
from runs_helpers import tiny_config
from streamlit.testing.v1 import AppTest

from torchxp_core import compare
from torchxp_core.history import HistoryStore
from ui.text import JOINER, plain

LAB = "../pages/training_lab.py"
PAYLOADS = [
    "[Session expired - sign in again](http://evil.example/login)",
    "![x](http://evil.example/x.png)",
    '<img src="http://evil.example/y.png"> <a href="http://evil.example">z</a>',
    "**bold** _it_ `code` # head :red[red] $x^2$ www.evil.example a@evil.example",
    "line one\n\n# a heading\n- a list",
]
# Markdown that makes a link or an image once the escaping is undone, or any unescaped mark.
LINKISH = re.compile(r"(?<!\\)[\[\]()<>!]")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_plain_escapes_every_mark_markdown_reads_and_loses_no_character(payload):
    shown = plain(payload)
    assert not LINKISH.search(shown)
    assert "\n" not in shown  # a blank line would start a new Markdown block
    assert _unescape(shown).replace(JOINER, "") == re.sub(r"\n+", " ", payload)
    assert not re.search(r"(?i)https?:/|www\\?\.|@\w", _unescape(shown))  # no bare link left
    for mark in set(shown) & set(string.punctuation) - set("'\",;?/%\\"):
        assert shown.count(mark) == shown.count("\\" + mark), mark


def _lab(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(LAB, default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception
    return at


def _texts(at: AppTest) -> list[str]:
    """The Markdown source of every text element the page drew, sidebar included."""
    kinds = ("markdown", "caption", "warning", "error", "info", "success")
    return [e.value for kind in kinds for e in at.get(kind)]


def _assert_shown_literally(at: AppTest, payload: str) -> None:
    texts = _texts(at)
    warning = next(w.value for w in at.warning if "could not use" in w.value)
    assert plain(payload[:50]) in warning  # quoted as typed (long values are cut short)
    for text in (t for t in texts if "evil" in t):  # none carries the payload unescaped
        assert not LINKISH.search(text), text


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_markdown_in_a_link_value_is_shown_as_text(payload):
    at = _lab({"train.lr": payload, "data.dataset": payload})
    _assert_shown_literally(at, payload)


def test_markdown_in_a_link_key_is_shown_as_text():
    payload = PAYLOADS[0]
    at = _lab({payload: "1", PAYLOADS[1]: "2"})
    _assert_shown_literally(at, payload)
    _assert_shown_literally(at, PAYLOADS[1])


def test_markdown_in_frozen_layers_is_refused_and_shown_as_text():
    payload = PAYLOADS[1]
    at = _lab({"model.frozen": payload})
    _assert_shown_literally(at, payload)
    assert "model.frozen" not in at.session_state  # the setting kept its default
    assert not any("Frozen layers:" in c.value for c in at.sidebar.caption)


def _stored(run_id: str, name: str, settings: dict, **extra) -> compare.StoredRun:
    """A finished run as the Runs page reads it from the store."""
    return compare.StoredRun(
        run_id, name, [], settings, "finished", "", 1.0, 2.0, "", "cpu", **extra
    )


def test_a_run_name_in_a_plotly_legend_is_text_not_a_link():
    run = _stored("r1", '<a href="http://evil.example">x</a> & <b>y</b>', tiny_config().to_dict())
    name = compare.label(run, [])
    assert "<" not in name and ">" not in name
    assert name == '&lt;a href="http://evil.example"&gt;x&lt;/a&gt; &amp; &lt;b&gt;y&lt;/b&gt;'


def test_a_run_named_with_markdown_is_shown_as_text_on_the_runs_page(data_dir):
    store = HistoryStore(data_dir)
    store.add_run("r0", PAYLOADS[1], tiny_config().to_dict(), started_at=100.0)
    loss = np.linspace(1, 0.1, 20, dtype=np.float32)
    store.append("r0", 0, loss, loss, [], status="finished", ended_at=101.0)
    store.close()
    at = AppTest.from_file("../pages/runs.py", default_timeout=60)
    at.run()
    at.button(key="runs.delete").click().run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "for good" in w.value)
    assert plain(PAYLOADS[1]) in warning and "![x](http" not in warning


def test_a_stored_run_opened_in_the_lab_drops_what_it_cannot_use_with_a_sentence(data_dir):
    settings = tiny_config().to_dict()
    settings["model"]["frozen"] = [PAYLOADS[1]]
    settings["train"]["device"] = "tpu"
    store = HistoryStore(data_dir)
    store.add_run("r0", "old", settings, started_at=100.0)
    store.close()
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.run()
    at.switch_page("pages/runs.py").run()
    at.button(key="runs.open").click().run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "could not use" in w.value)
    assert "The run old had settings" in warning and "device" in warning
    assert plain(PAYLOADS[1][:50]) in warning
    assert at.session_state["model.frozen"] == []
    assert at.session_state["data.n_samples"] == 200  # what it could use came with it


def test_stored_setting_values_in_the_parallel_plot_are_text_not_markup():
    runs = []
    for i, device in enumerate(['<a href="http://evil.example">x</a>', "cpu"]):
        settings = tiny_config().to_dict()
        settings["train"]["device"] = device
        runs.append(_stored(f"r{i}", "n", settings, final={"val_loss": 0.5}))
    frame = compare.parallel_frame(runs)
    assert list(frame["device"]) == ['&lt;a href="http://evil.example"&gt;x&lt;/a&gt;', "cpu"]
