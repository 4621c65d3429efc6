"""Long links: Streamlit reads nothing from a link over its limits, so the browser cuts such a
link down to the settings torchxp knows and the lab says so; a merely long one is summarised."""

from streamlit.testing.v1 import AppTest

from ui import share

LAB = "../pages/training_lab.py"


def _lab(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(LAB, default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception
    return at


def test_a_link_the_browser_cut_down_keeps_its_settings_and_says_why():
    at = _lab({"data.dataset": "spiral", "train.lr": "0.003", share.LONG: "1202,10924"})
    [warning] = [w.value for w in at.warning]
    assert "This link was too long (1,202 parameters, 10,924 characters)" in warning
    assert f"more than {share.MAX_FIELDS:,} parameters" in warning
    assert "unknown setting" not in warning  # the mark is torchxp's own
    assert at.sidebar.selectbox(key="w:data.dataset").value == "spiral"
    assert at.sidebar.number_input(key="w:train.lr").value == 0.003
    assert share.LONG not in at.query_params  # the address bar is the clean link again


def test_a_made_up_cut_mark_still_gives_a_sentence():
    at = _lab({share.LONG: "<b>9</b>"})
    assert any("This link was too long:" in w.value for w in at.warning)


def test_over_streamlits_limit_the_page_asks_the_browser_to_check_the_link():
    # AppTest, like the server, sees no parameter at all from such a link.
    at = _lab({f"utm{i}": "x" for i in range(share.MAX_FIELDS + 1)})
    assert not at.warning
    [script] = [e.proto.body for e in at.get("html") if "fields <=" in e.proto.body]
    assert f"fields <= {share.MAX_FIELDS}" in script and '"data.dataset"' in script


def test_a_long_link_under_the_limit_lists_a_few_problems_and_counts_the_rest():
    query = {f"junk{i}": "x" for i in range(share.MAX_FIELDS - 2)}
    at = _lab({**query, "data.dataset": "xor"})
    [warning] = [w.value for w in at.warning]
    assert warning.count("\n- ") == share.SHOWN + 1
    assert f"and {share.MAX_FIELDS - 2 - share.SHOWN:,} more." in warning
    assert at.sidebar.selectbox(key="w:data.dataset").value == "xor"
