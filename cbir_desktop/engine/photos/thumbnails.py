"""Thumbnails on disk: made once per photo version, in the user's cache folder.

A thumbnail is a JPEG named by a hash of the photo's path, size and mtime, so a
changed photo gets a new one and stale ones are simply never read again. Decoding
uses JPEG draft mode, so even a 12-MP photo takes tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import ImageUnreadable
from ..files import write_atomic
from ..photos.decode import decode_photo

THUMBNAIL_SIDE = 512  # long side in pixels: sharp at the largest grid size on HiDPI


def thumbnail_path(cache_dir: Path, photo: str) -> Path | None:
    """Where the thumbnail of the current version of `photo` lives (None: file gone)."""
    try:
        st = os.stat(photo)
    except OSError:
        return None
    key = f"{os.fsencode(photo).hex()}|{st.st_size}|{st.st_mtime_ns}|{THUMBNAIL_SIDE}"
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return cache_dir / digest[:2] / f"{digest}.jpg"


def thumbnail(cache_dir: Path, photo: str, remake: bool = False) -> Path:
    """Return the path of a JPEG thumbnail of `photo`, making it if needed (or if `remake`:
    the cached one turned out damaged).

    Blocking (decodes the photo on a cache miss); call it from a worker thread.
    Raises `ImageUnreadable` when the photo cannot be read.
    """
    target = thumbnail_path(cache_dir, photo)
    if target is None:
        raise ImageUnreadable(photo, "the file no longer exists")
    if target.is_file() and not remake:
        return target
    decoded = decode_photo(photo, min_side=THUMBNAIL_SIDE // 2)
    image = decoded.image
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return write_atomic(target, lambda handle: image.save(handle, "JPEG", quality=85))
