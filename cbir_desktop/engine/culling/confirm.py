"""The low-level check that two candidate photos are one shot, not two photos of one subject.

Cheapest first: the same upright pixels (an exact copy in another container); perceptual
hashes at most `HASH_DISTANCE` bits apart for some flip or quarter turn (another size,
compression, format, orientation, a colour edit or black-and-white), with the two grey copies,
so turned and squeezed to one size, agreeing: their edges at `HASH_AGREEMENT` overall and
`HASH_LOCAL` in the worst tile, their grey levels following one tone curve to `HASH_TONE` in
the worst tile (tiles.py); else, for a crop or a small rotation, the two grey copies registered
onto each other (registration.py, about 30 ms a pair) with their edges agreeing at `AGREEMENT`
and their grey levels following one tone curve to `TONE` in the worst tile, tried only where
the caller allows (a photo and its nearest: finder.py).

Hashes and whole-picture edges alone call two product shots on white alike (two motorbikes of
one model, 0.8-0.97) and a registration alone two portraits a second apart (0.8-0.9); the
worst-tile measures part them. The thresholds were chosen on Caltech-101's candidate pairs,
whose groups were checked by eye (bench/duplicates.py and its audit file), with neardup/'s
groups all kept whole (tests/e2e/test_duplicates_neardup.py).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..storage.culling_rows import StoredSignature
from .hashes import closest, turned
from .registration import align
from .tiles import worst_edges, worst_tone

CHECK_VERSION = 2  # kept with each pair verdict: a change to these checks (thresholds too) decides pairs again
HASH_DISTANCE = 10  # of 63 bits
HASH_AGREEMENT = 0.85
HASH_LOCAL = 0.6
HASH_TONE = 0.7
AGREEMENT = 0.78
TONE = 0.72
_SQUEEZED = 64  # the side both grey copies are squeezed to for the check after the hashes

SAME_PIXELS = "same pixels"
SAME_HASH = "same picture"
ALIGNED = "crop or rotation"


def same_pixels(a: StoredSignature, b: StoredSignature) -> bool:
    return a.readable and b.readable and a.pixel_hash == b.pixel_hash


def same_shot(a: StoredSignature, b: StoredSignature, register: bool = True) -> str:
    """Why `a` and `b` show the same shot, or "" when they do not (or cannot be read);
    `register` False skips the costly check for crops and rotations."""
    if not (a.readable and b.readable) or a.dct is None or b.dct is None or a.grey is None or b.grey is None:
        return ""
    if a.pixel_hash == b.pixel_hash:
        return SAME_PIXELS
    bits, variant = closest(a.dct, b.dct)
    if bits <= HASH_DISTANCE and same_picture(a.grey, turned(b.grey, variant)):
        return SAME_HASH
    if register:
        aligned = align(a.grey, b.grey)
        if aligned.agreement >= AGREEMENT and aligned.tone >= TONE:
            return ALIGNED
    return ""


def same_picture(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> bool:
    """Whether two grey copies of one framing (`b` already turned like `a`) agree: their edges,
    both squeezed to one square, overall and in the worst tile; their grey levels, `b` resized
    to `a`, in the worst tile."""
    edges_a, edges_b = _squeezed_edges(a), _squeezed_edges(b)
    inner = np.zeros(edges_a.shape, bool)
    inner[1:-1, 1:-1] = True  # np.gradient's one-sided differences at the border say little
    if _correlation(edges_a[inner], edges_b[inner]) < HASH_AGREEMENT:
        return False
    if worst_edges(edges_a, edges_b, inner) < HASH_LOCAL:
        return False
    resized = np.asarray(Image.fromarray(b).resize((a.shape[1], a.shape[0]), Image.Resampling.BILINEAR), np.float64)
    return worst_tone(a.astype(np.float64), resized, np.ones(a.shape, bool)) >= HASH_TONE


def _squeezed_edges(grey: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    small = np.asarray(Image.fromarray(grey).resize((_SQUEEZED, _SQUEEZED), Image.Resampling.BILINEAR), np.float64)
    gy, gx = np.gradient(small)
    return np.asarray(np.hypot(gx, gy), np.float64)


def _correlation(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / norm) if norm > 0 else 0.0
