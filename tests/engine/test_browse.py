"""Browsing the library without a search: newest photos first, by folder, a page at a time."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import solid

from cbir_desktop.engine.api import open_library


def _dated(path: Path, colour: str, when: int) -> Path:
    solid(path, colour)
    os.utime(path, (when, when))
    return path


def test_browse_pages_through_the_newest_photos_first_with_their_tags(tiny_models, tmp_path) -> None:
    root = tmp_path / "photos"
    old = _dated(root / "old.jpg", "red", 1_000_000)
    new = _dated(root / "trip" / "new.jpg", "blue", 3_000_000)
    mid = _dated(root / "trip" / "day2" / "mid.jpg", "green", 2_000_000)
    other = _dated(tmp_path / "elsewhere" / "grey.jpg", "grey", 2_500_000)
    with open_library(tmp_path / "library") as library:
        library.index([root, tmp_path / "elsewhere"])
        library.edit_tags([new], add=["holiday"])
        everything = library.browse()
        assert [Path(h.path) for h in everything] == [new, other, mid, old]
        assert everything[0].tags[0] == "holiday" and everything[0].score == 0
        assert everything[0].mtime == 3_000_000
        pages = [library.browse(offset=offset, limit=2) for offset in (0, 2, 4)]
        assert [[Path(h.path) for h in page] for page in pages] == [[new, other], [mid, old], []]
        assert [Path(h.path) for h in library.browse(root / "trip")] == [new, mid]  # subfolders too
        assert library.browse(tmp_path / "phot") == []  # a prefix of a name is not a folder
