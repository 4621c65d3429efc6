"""Lesson #2 against torch as it runs: permute views, contiguity, and Conv2d's layout."""

import numpy as np
import torch
from torch import nn

from torchxp_core.lessons import layout


def test_colour_batch_is_channels_last_float32():
    images = layout.colour_batch(batch=3, height=10, width=12)
    assert images.shape == (3, 10, 12, 3)
    assert images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1


def test_permute_result_is_a_non_contiguous_view_and_contiguous_fixes_strides():
    images = layout.colour_batch(batch=2, height=5, width=7)
    views = {v.expression: v for v in layout.layouts(images)}
    original, np_t, permuted, fixed = views.values()
    assert original.contiguous and original.shape == (2, 5, 7, 3)
    for view in (np_t, permuted):
        assert view.shape == (2, 3, 5, 7)
        assert not view.contiguous
        assert view.shares_memory
    assert np_t.strides == permuted.strides
    expected = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    assert fixed.contiguous and not fixed.shares_memory
    assert fixed.strides == expected.stride() == (3 * 5 * 7, 5 * 7, 7, 1)


def test_conv_fed_channels_last_fails_with_torchs_message_and_permuted_runs():
    images = layout.colour_batch(batch=2, height=6, width=8)
    wrong, right = layout.conv_wrong_layout(images)
    try:
        nn.Conv2d(3, 8, 3, padding=1)(torch.from_numpy(images))
        expected = None
    except RuntimeError as exc:
        expected = str(exc)
    assert wrong.error == expected and wrong.output_shape is None
    assert right.error is None and right.output_shape == (2, 8, 6, 8)


def test_wrong_layout_runs_silently_when_height_equals_channels():
    wrong, right = layout.conv_silent_nonsense(batch=2, width=16)
    assert wrong.error is None and right.error is None
    assert wrong.output_shape == (2, 8, 16, 3)  # rows read as channels
    assert right.output_shape == (2, 8, 3, 16)


def test_reshape_scrambles_channels_that_permute_keeps():
    images = layout.colour_batch(batch=2, height=6, width=8)
    planes = layout.reshape_vs_permute(images)
    np.testing.assert_array_equal(planes["permute(0,3,1,2)"][0], images[0, ..., 0])
    assert planes["reshape(B,C,H,W)"].shape == planes["permute(0,3,1,2)"].shape
    assert not np.array_equal(planes["reshape(B,C,H,W)"][0], images[0, ..., 0])
