"""The faces of a photo file: decoded upright (every format the app reads) straight to about the
detector's size, found. Bump `READER_VERSION` when what it finds changes: the faces step then
reads every photo again."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..photos.decode import decode_photo, read_file_bytes
from .detect import FoundFace, find_faces

READER_VERSION = 2  # 2: 1600 px without upsampling (was 1200 px with one)
# The copy's long side and HOG upsampling, chosen by bench/faces.py's table (recall on faces_lfw12,
# faces_groups and small faces against ms per 12-MP photo): 1600 px without upsampling keeps every
# face of faces_lfw12 and faces_groups and scans half the pixels of 1200 px with one upsampling.
# HOG's window is 80 px, so the smallest face found is 80 px on the copy: 1/20 (5%) of a photo's
# long side (200 px of a 4000-px photo; 1200 px upsampled once reached 3.3%). A photo under
# `SMALL_SIDE` is detected at its own size upsampled once (a 250-px LFW crop: faces from 40 px).
DETECT_SIDE = 1600
UPSAMPLE = 0
SMALL_SIDE = 1000
SMALL_FACES_READER = 1000  # added to READER_VERSION for photos read with `SMALL_FACES`


@dataclass(frozen=True)
class FaceDetail:
    """How closely photos are looked at for faces: the copy's long side, HOG's upsampling, and
    the reader id kept with each photo read (a photo read at another detail is read again)."""

    name: str
    long_side: int
    upsample: int
    reader: int


# "small": faces down to 1/30 of the long side (1200 px upsampled once: 40-px faces on the copy),
# about 1.5x the time a photo (bench/faces.py); for group photos with small faces.
STANDARD = FaceDetail("standard", DETECT_SIDE, UPSAMPLE, READER_VERSION)
SMALL_FACES = FaceDetail("small", 1200, 1, READER_VERSION + SMALL_FACES_READER)
FACE_DETAILS = {detail.name: detail for detail in (STANDARD, SMALL_FACES)}


def detector_settings(width: int, height: int, long_side: int = DETECT_SIDE,
                      upsample: int = UPSAMPLE) -> tuple[int, int]:
    """(copy's long side, upsampling) for a photo of this size: one upsampling more below
    `SMALL_SIDE`."""
    side = min(max(width, height), long_side)
    return side, upsample + 1 if side < SMALL_SIDE else upsample


def read_faces(path: str, long_side: int = DETECT_SIDE, upsample: int = UPSAMPLE) -> list[FoundFace]:
    """The faces in the photo at `path`; raises `ImageUnreadable` when it cannot be decoded."""
    image = detection_image(path, long_side)
    _, times = detector_settings(*image.size, long_side=long_side, upsample=upsample)
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return find_faces(pixels, times)


def detection_image(path: str, long_side: int) -> Image.Image:
    """The photo upright with its long side at most `long_side`: a JPEG is decoded at the
    smallest DCT scale that keeps that side (a 12-MP JPEG at 1/2 or 1/4 of its size, 3-5x
    faster than in full), a RAW file from its preview when that is large enough, then shrunk."""
    data = read_file_bytes(path)
    image = decode_photo(path, min_side=_min_side_for(data, long_side), data=data).image
    if max(image.size) > long_side:
        image.thumbnail((long_side, long_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def _min_side_for(data: bytes, long_side: int) -> int:
    """The short side to ask the decoder for so that the long side stays `long_side` (a pixel
    less, so a DCT scale landing exactly on it is taken); `long_side` when the size is unknown."""
    if not data.startswith(b"\xff\xd8"):  # only JPEG decodes at a scale; RAW previews go by this
        return long_side
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = int(image.size[0]), int(image.size[1])
    except Exception:  # noqa: BLE001 - decode_photo gives the reason
        return long_side
    if max(width, height) <= long_side:
        return long_side
    return max(1, long_side * min(width, height) // max(width, height) - 1)
