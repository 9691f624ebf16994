"""How sharp the faces in the shots of a series are, so that the suggested keeper of a burst is
the shot where everyone is sharp, not the one whose background is.

Eyes open would be a better test still, but what we ship cannot measure it: dlib's 5-point
landmark model (CC0, the one the faces step uses) gives two corners of each eye and a point under
the nose, nothing of the eyelids. The 68-point model, whose eyelid points give an eye's
openness, is trained on iBUG 300-W, whose licence forbids commercial use, so it is not shipped
(faces/models.py). The sharpest faces is the next best thing the issue asks for.

A face's sharpness is the variance of the Laplacian of its box, cut from the upright decode of
the photo (`decode_photo`, as the faces step and the signatures read it: stored boxes are
fractions of that upright photo), in grey and scaled to `FACE_SIDE` pixels square, so the faces
of a burst are compared at one scale whatever their size in the frame. Like the whole-image
sharpness, it compares shots of one scene, not photos of different scenes. A photo's score is
its least sharp main face (faces at least `MAIN_FACE` as tall as its tallest: someone out of
focus in the background of every shot does not decide), so everyone in the keeper is sharp.

Cheap: only members of groups whose photos the faces step has all read (a photo not read yet is
not taken for one without faces) and where at least one has faces are decoded, once each, only
as large as their smallest main face needs, and only their face boxes are measured (about
75 ms for an 11-MP JPEG with three faces, against 265 ms for its signature). Scores are not
stored in the catalogue but remembered while the app runs, for the photo's content and boxes,
so searching again (another time window) decodes nothing twice.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..errors import ImageUnreadable
from ..photos.decode import FULL_SIZE, decode_photo
from ..storage.catalogue import Catalogue
from ..storage.culling_rows import CopyFacts
from ..storage.face_rows import faces_of, photos_read_for_faces

__all__ = ["FACE_SIDE", "MAIN_FACE", "crop_sharpness", "face_sharpness", "least_sharp_face", "main_faces"]

FACE_SIDE = 128  # a face is measured at this size: blur of a few pixels in a 12-MP shot still shows
MAIN_FACE = 0.5  # of the tallest face's height: smaller faces are bystanders, not the subject
REMEMBERED = 20_000  # photo scores kept while the app runs (a few MB)

Box = tuple[float, float, float, float]  # x, y, w, h as fractions of the upright photo


def face_sharpness(catalogue: Catalogue, facts: dict[int, CopyFacts], groups: Iterable[Sequence[int]]
                   ) -> dict[int, float]:
    """Per photo of `groups` (lists of photo ids) whose faces count, the sharpness of its least
    sharp main face; photos without faces, or whose file cannot be read, are absent.
    Blocking: decodes those photos on a few threads."""
    listed = [list(group) for group in groups]
    ids = [pid for group in listed for pid in group if pid in facts]
    faces = faces_of(catalogue, ids)
    if not faces:
        return {}
    read = photos_read_for_faces(catalogue, ids)
    wanted = {pid: [face.box for face in faces[pid]]
              for group in listed if all(pid in read for pid in group) and any(pid in faces for pid in group)
              for pid in group if pid in faces and pid in facts}
    if not wanted:
        return {}
    with ThreadPoolExecutor(_threads(), thread_name_prefix="face-sharpness") as pool:
        scores = list(pool.map(lambda pid: _score(facts[pid], tuple(wanted[pid])), wanted))
    return {pid: score for pid, score in zip(wanted, scores, strict=True) if score is not None}


def main_faces(boxes: Sequence[Box]) -> list[Box]:
    """The faces at least `MAIN_FACE` as tall as the tallest (height as a fraction of the photo)."""
    tallest = max((box[3] for box in boxes), default=0.0)
    return [box for box in boxes if box[3] >= MAIN_FACE * tallest]


def least_sharp_face(image: Image.Image, boxes: Sequence[Box]) -> float:
    """The sharpness of the least sharp of the main faces at `boxes` in the upright `image`."""
    return min(crop_sharpness(image, box) for box in main_faces(boxes))


def crop_sharpness(image: Image.Image, box: Box) -> float:
    """Variance of the Laplacian of the face at `box`, in grey, scaled to `FACE_SIDE` square."""
    x, y, w, h = box
    left, top = round(x * image.width), round(y * image.height)
    right = min(image.width, max(left + 1, round((x + w) * image.width)))
    bottom = min(image.height, max(top + 1, round((y + h) * image.height)))
    face = image.crop((left, top, right, bottom)).convert("L")
    return laplacian_variance(np.asarray(face.resize((FACE_SIDE, FACE_SIDE), Image.Resampling.LANCZOS), np.float32))


def laplacian_variance(grey: npt.NDArray[np.float32]) -> float:
    """Variance of the 4-neighbour Laplacian: higher is sharper."""
    if min(grey.shape) < 3:
        return 0.0
    lap = grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    return float(lap.var())


def _score(photo: CopyFacts, boxes: tuple[Box, ...]) -> float | None:
    """The photo's `least_sharp_face`; None when it cannot be read (not remembered: a drive
    plugged in again makes it readable)."""
    try:
        if photo.content_hash is None:  # nothing says when the file changes: measure it now
            return _photo_score(photo.path, boxes)
        return _remembered_score(photo.path, photo.content_hash, boxes)
    except (ImageUnreadable, MemoryError):
        return None


@lru_cache(maxsize=REMEMBERED)
def _remembered_score(path: str, content_hash: bytes, boxes: tuple[Box, ...]) -> float:
    """`_photo_score`, once per photo content and face boxes (lru_cache is thread-safe)."""
    return _photo_score(path, boxes)


def _photo_score(path: str, boxes: Sequence[Box]) -> float:
    """`least_sharp_face` of the photo at `path`, decoded once so that its smallest main face is
    at least `FACE_SIDE` pixels (a box is a fraction of each side, so of the shorter side at
    least); raises `ImageUnreadable`."""
    smallest = min(min(box[2], box[3]) for box in main_faces(boxes))
    min_side = FULL_SIZE if smallest <= 0 else min(FULL_SIZE, math.ceil(FACE_SIDE / smallest))
    return least_sharp_face(decode_photo(path, min_side=min_side).image, boxes)


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))
