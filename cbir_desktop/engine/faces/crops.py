"""Square pictures of faces, to show people and groups by their faces.

A face box is stored as fractions of the upright photo, so the crop is cut from the photo as
the window shows it (`decode_photo`: orientation applied, HEIC and RAW read), decoded only as
large as the crop needs: a face that fills a phone photo comes from a draft-mode JPEG decode.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..photos.decode import FULL_SIZE, decode_photo

__all__ = ["FACE_MARGIN", "face_crop", "square_around"]

FACE_MARGIN = 0.35  # room around the detector's box (it stops at the brows): hair and chin show


def square_around(box: tuple[float, float, float, float], width: int, height: int,
                  margin: float = FACE_MARGIN) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) in pixels of a square centred on `box` (fractions of a
    `width` x `height` image), `margin` of the box's longer side wider on each side, moved
    inside the image where it fits and no larger than the image's shorter side."""
    x, y, w, h = box
    side = max(w * width, h * height) * (1 + 2 * margin)
    side = max(1, min(round(side), width, height))
    centre_x, centre_y = (x + w / 2) * width, (y + h / 2) * height
    left = min(max(0, round(centre_x - side / 2)), width - side)
    top = min(max(0, round(centre_y - side / 2)), height - side)
    return left, top, left + side, top + side


def face_crop(path: str, box: tuple[float, float, float, float], side: int,
              margin: float = FACE_MARGIN) -> npt.NDArray[np.uint8]:
    """The face at `box` in the photo at `path` as upright RGB pixels (side, side, 3): a square
    around it with `margin` to spare. Blocking (decodes the photo); raises `ImageUnreadable`."""
    face = max(box[2], box[3]) * (1 + 2 * margin)
    # Decode so that the square is at least `side` pixels: the shorter side then covers it.
    wanted = FULL_SIZE if face <= 0 else math.ceil(side / min(face, 1.0))
    image = decode_photo(path, min_side=min(wanted, FULL_SIZE)).image
    square = image.crop(square_around(box, image.width, image.height, margin))
    if square.size != (side, side):
        square = square.resize((side, side), Image.Resampling.LANCZOS)
    return np.asarray(square.convert("RGB"), dtype=np.uint8)
