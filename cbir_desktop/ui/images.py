"""Photos as QImages, decoded by the engine, so the window shows every format it indexes.

Qt's own readers know neither HEIC nor camera RAW (and would show a DNG's tiny first-IFD
thumbnail as if it were the photo); the engine decodes all of them, upright, exactly as
it decodes them for the index and the thumbnails.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtGui import QImage

from ..engine.api import face_pixels, photo_pixels

__all__ = ["face_image", "photo_image"]


def photo_image(path: str, max_side: int = 0) -> QImage:
    """`path` as a QImage at most `max_side` pixels wide and high (0: full size).

    Blocking; a QImage is safe off the GUI thread. Raises `ImageUnreadable` with the reason.
    """
    return _as_image(photo_pixels(path, max_side))


def face_image(path: str, box: tuple[float, float, float, float], side: int) -> QImage:
    """The face at `box` (fractions of the upright photo) as a `side` x `side` QImage, with some
    room around it. Blocking; a QImage is safe off the GUI thread. Raises `ImageUnreadable`."""
    return _as_image(face_pixels(path, box, side))


def _as_image(pixels: npt.NDArray[np.uint8]) -> QImage:
    height, width = pixels.shape[:2]
    image = QImage(pixels.data, width, height, pixels.strides[0], QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: the array goes away with this frame
