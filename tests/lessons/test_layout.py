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


def test_silent_wrong_layout_is_what_torch_does_for_any_height():
    """H = C runs silently; any other height is refused, in both cases as torch decides."""
    conv = nn.Conv2d(3, 8, 3, padding=1)
    for height in (3, 4, 2):
        wrong, right = layout.conv_silent_nonsense(batch=2, width=16, height=height)
        x = torch.from_numpy(layout.colour_batch(2, height=height, width=16))
        try:
            expected = tuple(conv(x).shape)
        except RuntimeError:
            expected = None
        assert wrong.output_shape == expected, height
        assert (wrong.error is None) == (height == conv.in_channels), height
        assert f"H = {height}, C = 3" in wrong.label
        assert right.output_shape == (2, 8, height, 16)


def test_a_permuted_nhwc_batch_is_channels_last_and_conv2d_does_not_copy_it():
    images = layout.colour_batch(batch=2, height=6, width=8)
    cl = layout.channels_last(images)
    x = torch.from_numpy(images).permute(0, 3, 1, 2)
    assert cl.contiguous == x.is_contiguous() is False
    assert cl.channels_last == x.is_contiguous(memory_format=torch.channels_last) is True
    assert cl.strides == x.stride() == (6 * 8 * 3, 1, 8 * 3, 3)
    assert cl.to_channels_last_is_free and cl.contiguous_copies
    assert cl.conv_output_shape == (2, 8, 6, 8) and cl.conv_output_channels_last
    # The page does not claim it, but check it here: torch's profiler sees Conv2d copy only its
    # weight (into channels_last) for x, while a batch with other strides is copied itself.
    conv = nn.Conv2d(3, 8, 3, padding=1)

    def copied_shapes(inp: torch.Tensor) -> set:
        with torch.autograd.profiler.profile(record_shapes=True, use_kineto=False) as prof:
            conv(inp)
        return {tuple(e.input_shapes[0]) for e in prof.function_events if e.name == "aten::copy_"}

    assert tuple(x.shape) not in copied_shapes(x)
    odd = torch.rand(2, 3, 8, 6).transpose(2, 3)  # neither NCHW nor channels_last
    assert tuple(odd.shape) in copied_shapes(odd)


def test_reshape_mixup_is_measured_on_the_batch():
    images = layout.colour_batch(batch=2, height=6, width=8)
    mixup = layout.reshape_mixup(images)
    x = torch.from_numpy(images)
    reshaped, permuted = x.reshape(2, 3, 6, 8), x.permute(0, 3, 1, 2)
    assert mixup.same_shape and not mixup.same_values and mixup.share_memory
    assert mixup.fraction_moved == (reshaped != permuted).float().mean().item()
    # a one-pixel image has nothing to scramble: reshape and permute agree
    single = layout.reshape_mixup(layout.colour_batch(batch=1, height=2, width=2)[:, :1, :1])
    assert single.same_shape and single.same_values and single.fraction_moved == 0.0
