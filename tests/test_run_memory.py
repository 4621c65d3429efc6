"""Ended runs keep their metrics and let go of their tensors: the server's memory stays flat."""

import os
import time

from streamlit.testing.v1 import AppTest

from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.runner import RunRegistry, Status

# Small in time (one batch an epoch), big in what a run keeps: 512x512 weights, 1 MB a copy.
HEAVY = RunConfig(
    DataConfig(n_samples=100), ModelConfig(hidden=(512, 512)), TrainConfig(epochs=2, batch_size=80)
)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _run_to_end(reg: RunRegistry, cfg: RunConfig = HEAVY):
    run = reg.start(cfg)
    assert run.join(timeout=120)
    assert run.status == Status.FINISHED, run.error
    return run


def test_only_the_newest_ended_runs_keep_data_and_weights_all_keep_metrics():
    reg = RunRegistry(max_active=1, max_pictured=2)
    runs = [_run_to_end(reg) for _ in range(4)]
    reg.start(HEAVY).join(timeout=120)  # a start sheds the older ended runs
    for run in runs[:2]:
        assert run.data is None and run.grid is None and run.latest_params is None
        assert run.log.param_history() == [] and run.log.latest_snapshot() is None
    for run in runs[2:]:  # the two newest ended before that start: their pictures stay
        assert run.data is not None and run.latest_params is not None
    for run in runs:  # every run keeps what the charts and the Runs page read
        assert len(run.log.steps().loss) == run.step == 2
        assert [r["epoch"] for r in run.log.epoch_records()] == [1, 2]
        assert run.status == Status.FINISHED and run.progress()["fraction"] == 1.0


def test_an_active_run_is_never_shed():
    reg = RunRegistry(max_active=1)
    cfg = RunConfig(train=TrainConfig(epochs=100_000))
    run = reg.start(cfg)
    try:
        assert run.wait_for_first_step(timeout=60)
        assert run.shed() is False and run.data is not None
    finally:
        run.stop(wait=True)
        run.join(timeout=30)
    assert run.shed() is True and run.data is None


def test_rss_after_200_runs_in_a_row_stays_within_30_mb_of_after_10():
    reg = RunRegistry(max_active=1)  # the server's own limits: 50 kept, 5 with pictures
    started = time.monotonic()
    for i in range(200):
        _run_to_end(reg)
        if i == 9:
            after_10 = _rss_mb()
    grown = _rss_mb() - after_10
    # Without shedding, 50 kept runs of this size grew it by ~7 MB a run (~300 MB).
    assert grown < 30, f"RSS grew {grown:.1f} MB from run 10 to run 200"
    pictured = sum(r.data is not None for r in reg.runs())
    assert len(reg.runs()) == 50 and pictured == 6  # 5 at the last start, and the last run
    print(f"200 runs in {time.monotonic() - started:.0f} s, RSS {after_10:.0f} MB + {grown:.1f} MB")


def test_the_lab_still_opens_a_run_whose_picture_was_let_go(monkeypatch):
    at = AppTest.from_file("../pages/training_lab.py", default_timeout=60)
    at.run()
    at.sidebar.number_input(key="w:train.epochs").set_value(2)
    next(b for b in at.button if b.label == "Train").click().run()
    from ui.state import registry

    run = registry().get(at.session_state["lab.run_id"])
    assert run.join(timeout=60) and run.status == Status.FINISHED
    assert run.shed()
    at.run()
    assert not at.exception
    assert any("weights were released to save memory" in i.value for i in at.info)
    assert any("-badge[finished]" in m.value for m in at.markdown)  # status and metrics stay
    assert any("Loss per epoch" in c.proto.spec for c in at.get("plotly_chart"))
