"""Perceptual hashes (DCT pHash) of a photo and of its flips and quarter turns.

The 8x8 low-frequency DCT block of a photo (signature.py) turned or flipped is the block
itself transposed or with signs changed (the DCT is separable: flipping the image left to
right negates its odd columns of coefficients), so the 8 hashes of the dihedral variants come
from the one stored block without touching the pixels again. A hash bit says whether a
coefficient (the mean excluded) lies above the median of the others.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_ODD = (-1.0) ** np.arange(8)  # the sign each coefficient row/column takes under a flip


def variants(dct: npt.NDArray[np.float32]) -> list[npt.NDArray[np.float32]]:
    """The block of the image as stored, flipped and turned: the 8 symmetries of a square."""
    flipped_lr = dct * _ODD[None, :]
    flipped_ud = dct * _ODD[:, None]
    both = dct * _ODD[:, None] * _ODD[None, :]
    blocks = [dct, flipped_lr, flipped_ud, both]
    return [*blocks, *[block.T for block in blocks]]


def phash(dct: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
    """64 bits (63 meaningful: the mean's is always False)."""
    values = dct.astype(np.float64).ravel().copy()
    values[0] = np.nan
    median = np.nanmedian(values)
    return np.asarray(values > median, np.bool_)


def distance(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> int:
    """The smallest Hamming distance between `a`'s hash and a hash of any turn or flip of `b`."""
    return closest(a, b)[0]


def closest(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> tuple[int, int]:
    """(Hamming distance, which variant of `b`) for the turn or flip of `b` closest to `a`."""
    mine = phash(a)
    found = [int(np.count_nonzero(mine != phash(block))) for block in variants(b)]
    best = int(np.argmin(found))
    return found[best], best


def turned(image: npt.NDArray[np.uint8], variant: int) -> npt.NDArray[np.uint8]:
    """A grey image flipped and turned as `variants` index `variant` says of its DCT block."""
    flips = (image, image[:, ::-1], image[::-1, :], image[::-1, ::-1])[variant % 4]
    return np.ascontiguousarray(flips.T if variant >= 4 else flips)
