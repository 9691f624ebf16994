"""What the duplicate checks need to know of one photo, read from its pixels once and kept.

A photo's signature is computed from its full-size, upright decode (EXIF orientation applied,
as everywhere in the engine):
- `pixel_hash`: a hash of those pixels, so the same picture in another container (a PNG
  saved from a JPEG's pixels, a file whose metadata was rewritten) is an exact copy;
- `grey`: a grey copy whose longer side is `GREY_SIDE` pixels, for the registration check
  (registration.py) that recognises crops and small rotations;
- `dct`: the 8x8 lowest frequencies of the 32x32 grey image's DCT, from which the perceptual
  hash of the photo and of its flips and quarter turns are derived (hashes.py);
- `sharpness`: the variance of the Laplacian of a 512-pixel grey copy, to suggest the
  sharpest shot of a series.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..photos.decode import FULL_SIZE, decode_photo

SIGNATURE_VERSION = 1  # stored with each signature: a new way of computing them reads photos again
GREY_SIDE = 128
SHARPNESS_SIDE = 512
HASH_SIDE = 32


@dataclass(frozen=True)
class Signature:
    pixel_hash: bytes
    grey: npt.NDArray[np.uint8]
    dct: npt.NDArray[np.float32]
    sharpness: float


def read_signature(path: str) -> Signature:
    """The signature of the photo at `path`; raises `ImageUnreadable`."""
    image = decode_photo(path, min_side=FULL_SIZE).image
    return signature_of(image)


def signature_of(image: Image.Image) -> Signature:
    rgb = image.convert("RGB")
    pixel_hash = hashlib.blake2b(rgb.tobytes(), digest_size=16, person=b"cbir-pixels").digest()
    grey = rgb.convert("L")
    return Signature(pixel_hash, _fitted(grey, GREY_SIDE), low_frequencies(grey), _sharpness(grey))


def low_frequencies(grey: Image.Image) -> npt.NDArray[np.float32]:
    """The 8x8 top-left block of the 2-D DCT-II of the image squeezed to 32x32."""
    small = np.asarray(grey.resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS), np.float64)
    basis = _dct_basis(HASH_SIDE)[:8]
    return np.asarray(basis @ small @ basis.T, np.float32)


def _dct_basis(n: int) -> npt.NDArray[np.float64]:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    basis = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    basis[0] /= np.sqrt(2.0)
    return np.asarray(basis, np.float64)


def _fitted(grey: Image.Image, side: int) -> npt.NDArray[np.uint8]:
    small = grey.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(small, np.uint8)


def _sharpness(grey: Image.Image) -> float:
    """Variance of the Laplacian on a copy at most `SHARPNESS_SIDE` pixels wide and high:
    higher is sharper; comparable between shots of one scene, not across scenes."""
    a = _fitted(grey, SHARPNESS_SIDE).astype(np.float32)
    if min(a.shape) < 3:
        return 0.0
    lap = a[1:-1, :-2] + a[1:-1, 2:] + a[:-2, 1:-1] + a[2:, 1:-1] - 4 * a[1:-1, 1:-1]
    return float(lap.var())
