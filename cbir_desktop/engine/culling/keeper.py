"""Which copy of a group to keep, and why; what tells the members apart.

For copies of one shot (the "exact" and "same" levels) the keeper is, in order: a RAW over the
JPEG made from it; an original over an export, an edit or a copy (a name the phone, the editor
or the file manager gave it: "IMG_E1234", "-edited", "copy", "(1)"), since an edit can have more
pixels (a square crop exported larger) yet is not the photo as taken; the most pixels; the one
that kept the camera's metadata; one in a format cameras write (JPEG, HEIF, RAW, TIFF) over
one that exports and screenshots use (PNG, WebP, BMP); the larger file at equal resolution
(less compressed); the sharpest; the oldest file.
For a series (different shots) the sharpest comes first, then the rest in the same order; when
its shots have faces (face_sharpness.py), the shot whose faces are sharpest comes before that
(eyes open cannot be measured with the landmarks we ship), and a shot without faces after those with.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from ..photos.formats import RAW_EXTENSIONS, extension
from ..storage.culling_rows import CopyFacts

_DERIVED = re.compile(r"((^|[-_ ])IMG_E\d)|([-_ ](edit(ed)?|copy|export(ed)?|kopie|copie)$)|(\(\d+\)$)",
                      re.IGNORECASE)
SERIES = "series"
_CAMERA_FORMATS = frozenset({"JPEG", "JPG", "HEIF", "HEIC", "RAW", "DNG", "TIFF", "TIF"})


def derived_name(path: str) -> bool:
    """Whether a file's name says it was made from another (an edit, an export, a copy)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return bool(_DERIVED.search(stem))


def camera_format(f: CopyFacts) -> bool:
    return is_raw(f.path) or file_format(f) in _CAMERA_FORMATS


def is_raw(path: str) -> bool:
    return extension(path) in RAW_EXTENSIONS


def choose_keeper(members: Sequence[CopyFacts], sharpness: dict[int, float], level: str,
                  face_sharpness: Mapping[int, float] | None = None) -> tuple[CopyFacts, tuple[str, ...]]:
    """The member to keep and the reasons, in the words a person reads. `face_sharpness` (per
    photo with faces, its least sharp face) ranks a series first when given."""
    faces = face_sharpness or {}

    def merits(f: CopyFacts) -> tuple[float, ...]:
        copy = (float(is_raw(f.path)), float(not derived_name(f.path)), float(f.width * f.height),
                float(f.camera is not None), float(camera_format(f)), float(f.size), sharpness.get(f.id, 0.0),
                -f.mtime_ns / 1e9)
        if level != SERIES:
            return copy
        return (float(f.id in faces), faces.get(f.id, 0.0), sharpness.get(f.id, 0.0), *copy)

    ranked = sorted(members, key=merits, reverse=True)
    best = ranked[0]
    return best, _reasons(best, ranked[1:], sharpness, level, faces)


def _reasons(best: CopyFacts, others: Sequence[CopyFacts], sharpness: dict[int, float], level: str,
             faces: Mapping[int, float]) -> tuple[str, ...]:
    reasons = []
    sharp = sharpness.get(best.id, 0.0)
    if level == SERIES and best.id in faces and any(faces.get(o.id, -1.0) < faces[best.id] for o in others):
        reasons.append("the sharpest faces")
    if level == SERIES and any(sharpness.get(o.id, 0.0) < sharp for o in others):
        reasons.append("the sharpest")
    if is_raw(best.path) and any(not is_raw(o.path) for o in others):
        reasons.append("RAW over its JPEG")
    if not derived_name(best.path) and any(derived_name(o.path) for o in others):
        reasons.append("the original, not an edit, export or copy")
    if any(o.width * o.height < best.width * best.height for o in others):
        reasons.append("the highest resolution")
    if best.camera is not None and any(o.camera is None for o in others):
        reasons.append("kept the camera's metadata")
    if camera_format(best) and any(not camera_format(o) for o in others):
        reasons.append(f"{file_format(best)} as cameras write it")
    same_size = [o for o in others if o.width * o.height == best.width * best.height]
    if same_size and any(o.size < best.size for o in same_size):
        reasons.append("the larger file at the same resolution")
    if level != SERIES and any(sharpness.get(o.id, 0.0) < sharp for o in others) and not reasons:
        reasons.append("the sharpest")
    if not reasons:
        reasons.append("the oldest file" if any(o.mtime_ns != best.mtime_ns for o in others) else "identical copies")
    return tuple(reasons)


def file_format(f: CopyFacts) -> str:
    return f.file_type or extension(f.path).lstrip(".").upper()


def taken(f: CopyFacts) -> str:
    if f.taken_local:
        return f.taken_local
    return datetime.fromtimestamp(f.mtime_ns / 1e9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def differences(member: CopyFacts, keeper: CopyFacts, sharpness: dict[int, float]) -> tuple[str, ...]:
    """What differs from the keeper, of what matters: resolution, file size, format, date, sharpness."""
    found = []
    if (member.width, member.height) != (keeper.width, keeper.height):
        found.append("resolution")
    if member.size != keeper.size:
        found.append("file size")
    if file_format(member) != file_format(keeper):
        found.append("format")
    if taken(member) != taken(keeper):
        found.append("date")
    a, b = sharpness.get(member.id), sharpness.get(keeper.id)
    if a is not None and b is not None and abs(a - b) > 0.05 * max(a, b, 1e-9):
        found.append("sharpness")
    return tuple(found)
