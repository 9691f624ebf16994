"""The low-level check that two candidate photos are one shot, not two photos of one subject.

Cheapest first: the same upright pixels (an exact copy in another container); perceptual
hashes at most `HASH_DISTANCE` bits apart for some flip or quarter turn (another size,
compression, format, orientation, a colour edit or black-and-white); else, for a crop or a
small rotation, the two grey copies registered onto each other agreeing at `AGREEMENT` or
more (registration.py, about 30 ms a pair), tried only for pairs whose vectors are at least
`REGISTER_COSINE` alike (neardup/'s crop and rotations: 0.80-0.84). On neardup/ the same
shots agree at 0.82-0.97 and different photos at most at 0.34; Caltech-101's different photos
of one subject: bench/duplicates.py.
"""

from __future__ import annotations

from ..storage.culling_rows import StoredSignature
from .hashes import distance
from .registration import align

HASH_DISTANCE = 10  # of 63 bits
AGREEMENT = 0.6
REGISTER_COSINE = 0.78

SAME_PIXELS = "same pixels"
SAME_HASH = "same picture"
ALIGNED = "crop or rotation"


def same_pixels(a: StoredSignature, b: StoredSignature) -> bool:
    return a.readable and b.readable and a.pixel_hash == b.pixel_hash


def same_shot(a: StoredSignature, b: StoredSignature, cosine: float = 1.0) -> str:
    """Why `a` and `b` (their vectors `cosine` alike) show the same shot, or "" when they do
    not (or cannot be read)."""
    if not (a.readable and b.readable) or a.dct is None or b.dct is None or a.grey is None or b.grey is None:
        return ""
    if a.pixel_hash == b.pixel_hash:
        return SAME_PIXELS
    if distance(a.dct, b.dct) <= HASH_DISTANCE:
        return SAME_HASH
    if cosine >= REGISTER_COSINE and align(a.grey, b.grey).agreement >= AGREEMENT:
        return ALIGNED
    return ""
