"""The Training Lab page under Streamlit's AppTest: train, watch, stop; bad input is a sentence."""

import time

from streamlit.testing.v1 import AppTest

from torchxp_core.config import RunConfig, TrainConfig

PAGE = "../pages/training_lab.py"


def _lab() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _control(at: AppTest, name: str) -> None:
    """Click Pause, Resume, Step or Stop in the run's control bar (Step, when selected
    already, deselects it: the next Step)."""
    bar = at.segmented_control(key="lab.control")
    bar.set_value(None if name == "Step" and bar.value == "Step" else name).run()


def _wait_for_status(at: AppTest, word: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()  # AppTest never fires run_every by itself
        line = next((m.value for m in at.markdown if "-badge[" in m.value), "")
        if f"[{word}]" in line:
            return line
        time.sleep(0.2)
    raise AssertionError(f"status never became {word}")


def test_the_lab_opens_with_defaults_that_can_train():
    at = _lab()
    assert at.title[0].value == "Training Lab"
    assert at.sidebar.selectbox(key="w:data.dataset").value == "moons"
    assert at.sidebar.selectbox(key="w:train.loss").value == "cross_entropy"
    assert not _button(at, "Train").disabled
    assert not at.error


def _training_lab() -> AppTest:
    """The lab with a long run started and training."""
    at = _lab()
    at.sidebar.number_input(key="w:train.epochs").set_value(5000)
    _button(at, "Train").click().run()
    _wait_for_status(at, "running")
    return at


def _stop(at: AppTest) -> None:
    _control(at, "Stop")
    _wait_for_status(at, "stopped")
    assert not at.exception


def test_train_draws_live_charts_and_stop_ends_the_run():
    at = _training_lab()
    time.sleep(1.0)
    at.run()
    charts = at.get("plotly_chart")
    titles = " ".join(c.proto.spec for c in charts)
    assert "Training loss per step" in titles and "Decision surface" in titles
    _stop(at)


def _step_of(at: AppTest) -> int:
    line = next(p.proto.text for p in at.get("progress"))
    return int(line.split("step ")[1].split("/")[0].replace(",", ""))


def test_pause_then_step_trains_one_batch_at_a_time_and_resume_goes_on():
    at = _training_lab()
    _control(at, "Pause")
    _wait_for_status(at, "paused")
    at.run()
    before = _step_of(at)
    _control(at, "Step")
    _wait_for_status(at, "paused")
    assert _step_of(at) == before + 1
    deadline = time.monotonic() + 10
    while not any("stage by stage" in h.value for h in at.subheader):
        assert time.monotonic() < deadline, "no stage-by-stage view after Step"
        time.sleep(0.2)
        at.run()
    stages = next(m.value for m in at.markdown if "optimizer.zero_grad()" in m.value)
    assert "inputs [32, 2] float32 on cpu" in stages and "loss.backward()" in stages
    assert _step_of(at) == before + 1  # still one batch, after the reruns of the timers
    _control(at, "Resume")
    _wait_for_status(at, "running")
    _stop(at)


def test_train_while_a_run_trains_restarts_it_instead_of_leaving_it_hidden():
    at = _training_lab()
    from ui.state import registry

    first = registry().get(at.session_state["lab.run_id"])
    _button(at, "Restart").click().run()
    _wait_for_status(at, "running")
    assert first.status == "stopped"
    training = [r for r in registry().runs() if r.active]
    assert [r.id for r in training] == [at.session_state["lab.run_id"]]  # the one shown
    _stop(at)


def test_bad_hidden_sizes_give_a_sentence_and_keep_every_other_setting():
    at = _lab()
    at.sidebar.slider(key="w:data.noise").set_value(0.45)
    at.sidebar.text_input(key="w:model.hidden").input("64,abc").run()
    assert not at.exception
    assert "'abc' is not one" in at.error[0].value
    assert _button(at, "Train").disabled
    assert at.sidebar.slider(key="w:data.noise").value == 0.45  # nothing else was lost
    at.sidebar.text_input(key="w:model.hidden").input("8,8").run()
    assert not at.error and not _button(at, "Train").disabled


def test_a_zero_learning_rate_is_refused_with_a_sentence():
    at = _lab()
    at.sidebar.number_input(key="w:train.lr").set_value(0.0).run()
    assert "Learning rate must be a finite number above 0" in at.error[0].value


def test_choosing_a_regression_dataset_switches_to_a_loss_that_serves_it():
    at = _lab()
    at.sidebar.selectbox(key="w:data.dataset").select("curve").run()
    assert at.sidebar.selectbox(key="w:train.loss").value == "mse"
    assert not at.error and not at.exception


def test_a_share_link_opens_with_its_settings():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"data.dataset": "spiral", "data.n_classes": "4", "train.lr": "0.003"})
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert at.sidebar.selectbox(key="w:data.dataset").value == "spiral"
    assert at.sidebar.slider(key="w:data.n_classes").value == 4
    assert at.sidebar.number_input(key="w:train.lr").value == 0.003


def test_a_link_with_bad_values_opens_with_defaults_and_a_short_warning():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"train.lr": "fast", "data.dataset": "<script>", "zzz": "1"})
    at.run()
    assert not at.exception and not at.error
    warning = at.warning[0].value
    assert "'fast' is not a number" in warning and "Unknown dataset" in warning
    assert at.sidebar.selectbox(key="w:data.dataset").value == "moons"
    assert not _button(at, "Train").disabled


def test_changing_a_setting_writes_it_into_the_url():
    at = _lab()
    at.sidebar.selectbox(key="w:data.dataset").select("xor").run()
    assert at.query_params["data.dataset"] == "xor"


def test_presenter_mode_hides_the_settings_but_trains_with_them():
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.query_params.update({"present": "1", "train.lr": "0.02"})
    at.run()
    at.switch_page("pages/training_lab.py").run()
    assert not at.exception
    assert not at.sidebar.number_input  # no settings widget drawn (the sidebar is hidden)
    assert any(b.label == "Leave presenter mode" for b in at.button)
    assert not _button(at, "Train").disabled
    # The presenter's own bar: the settings changed live, with the link's value.
    assert at.number_input(key="w:train.lr").value == 0.02
    bar = {w.key for w in [*at.selectbox, *at.text_input, *at.multiselect]}
    assert {"w:data.dataset", "w:model.hidden", "w:model.activation", "w:train.pitfalls"} <= bar


def test_fuzzed_share_links_never_crash_the_page():
    import random
    import string

    rng = random.Random(7)
    keys = [
        "data.dataset",
        "data.n_samples",
        "train.lr",
        "train.batch_size",
        "model.hidden",
        "train.pitfalls",
        "model.frozen",
        "train.device",
        "present",
        "zz",
    ]
    for _ in range(12):
        at = AppTest.from_file(PAGE, default_timeout=60)
        query = {
            rng.choice(keys): "".join(
                rng.choice(string.printable) for _ in range(rng.randint(0, 9))
            )
            for _ in range(rng.randint(1, 5))
        }
        at.query_params.update(query)
        at.run()
        assert not at.exception, query
        assert at.title[0].value == "Training Lab"


def _finished(query: dict) -> AppTest:
    """The lab opened with a link's settings, and its run trained to the end."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(query)
    at.run()
    _button(at, "Train").click().run()
    _wait_for_status(at, "finished")
    return at


def test_a_run_with_a_frozen_layer_shows_that_layer_unchanged():
    at = _finished({"model.frozen": "0", "train.epochs": "3"})
    caption = next(c.value for c in at.caption if c.value.startswith("Frozen layers 0"))
    assert "= 0 (exactly 0 means untouched)" in caption
    assert not at.exception


def test_a_run_opened_from_another_tab_stays_the_one_shown():
    at = _lab()
    at.sidebar.number_input(key="w:train.epochs").set_value(2)
    _button(at, "Train").click().run()  # this tab owns two runs of its own
    _wait_for_status(at, "finished")
    _button(at, "Train").click().run()
    from ui.state import registry

    other = registry().start(RunConfig(train=TrainConfig(epochs=2, seed=3)), owner="another-tab")
    assert other.join(60)
    at.session_state["lab.run_id"] = other.id  # what "Open in the Lab" on the Runs page does
    at.run()
    assert any(other.id in m.value for m in at.markdown if "-badge[" in m.value)
    assert not at.exception


def _chart_titles(at: AppTest) -> str:
    return " ".join(c.proto.spec for c in at.get("plotly_chart"))


def test_before_train_the_lab_shows_the_data_and_the_untrained_model():
    at = _lab()
    assert "Untrained model" in _chart_titles(at) and "Decision surface" in _chart_titles(at)
    at.sidebar.selectbox(key="w:data.dataset").select("curve").run()
    assert "Untrained model" in _chart_titles(at) and "Fitted curve" in _chart_titles(at)
    at.sidebar.selectbox(key="w:data.dataset").select("digits").run()
    assert "Guess (truth)" in _chart_titles(at)
    assert not at.exception


def test_a_changed_setting_marks_the_charts_and_one_click_restarts_with_it():
    at = _training_lab()
    shown = at.session_state["lab.run_id"]
    at.sidebar.number_input(key="w:train.lr").set_value(0.05).run()
    note = next(w.value for w in at.warning if "settings have changed" in w.value)
    assert f"The charts show {shown}" in note and "learning rate 0.01 → 0.05" in note
    _button(at, "Restart with these").click().run()
    from ui.state import registry

    assert registry().get(shown).status == "stopped"
    assert registry().get(at.session_state["lab.run_id"]).cfg.train.lr == 0.05
    assert not any("settings have changed" in w.value for w in at.warning)
    _stop(at)


def test_restart_on_change_restarts_by_itself():
    at = _training_lab()
    shown = at.session_state["lab.run_id"]
    at.toggle(key="lab.auto_restart").set_value(True).run()
    at.sidebar.selectbox(key="w:model.activation").select("tanh").run()
    new = at.session_state["lab.run_id"]
    from ui.state import registry

    assert new != shown and registry().get(new).cfg.model.activation == "tanh"
    assert registry().get(shown).status == "stopped"
    _stop(at)


def test_until_paused_trains_past_the_epoch_count_until_stopped():
    at = _lab()
    at.sidebar.number_input(key="w:train.epochs").set_value(1)
    at.sidebar.checkbox(key="w:train.endless").check()
    _button(at, "Train").click().run()
    from ui.state import registry

    run = registry().get(at.session_state["lab.run_id"])
    deadline = time.monotonic() + 60
    while run.epoch < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.active and run.epoch >= 3  # one epoch asked for, three done, still going
    at.run()
    assert "(until paused)" in next(p.proto.text for p in at.get("progress"))
    _stop(at)


def test_adam_at_the_help_texts_learning_rate_ends_diverged_with_the_cause():
    at = _lab()
    assert "Try 5 with Adam or SGD" in at.sidebar.number_input(key="w:train.lr").help
    at.sidebar.number_input(key="w:train.lr").set_value(5.0).run()
    _button(at, "Train").click().run()
    _wait_for_status(at, "diverged")
    assert "the learning rate 5 is too high for adam" in at.error[0].value


def test_a_silent_switch_says_so_before_train_and_one_click_makes_it_visible():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"train.pitfalls": "forget_eval"})
    at.run()
    assert any("changes nothing here" in w.value for w in at.warning)
    _button(at, "Use Dropout 0.3").click().run()
    assert at.session_state["model.dropout"] == 0.3
    assert not any("changes nothing here" in w.value for w in at.warning)
    assert not at.exception


def test_a_mistake_beside_its_twin_shows_both_pictures_and_what_to_look_for():
    at = _finished({"train.pitfalls": "softmax_before_ce", "train.epochs": "3"})
    at.run()
    titles = _chart_titles(at)
    assert "With the mistake" in titles and "Correct twin" in titles
    assert any("softmaxes again" in i.value for i in at.info)
    assert not at.exception


def test_a_run_torch_refuses_shows_its_message_once_with_its_meaning_and_no_empty_charts():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"train.pitfalls": "float64_data"})
    at.run()
    at.toggle(key="lab.with_twin").set_value(False)
    _button(at, "Train").click().run()
    _wait_for_status(at, "failed")
    at.run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "RuntimeError" in errors[0]
    assert any("never casts silently" in c.value for c in at.caption)
    assert not at.get("plotly_chart")  # nothing trained, nothing drawn


def test_reset_stops_the_run_and_shows_the_untrained_model_again():
    at = _training_lab()
    shown = at.session_state["lab.run_id"]
    _control(at, "Reset")
    at.run()
    from ui.state import registry

    run = registry().get(shown)
    assert run.join(30) and run.status == "stopped"
    assert "Untrained model" in _chart_titles(at)
    assert at.selectbox[0].value is None  # the run is still listed, not shown
    assert not at.exception


def test_an_uploaded_csv_is_checked_its_columns_chosen_and_trained_on():
    from test_tables import GOOD

    at = _lab()
    at.sidebar.selectbox(key="w:data.dataset").select("csv").run()
    assert "Upload a CSV" in at.error[0].value and _button(at, "Train").disabled
    at.sidebar.file_uploader(key="data.upload").upload("bad.csv", b"\xff\xfe" * 40).run()
    assert any("not UTF" in e.value for e in at.error) and not at.exception
    at.sidebar.file_uploader(key="data.upload").upload("pets.csv", GOOD, "text/csv").run()
    assert at.sidebar.selectbox(key="w:data.target").value == "value"  # the last column
    assert at.sidebar.multiselect(key="w:data.features").value == ["a", "b"]  # numeric ones
    assert at.sidebar.selectbox(key="w:train.loss").value == "mse"  # regression inferred
    at.sidebar.selectbox(key="w:data.target").select("animal").run()
    assert at.sidebar.selectbox(key="w:train.loss").value == "cross_entropy"
    at.sidebar.number_input(key="w:train.epochs").set_value(3)
    _button(at, "Train").click().run()
    _wait_for_status(at, "finished")
    assert not at.exception


def test_a_link_past_the_memory_budget_is_refused_before_train_with_a_sentence():
    import resource

    # Inside the sliders' ranges (the 13 GB link is held to them: tests/test_link_ranges.py),
    # but 200 kept snapshots of 33 M weights and gradients are 53 GB.
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(
        {
            "data.n_samples": "5000",
            "model.hidden": "4096,4096,4096",
            "train.batch_size": "4000",
            "train.epochs": "100000",
        }
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    at.run()
    assert any("a run may use here" in e.value for e in at.error)
    assert _button(at, "Train").disabled and not at.exception
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200  # nothing of the 13 GB was allocated


def test_step_before_train_starts_a_run_paused_after_exactly_one_batch():
    at = _lab()
    _button(at, "Step").click().run()
    deadline = time.monotonic() + 30  # a cold forkserver may take seconds to start the worker
    while _step_of(at) != 1:
        assert time.monotonic() < deadline, "the run did not train its one batch"
        time.sleep(0.2)
        at.run()
    assert "[paused]" in next(m.value for m in at.markdown if "-badge[" in m.value)
    deadline = time.monotonic() + 10
    while not any("Step 1, stage by stage" in h.value for h in at.subheader):
        assert time.monotonic() < deadline, "no stage-by-stage view after Step"
        time.sleep(0.2)
        at.run()
    _stop(at)


def _live_layouts(at: AppTest) -> list[dict]:
    import json

    return [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]


def test_live_charts_leave_room_for_axis_text_without_plotlys_automargin():
    """The live charts turn automargin off (a second layout on every redraw); their own
    bottom margin must then hold the tick labels and the axis title, at presenter size too."""
    from ui import presenter
    from ui.live import AXIS_TEXT_PX

    for query, text in (({}, AXIS_TEXT_PX), ({"present": "1"}, presenter.FONT_PX)):
        at = _finished({"train.epochs": "3", **query})
        layouts = _live_layouts(at)
        assert len(layouts) >= 4  # step loss, surface, loss and accuracy per epoch
        for layout in layouts:
            assert layout["xaxis"]["automargin"] is False
            assert layout["yaxis"]["automargin"] is False
            titled = bool(layout["xaxis"].get("title", {}).get("text"))
            assert layout["margin"]["b"] >= (2 * text + 28 if titled else text + 18)
        assert not at.exception


def test_presenter_mode_raises_the_guessed_images_labels_to_a_readable_size_that_fits():
    """Notes are at least NOTE_PX on a projector, not forced to the axis size: at 16 px the
    labels of neighbouring images ran into each other at 1280x720."""
    from torchxp_core.figures import style
    from ui import presenter

    at = _finished({"data.dataset": "digits", "train.epochs": "2", "present": "1"})
    images = next(lay for lay in _live_layouts(at) if lay.get("annotations"))
    sizes = {note["font"]["size"] for note in images["annotations"]}
    assert sizes == {presenter.NOTE_PX}
    assert images["margin"]["b"] == style.LIVE["margin"]["b"]  # none added for a hidden x axis
    assert not at.exception
