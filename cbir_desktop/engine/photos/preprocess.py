"""Turning a decoded RGB image into the model's input tensor."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

# Resize policies a manifest may name.
CENTER_CROP = "center_crop"  # shorter side to `size`, then the central square
SQUASH = "squash"  # whole image to size x size, aspect ratio ignored
POLICIES = (CENTER_CROP, SQUASH)


def to_model_input(image: Image.Image, size: int, policy: str = CENTER_CROP) -> npt.NDArray[np.float32]:
    """Return a float32 CHW array in [0, 1] (the model bakes in its own normalisation).

    Pipeline: for `center_crop`, the largest central square of the RGB image is
    resized with a bilinear filter (antialiased by Pillow) to `size` x `size` in one
    step; for `squash`, the whole image is. Values are divided by 255.
    """
    if policy == CENTER_CROP:
        width, height = image.size
        side = min(width, height)
        left = (width - side) / 2
        top = (height - side) / 2
        box = (left, top, left + side, top + side)
    elif policy == SQUASH:
        box = (0, 0, image.width, image.height)
    else:
        raise ValueError(f"unknown resize policy {policy!r}; expected one of {POLICIES}")
    resized = image.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
    array = np.asarray(resized, dtype=np.float32)
    chw: npt.NDArray[np.float32] = np.ascontiguousarray(array.transpose(2, 0, 1)) * np.float32(1.0 / 255.0)
    return chw
