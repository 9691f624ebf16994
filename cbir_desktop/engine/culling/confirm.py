"""The low-level check that two candidate photos are one shot, not two photos of one subject.

Cheapest first: the same upright pixels (an exact copy in another container); perceptual
hashes at most `HASH_DISTANCE` bits apart for some flip or quarter turn (another size,
compression, format, orientation, a colour edit or black-and-white) with the edges of the two
grey copies, so turned and squeezed to one size, agreeing at `HASH_AGREEMENT` or more (hashes
alone call two product shots on white alike: two motorbikes, two dollar bills on Caltech-101:
0.81 at most there, 0.91 and up for neardup/'s copies); else, for a crop or a
small rotation, the two grey copies registered onto each other agreeing at `AGREEMENT` or
more (registration.py, about 30 ms a pair; Caltech-101's crops 0.76-0.90, two airliners in
one pose 0.75), tried only where the caller allows (a photo and
its nearest: finder.py) and the vectors are at least `REGISTER_COSINE` alike (neardup/'s crop
and rotations: 0.80-0.84). On neardup/ the same
shots agree at 0.82-0.97 and different photos at most at 0.34; Caltech-101's different photos
of one subject: bench/duplicates.py.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..storage.culling_rows import StoredSignature
from .hashes import closest, turned
from .registration import align

CHECK_VERSION = 1  # kept with each pair verdict: a change to these checks (thresholds too) decides pairs again
HASH_DISTANCE = 10  # of 63 bits
AGREEMENT = 0.78
HASH_AGREEMENT = 0.85
_SQUEEZED = 64  # the side both grey copies are squeezed to for the check after the hashes
REGISTER_COSINE = 0.78

SAME_PIXELS = "same pixels"
SAME_HASH = "same picture"
ALIGNED = "crop or rotation"


def same_pixels(a: StoredSignature, b: StoredSignature) -> bool:
    return a.readable and b.readable and a.pixel_hash == b.pixel_hash


def same_shot(a: StoredSignature, b: StoredSignature, cosine: float = 1.0, register: bool = True) -> str:
    """Why `a` and `b` (their vectors `cosine` alike) show the same shot, or "" when they do
    not (or cannot be read); `register` False skips the costly check for crops and rotations."""
    if not (a.readable and b.readable) or a.dct is None or b.dct is None or a.grey is None or b.grey is None:
        return ""
    if a.pixel_hash == b.pixel_hash:
        return SAME_PIXELS
    bits, variant = closest(a.dct, b.dct)
    if bits <= HASH_DISTANCE and edge_agreement(a.grey, turned(b.grey, variant)) >= HASH_AGREEMENT:
        return SAME_HASH
    if register and cosine >= REGISTER_COSINE and align(a.grey, b.grey).agreement >= AGREEMENT:
        return ALIGNED
    return ""


def edge_agreement(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> float:
    """Normalised correlation of the edges of two grey images squeezed to one square."""
    edges = []
    for grey in (a, b):
        small = np.asarray(Image.fromarray(grey).resize((_SQUEEZED, _SQUEEZED), Image.Resampling.BILINEAR),
                           np.float64)
        gy, gx = np.gradient(small)
        e = np.hypot(gx, gy)[1:-1, 1:-1].ravel()
        edges.append(e - e.mean())
    norm = float(np.sqrt((edges[0] ** 2).sum() * (edges[1] ** 2).sum()))
    return float((edges[0] * edges[1]).sum() / norm) if norm > 0 else 0.0
