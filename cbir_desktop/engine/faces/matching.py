"""Which detected face a box from elsewhere (an XMP face region, a face stored before the photo
was read again) is: the one it overlaps best, by intersection over union."""

from __future__ import annotations

from collections.abc import Sequence

Box = tuple[float, float, float, float]  # x, y, w, h as fractions of the upright photo
SAME_FACE = 0.3  # IoU from which a region is taken for a detected face: MWG boxes are drawn looser than HOG's


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def match_boxes(faces: Sequence[Box], boxes: Sequence[Box], least: float = SAME_FACE) -> dict[int, int]:
    """Index in `boxes` -> index in `faces` it overlaps best (at least `least`), each face taken
    once, the best overlaps first; a box with no such face is left out."""
    pairs = sorted(((overlap(face, box), b, f) for b, box in enumerate(boxes) for f, face in enumerate(faces)),
                   reverse=True)
    matched: dict[int, int] = {}
    used: set[int] = set()
    for score, b, f in pairs:
        if score < least:
            break
        if b not in matched and f not in used:
            matched[b] = f
            used.add(f)
    return matched
