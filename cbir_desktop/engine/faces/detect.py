"""Faces in an upright RGB image: HOG boxes, 5 landmarks and a 128-d descriptor each.

Everything is returned as fractions of the image's width and height, so a face found on a
downscaled copy places itself on the full photo (or a thumbnail) unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .models import thread_models

DESCRIPTOR_DIM = 128
LANDMARK_POINTS = 5
CHIP_JITTERS = 0  # dlib's default; jittering costs 10x per face for a little accuracy


@dataclass(frozen=True)
class FoundFace:
    """One face: box (x, y, w, h) and landmarks (x0, y0, ... x4, y4) as fractions of the image."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: npt.NDArray[np.float32]  # float32[10]
    descriptor: npt.NDArray[np.float32]  # float32[128], unit-free: same person below ~0.6 apart


def find_faces(pixels: npt.NDArray[np.uint8], upsample: int = 1) -> list[FoundFace]:
    """The faces in `pixels` (height, width, 3 RGB uint8), best detector score first;
    `upsample` doubles the image that many times first (finds faces down to ~40/2^n px)."""
    models = thread_models()
    image = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = image.shape[:2]
    rects, scores, _ = models.detector.run(image, upsample, 0.0)
    found = []
    for rect, score in zip(rects, scores, strict=True):
        shape = models.landmarks(image, rect)
        descriptor = models.descriptor.compute_face_descriptor(image, shape, CHIP_JITTERS)
        points = np.array([(p.x / width, p.y / height) for p in shape.parts()], dtype=np.float32).reshape(-1)
        left, top = max(rect.left(), 0), max(rect.top(), 0)
        right, bottom = min(rect.right() + 1, width), min(rect.bottom() + 1, height)
        box = (left / width, top / height, (right - left) / width, (bottom - top) / height)
        found.append(FoundFace(box, float(score), points, np.asarray(descriptor, dtype=np.float32)))
    found.sort(key=lambda face: -face.score)
    return found
