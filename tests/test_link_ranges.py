"""Link values are held to the sidebar's ranges, which live in one table (torchxp_core.ranges)."""

from streamlit.testing.v1 import AppTest

from torchxp_core import ranges
from torchxp_core.share import from_query

PAGE = "../pages/training_lab.py"


def test_values_past_a_slider_are_clamped_with_a_warning_naming_the_change():
    values, warnings = from_query(
        {
            "data.n_samples": "1000000",
            "data.noise": "-3",
            "model.dropout": "0.9",
            "train.momentum": "0.995",
            "data.val_fraction": "0.05",
            "data.n_classes": "20",
        }
    )
    assert values == {
        "data.n_samples": 5000,
        "data.noise": 0.0,
        "data.n_classes": 8,
        "data.val_fraction": 0.1,
        "model.dropout": 0.8,
        "train.momentum": 0.99,
    }
    assert isinstance(values["data.n_samples"], int)
    assert (
        "Changed data.n_samples='1000000' to 5000: the lab's Samples slider goes from 100 to "
        "5000." in warnings
    )
    assert "Changed data.noise='-3' to 0: the lab's Noise slider goes from 0 to 1." in warnings
    assert len(warnings) == 6


def test_values_inside_the_ranges_pass_untouched_and_bad_ones_are_still_dropped():
    values, warnings = from_query({"data.n_samples": "4900", "model.dropout": "0.8"})
    assert values == {"data.n_samples": 4900, "model.dropout": 0.8} and warnings == []
    values, warnings = from_query({"data.noise": "nan", "data.n_samples": "1" + "0" * 400})
    assert values == {"data.n_samples": 5000}  # a 400-digit number is simply past the end
    assert any(w.startswith("Ignored data.noise='nan'") for w in warnings)


def test_a_clamped_value_the_dataset_refuses_is_dropped_not_kept():
    values, warnings = from_query({"data.dataset": "blobs", "data.n_classes": "1"})
    assert values == {"data.dataset": "blobs"}  # 1 -> 2, and blobs need 3
    assert any("Changed" not in w and "at least 3 classes" in w for w in warnings)


def test_the_sidebar_sliders_use_the_same_table():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.sidebar.selectbox(key="w:data.dataset").select("spiral").run()
    at.sidebar.selectbox(key="w:train.optimizer").select("sgd").run()
    sliders = {s.key.removeprefix("w:"): s for s in at.sidebar.slider}
    assert set(ranges.WIDGETS) <= set(sliders)
    for key, bounds in ranges.WIDGETS.items():
        assert (sliders[key].min, sliders[key].max) == (bounds.low, bounds.high), key
        if bounds.step is not None:
            assert sliders[key].step == bounds.step, key


def test_the_13_gb_link_says_which_values_it_held_to_the_sliders():
    import resource

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(
        {
            "data.n_samples": "1000000",
            "model.hidden": "4096,4096",
            "train.batch_size": "800000",
            "train.epochs": "100000",
        }
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    at.run()
    assert not at.exception
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 200  # MB
    warned = " ".join(w.value for w in at.warning).replace("\\", "")  # Markdown-escaped
    assert "Changed data.n_samples" in warned and "to 5000" in warned
    assert at.sidebar.slider(key="w:data.n_samples").value == 5000
    # 4,000 training samples now: the batch of 800,000 is refused in a sentence, Train off.
    assert any("Batch size 800000 is larger than the training set" in e.value for e in at.error)
    assert next(b for b in at.button if b.label == "Train").disabled
