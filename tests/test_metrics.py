"""The run's log: the weight history a long run keeps."""

import numpy as np

from torchxp_core.metrics import MetricsLog, ParamSnapshot, Thinned


def test_weight_history_is_thinned_over_the_whole_run_first_and_newest_kept():
    history = Thinned(10)
    for arrival in range(1000):
        history.add(arrival)
        items = history.items()
        assert items[0] == 0 and items[-1] == arrival and len(items) <= 11
        gaps = np.diff(history.kept)
        assert len(set(gaps.tolist())) <= 1  # evenly spread from the first on
    assert 999 - history.kept[-1] < history.stride and len(history.kept) >= 5  # to the end


def test_the_log_keeps_the_initial_weights_of_a_long_run():
    log = MetricsLog(max_snapshots=20)
    for step in range(500):
        log.add_params(ParamSnapshot(step, step, {}, {}))
    steps = [s.step for s in log.param_history()]
    assert steps[0] == 0 and steps[-1] == 499 and len(steps) <= 21
    log.shed()
    assert log.param_history() == []
