"""The faces of a photo file: decoded upright (every format the app reads), downscaled for
the detector, found. Bump `READER_VERSION` when what it finds changes: the faces step then
reads every photo again."""

from __future__ import annotations

import numpy as np

from ..photos.decode import display_image
from .detect import FoundFace, find_faces

READER_VERSION = 1
# The copy's long side and HOG upsampling (bench/faces.py measured the trade-off): 1200 px with
# one upsampling finds faces down to ~20 px on the copy (1.7% of its side); a photo smaller than
# that is detected at its own size, upsampled once more below 600 px (LFW's 250-px crops).
DETECT_SIDE = 1200
SMALL_SIDE = 600


def detector_settings(width: int, height: int, long_side: int = DETECT_SIDE) -> tuple[int, int]:
    """(copy's long side, upsampling) for a photo of this size."""
    side = min(max(width, height), long_side)
    return side, 2 if side < SMALL_SIDE else 1


def read_faces(path: str, long_side: int = DETECT_SIDE, upsample: int | None = None) -> list[FoundFace]:
    """The faces in the photo at `path`; raises `ImageUnreadable` when it cannot be decoded."""
    image = display_image(path, long_side)
    side, default_upsample = detector_settings(*image.size, long_side=long_side)
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return find_faces(pixels, default_upsample if upsample is None else upsample)
