"""The lesson pages' sentences follow the numbers torch gave (the pages only show them)."""

import pandas as pd
import torch

from torchxp_core.lessons import dtypes, grads, layout, modes
from torchxp_core.lessons.dtypes import Timings


def _timings(f32: list[float], f64: list[float], errors=None) -> Timings:
    rows = [
        {"dtype": name, "repeat": i, "ms": ms}
        for name, times in (("float32", f32), ("float64", f64))
        for i, ms in enumerate(times)
    ]
    return Timings(pd.DataFrame(rows), errors or {})


def test_dtype_notes_give_the_ratio_its_verdict_and_each_refusal():
    slower = _timings([1.0, 1.0, 1.0], [2.0, 2.0, 2.0])
    note = dtypes.ratio_note("a matmul", slower)
    assert note.startswith("For a matmul, float64 took **2.00×** as long as float32")
    assert "median of 3 back-to-back pairs" in note and dtypes.VERDICT["slower"] in note
    faster = _timings([2.0, 2.0], [1.0, 1.0])
    assert dtypes.VERDICT["faster"] in dtypes.ratio_note("a training step", faster)
    refused = _timings([1.0], [], {"float64": "no float64 here"})
    assert dtypes.ratio_note("a matmul", refused) == ""
    timings = {"matmul": refused, "training step": slower}
    assert dtypes.error_notes(timings, "mps") == ["float64 matmul failed on mps: no float64 here"]
    table = dtypes.summary_table(timings)
    assert list(table["what"]) == ["matmul", "training step", "training step"]
    assert list(table.columns)[:2] == ["what", "dtype"]


def test_layout_notes_follow_what_torch_did():
    images = layout.colour_batch()
    memory = layout.memory_note(layout.layouts(images))
    assert "`permute` shares it and is **not** contiguous" in memory
    assert "`.contiguous()` copies it into the new order" in memory
    cl = layout.channels_last(images)
    note = layout.channels_last_note(cl)
    assert "what torch calls *channels_last*" in note and str(list(cl.strides)) in note
    ran, silent = layout.silent_note(layout.conv_silent_nonsense(height=3))
    assert ran and "H = C = 3" in silent
    ran, refused = layout.silent_note(layout.conv_silent_nonsense(height=5))
    assert not ran and "refused the wrong layout too" in refused
    mixup = layout.reshape_mixup(images)
    assert f"{mixup.fraction_moved:.0%} of the values differ" in layout.mixup_note(mixup)


def test_mode_notes_follow_the_measurements():
    mask = modes.dropout_mask(p=0.5)
    note = modes.dropout_note(mask)
    assert "scaled the kept ones by **2**" in note and "returned the input unchanged" in note
    uses = modes.batchnorm_uses(shift=3.0)
    assert "train mode used **this batch's** mean" in modes.batchnorm_note(uses)
    assert "eval mode the **running** ones" in modes.batchnorm_note(uses)
    drift = modes.running_stats_drift(passes=5, shift=3.0)
    note = modes.drift_note(drift)
    assert "no_grad does not protect them" in note
    assert f"momentum is {torch.nn.BatchNorm1d(1).momentum:g}" in note


def test_grad_notes_follow_the_tables():
    acc = grads.accumulation_done_right(k=4)
    assert f"**{acc.undivided_ratio:.4g}×**" in grads.accumulation_note(acc)
    assert "left `.grad` as **None**: it sets" in grads.zero_grad_note(grads.zero_grad_effects())
    assert "still built a graph (`grad_fn` = `" in grads.eval_only_note(grads.grad_modes())
    leaves = grads.moved_leaf()
    note = grads.moved_leaf_note(leaves)
    assert note.startswith(f"{(~leaves['is_leaf']).sum()} of these are not leaves")
    assert grads.moved_leaf_note(leaves[leaves["is_leaf"]]) == ""
    assert grads.cuda_peak_note(grads.validation_cost(batch=64, width=16, repeats=2)) == ""
