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
    mine = phash(a)
    return min(int(np.count_nonzero(mine != phash(block))) for block in variants(b))
