"""Lesson #2, tensor layout: CNNs want [B, C, H, W]; images usually arrive as [B, H, W, C].

A synthetic colour batch stored channels-last, moved to channels-first with ``np.transpose``
and with ``torch.permute``; both give a non-contiguous view whose strides tell the story. Then
a Conv2d fed the wrong layout: loudly when C differs from the channels it expects, silently
when the image height happens to equal them. Also the other silent bug: ``reshape`` instead of
``permute`` keeps the shape right and scrambles the pixels.
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


def colour_batch(batch: int = 4, height: int = 24, width: int = 32) -> np.ndarray:
    """A float32 batch of colour images, channels last: shape (B, H, W, 3), values in [0, 1].

    Red grows left to right, green top to bottom, and blue fills a disc that moves with the
    image's index, so each channel and each image is recognisable.
    """
    if not (1 <= batch <= 64 and 2 <= height <= 256 and 2 <= width <= 256):
        raise ValueError("Use 1-64 images of 2-256 pixels a side.")
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    images = np.empty((batch, height, width, 3), dtype=np.float32)  # (B, H, W, C)
    for b in range(batch):
        cx = width * (b + 1) / (batch + 1)
        disc = (xs - cx) ** 2 + (ys - height / 2) ** 2 < (min(height, width) / 3) ** 2
        images[b, ..., 0] = xs / max(width - 1, 1)
        images[b, ..., 1] = ys / max(height - 1, 1)
        images[b, ..., 2] = disc
    return images


@dataclass
class View:
    """How one tensor or array sits in memory."""

    expression: str
    shape: tuple[int, ...]
    strides: tuple[int, ...]  # in elements, as torch reports them
    contiguous: bool
    shares_memory: bool  # with the original channels-last batch


def layouts(images: np.ndarray) -> list[View]:
    """Channels-last batch -> channels-first by np.transpose, permute, then .contiguous()."""
    base = torch.from_numpy(images)
    base_ptr = base.data_ptr()
    np_t = np.transpose(images, (0, 3, 1, 2))
    permuted = base.permute(0, 3, 1, 2)
    fixed = permuted.contiguous()

    def of_array(expr: str, arr: np.ndarray) -> View:
        strides = tuple(s // arr.itemsize for s in arr.strides)
        return View(
            expr,
            arr.shape,
            strides,
            bool(arr.flags["C_CONTIGUOUS"]),
            bool(np.shares_memory(arr, images)),
        )

    def of_tensor(expr: str, t: torch.Tensor) -> View:
        shares = t.untyped_storage().data_ptr() == base_ptr
        return View(expr, tuple(t.shape), t.stride(), t.is_contiguous(), shares)

    return [
        of_array("x  (numpy, [B,H,W,C])", images),
        of_array("np.transpose(x, (0,3,1,2))", np_t),
        of_tensor("torch.from_numpy(x).permute(0,3,1,2)", permuted),
        of_tensor("….permute(0,3,1,2).contiguous()", fixed),
    ]


@dataclass
class ConvAttempt:
    """One Conv2d call: the input's shape, and the output's shape or torch's error."""

    label: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...] | None
    error: str | None


def _conv(conv: nn.Conv2d, label: str, x: torch.Tensor) -> ConvAttempt:
    try:
        out = conv(x)
        return ConvAttempt(label, tuple(x.shape), tuple(out.shape), None)
    except RuntimeError as exc:
        return ConvAttempt(label, tuple(x.shape), None, str(exc))


def conv_wrong_layout(images: np.ndarray, device: str = "cpu") -> list[ConvAttempt]:
    """A Conv2d(3, 8, 3) fed the channels-last batch as is, then in the right layout."""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, kernel_size=3, padding=1).to(device)
    x = torch.from_numpy(images).to(device)  # (B, H, W, C)
    return [
        _conv(conv, "wrong: [B,H,W,C] as is", x),
        _conv(conv, "right: permute(0,3,1,2)", x.permute(0, 3, 1, 2)),
    ]


def conv_silent_nonsense(
    device: str = "cpu", batch: int = 2, width: int = 16, height: int = 3
) -> list[ConvAttempt]:
    """A Conv2d(3, 8, 3) fed ``height``-pixel-high strips in the wrong layout, then the right.

    When the height equals the 3 channels the conv expects, the [B, H, W, C] batch looks like
    [B, C, H, W] to it: it reads rows as colour channels and colours as image columns, runs
    without a word, and its output has the right rank and a plausible shape. Any other height
    is refused. The labels carry the H and C of this call, so they cannot claim H = C falsely.
    """
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, kernel_size=3, padding=1).to(device)
    strips = torch.from_numpy(colour_batch(batch, height=height, width=width)).to(device)
    h, c = strips.shape[1], strips.shape[3]  # (B, H, W, C)
    return [
        _conv(conv, f"wrong: [B,H,W,C] with H = {h}, C = {c}", strips),
        _conv(conv, "right: permute(0,3,1,2)", strips.permute(0, 3, 1, 2)),
    ]


@dataclass
class ChannelsLast:
    """The permuted NHWC batch as torch sees it: a channels_last tensor, and what Conv2d does."""

    shape: tuple[int, ...]  # (B, C, H, W), the logical order
    strides: tuple[int, ...]  # the channel stride is 1: colours sit next to each other
    contiguous: bool  # x.is_contiguous(): False, not in NCHW order
    channels_last: bool  # x.is_contiguous(memory_format=torch.channels_last)
    to_channels_last_is_free: bool  # x.contiguous(memory_format=channels_last) is x's memory
    contiguous_copies: bool  # x.contiguous() moved the data to new memory
    conv_output_shape: tuple[int, ...]
    conv_output_channels_last: bool  # Conv2d kept the layout it was given


def channels_last(images: np.ndarray, device: str = "cpu") -> ChannelsLast:
    """``torch.from_numpy(x).permute(0, 3, 1, 2)`` asked what memory format it is in.

    A permuted [B, H, W, C] batch is exactly what torch calls ``channels_last``: logical
    [B, C, H, W], stored with the channels innermost. Making it channels_last-contiguous
    returns the same memory (nothing to copy), while ``.contiguous()`` copies into NCHW.
    """
    x = torch.from_numpy(images).to(device).permute(0, 3, 1, 2)  # (B, C, H, W), NHWC in memory
    as_cl = x.contiguous(memory_format=torch.channels_last)
    nchw = x.contiguous()
    torch.manual_seed(0)
    conv = nn.Conv2d(x.shape[1], 8, kernel_size=3, padding=1).to(device)
    with torch.no_grad():
        out = conv(x)
    return ChannelsLast(
        shape=tuple(x.shape),
        strides=x.stride(),
        contiguous=x.is_contiguous(),
        channels_last=x.is_contiguous(memory_format=torch.channels_last),
        to_channels_last_is_free=as_cl.data_ptr() == x.data_ptr(),
        contiguous_copies=nchw.data_ptr() != x.data_ptr(),
        conv_output_shape=tuple(out.shape),
        conv_output_channels_last=out.is_contiguous(memory_format=torch.channels_last),
    )


def reshape_vs_permute(images: np.ndarray) -> dict[str, np.ndarray]:
    """The first image's three channel planes, (3, H, W) each, by permute and by reshape.

    ``reshape(B, C, H, W)`` gets the shape right and reads memory in the old order, so each
    "channel" is a mix of interleaved R, G, B pixels: no error, wrong pictures.
    """
    x = torch.from_numpy(images)
    b, h, w, c = x.shape
    return {
        "permute(0,3,1,2)": x.permute(0, 3, 1, 2)[0].numpy(),
        "reshape(B,C,H,W)": x.reshape(b, c, h, w)[0].numpy(),
    }


@dataclass
class ReshapeMixup:
    """``reshape`` against ``permute`` on the same channels-last batch."""

    same_shape: bool
    same_values: bool
    share_memory: bool  # reshape of a contiguous array is a view: nothing is even copied
    fraction_moved: float  # share of elements whose value differs from permute's


def reshape_mixup(images: np.ndarray) -> ReshapeMixup:
    """Whether ``reshape(B, C, H, W)`` gives what ``permute(0, 3, 1, 2)`` gives: the shapes
    match and no error is raised, so only the values can tell."""
    x = torch.from_numpy(images)
    b, h, w, c = x.shape
    reshaped, permuted = x.reshape(b, c, h, w), x.permute(0, 3, 1, 2)
    same_shape = reshaped.shape == permuted.shape
    differs = (reshaped != permuted).float().mean().item() if same_shape else 1.0
    same_values = same_shape and torch.equal(reshaped, permuted)
    return ReshapeMixup(same_shape, same_values, reshaped.data_ptr() == x.data_ptr(), differs)


def memory_note(views: list[View]) -> str:
    """What ``layouts``' transpose, permute and contiguous did to x's memory, in a sentence."""
    np_view, torch_view, fixed_view = views[1], views[2], views[3]
    return (
        f"`np.transpose(x, (0,3,1,2))` {'shares' if np_view.shares_memory else 'does not share'} "
        f"x's memory and {'is' if np_view.contiguous else 'is **not**'} contiguous; "
        f"`permute` {'shares' if torch_view.shares_memory else 'does not share'} it and "
        f"{'is' if torch_view.contiguous else 'is **not**'} contiguous: the strides are "
        "shuffled, the data stays where it was. `.contiguous()` "
        f"{'copies it into the new order' if not fixed_view.shares_memory else 'keeps the memory'}."
    )


def channels_last_note(cl: ChannelsLast) -> str:
    """What torch calls the permuted batch, what each way to make it contiguous does, and
    the layout a Conv2d hands back."""
    to_cl = "returns x's own memory, nothing copied" if cl.to_channels_last_is_free else "copies"
    to_nchw = "copies into NCHW order" if cl.contiguous_copies else "returns x's own memory"
    conv_out = "itself channels_last" if cl.conv_output_channels_last else "in NCHW order"
    named = ": the permuted batch is what torch calls *channels_last*. "
    return (
        f"`x.is_contiguous()` is **{cl.contiguous}**, but "
        f"`x.is_contiguous(memory_format=torch.channels_last)` is **{cl.channels_last}** "
        f"(strides `{list(cl.strides)}`){named if cl.channels_last else '. '}"
        f"`x.contiguous(memory_format=torch.channels_last)` {to_cl}; plain `.contiguous()` "
        f"{to_nchw}. A Conv2d given x returns `{list(cl.conv_output_shape)}`, {conv_out}."
    )


def silent_note(silent: list[ConvAttempt]) -> tuple[bool, str]:
    """``conv_silent_nonsense``'s pair in a sentence, and whether the wrong layout ran."""
    wrong, right = silent
    _, h, w, c = wrong.input_shape
    if wrong.error is not None:
        return False, (
            f"With {h}-pixel-high strips (H = {h}, C = {c}) torch refused the wrong layout too."
        )
    return True, (
        f"With {h}-pixel-high strips, H = C = {c}, and the wrong layout ran without an error: "
        f"the conv read the {h} rows as colour channels, the {w} columns as rows and the {c} "
        f"colours as columns, and returned `{list(wrong.output_shape)}` where the right layout "
        f"gives `{list(right.output_shape)}`: a plausible shape that means nothing."
    )


def mixup_note(mixup: ReshapeMixup) -> str:
    """``reshape`` instead of ``permute``, in a sentence."""
    if mixup.same_shape and not mixup.same_values:
        found = (
            f"the shape is the same, no error, and {mixup.fraction_moved:.0%} of the values "
            "differ from permute's."
        )
    else:
        found = (
            f"here the shapes {'match' if mixup.same_shape else 'differ'} and the values "
            f"{'match' if mixup.same_values else 'differ'}."
        )
    return "The other mistake is `reshape(B, C, H, W)` instead of `permute`: " + found
