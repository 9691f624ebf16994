"""RAW+JPEG pairs: which RAW file goes with which JPEG, found from their paths alone.

Cameras set to RAW+JPEG write both files into one folder under one name ("IMG_0001.CR2"
and "IMG_0001.JPG"); software that copies them sometimes changes the case of one. So a
RAW pairs with the JPEG (.jpg/.jpeg, any case) in the same folder whose stem matches its
own without regard to case. Both stay photos of their own (vectors, metadata, tags); the
catalogue keeps the links (`raw_pairs`, found again after each indexing run and when an
older catalogue is upgraded) and results show a pair once, as its JPEG (search/pairs.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from .formats import RAW_EXTENSIONS

__all__ = ["JPEG_EXTENSIONS", "pair_key", "raw_pairs_among"]

JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg"})


def pair_key(path: str) -> tuple[str, bool] | None:
    """(folder and lower-case stem, whether it is the RAW) for a JPEG or RAW file, else None."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    ext = ext.lower()
    if ext not in JPEG_EXTENSIONS and ext not in RAW_EXTENSIONS:
        return None
    return os.path.join(folder, stem.lower()), ext in RAW_EXTENSIONS


def raw_pairs_among(photos: Iterable[tuple[int, str]]) -> list[tuple[int, int]]:
    """(raw_id, jpeg_id) of every RAW among (photo id, path) whose JPEG is among them too.

    A RAW without a JPEG pairs with nothing. Where one stem has two JPEGs ("a.jpg" and
    "a.JPEG"), the RAWs pair with the first path in sorted order; the other stays single.
    """
    jpegs: dict[str, tuple[str, int]] = {}
    raws: list[tuple[str, int]] = []
    for photo_id, path in photos:
        key = pair_key(path)
        if key is None:
            continue
        if key[1]:
            raws.append((key[0], photo_id))
        elif key[0] not in jpegs or path < jpegs[key[0]][0]:
            jpegs[key[0]] = (path, photo_id)
    return sorted((raw_id, jpegs[key][1]) for key, raw_id in raws if key in jpegs)
