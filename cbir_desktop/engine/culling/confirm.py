"""The low-level check that two candidate photos are one shot, not two photos of one subject.

Cheapest first: the same upright pixels (an exact copy in another container); perceptual
hashes at most `HASH_DISTANCE` bits apart for some flip or quarter turn (another size,
compression, format, orientation, a colour edit or black-and-white); else, for a crop or a
small rotation, the two grey copies registered onto each other agreeing at `AGREEMENT` or
more (registration.py). On neardup/ the same shots agree at 0.82-0.97 and different photos
at most at 0.34; on Caltech-101 different photos of one subject stay below (bench/duplicates.py).
"""

from __future__ import annotations

from ..storage.culling_rows import StoredSignature
from .hashes import distance
from .registration import align

HASH_DISTANCE = 10  # of 63 bits
AGREEMENT = 0.6

SAME_PIXELS = "same pixels"
SAME_HASH = "same picture"
ALIGNED = "crop or rotation"


def same_pixels(a: StoredSignature, b: StoredSignature) -> bool:
    return a.readable and b.readable and a.pixel_hash == b.pixel_hash


def same_shot(a: StoredSignature, b: StoredSignature) -> str:
    """Why `a` and `b` show the same shot, or "" when they do not (or cannot be read)."""
    if not (a.readable and b.readable) or a.dct is None or b.dct is None or a.grey is None or b.grey is None:
        return ""
    if a.pixel_hash == b.pixel_hash:
        return SAME_PIXELS
    if distance(a.dct, b.dct) <= HASH_DISTANCE:
        return SAME_HASH
    if align(a.grey, b.grey).agreement >= AGREEMENT:
        return ALIGNED
    return ""
