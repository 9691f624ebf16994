"""Photos that cannot hold readable text, told from their pixels alone, before any model is
loaded: too small for a line of text, or of one flat colour. Ordinary photos pass on to the
detector; what this saves is the detector pass (and the models' load) on blank frames, solid
fills and thumbnails-of-nothing, which are what most test libraries are made of."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# The smallest word crops in ../shared/datasets/ocr (words_mmocr) are 17-19 px high and still
# readable; below 12 px on the short side no line of text is (a Latin x-height under 6 px).
MIN_SIDE = 12
# Text differs from its background: a photo whose every channel spans fewer levels than this
# (JPEG noise on a solid fill spans 0-3) has no strokes to read.
MIN_SPAN = 12


def cannot_hold_text(pixels: npt.NDArray[np.uint8]) -> bool:
    """Whether `pixels` (height, width, channels) is too small for text or of one flat colour."""
    if min(pixels.shape[:2]) < MIN_SIDE:
        return True
    flat = pixels.reshape(-1, pixels.shape[2]) if pixels.ndim == 3 else pixels.reshape(-1, 1)
    spans = flat.max(axis=0).astype(np.int16) - flat.min(axis=0).astype(np.int16)
    return bool(spans.max() < MIN_SPAN)
