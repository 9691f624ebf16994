"""RAW+JPEG pairs: one photo in every result list (the JPEG, naming its RAW), unless turned off."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import COLOURS, solid
from PIL import Image

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.photos.pairs import raw_pairs_among
from cbir_desktop.engine.types import Filters, SearchHit
from cbir_desktop.sample_photos import write_dng


def _raw(path: Path, colour: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_dng(path, Image.new("RGB", (64, 48), COLOURS[colour]))


def _paired_folder(root: Path) -> dict[str, Path]:
    """Two pairs (one with names in different cases), a RAW alone and a JPEG alone."""
    return {
        "green_jpg": solid(root / "IMG_0001.JPG", "green"),
        "green_raw": _raw(root / "IMG_0001.dng", "green"),
        "blue_jpg": solid(root / "holiday.jpeg", "blue"),
        "blue_raw": _raw(root / "HOLIDAY.DNG", "blue"),
        "red_raw": _raw(root / "lone.dng", "red"),
        "grey_jpg": solid(root / "grey.jpg", "grey"),
    }


def _shown(hits: list[SearchHit]) -> list[tuple[str, str | None]]:
    return [(os.path.basename(h.path), os.path.basename(h.raw_path) if h.raw_path else None) for h in hits]


def test_a_pair_is_one_photo_shown_as_its_jpeg_naming_its_raw(tiny_models, tmp_path) -> None:
    files = _paired_folder(tmp_path / "photos")
    with open_library(tmp_path / "library") as library:
        library.index([tmp_path / "photos"])
        assert library.pairs_as_one
        assert library.status(check=False).photos == 6  # both files of a pair are indexed
        assert library.metadata(files["green_raw"]).file_type == "RAW"  # each with its own metadata

        listed = sorted(_shown(library.browse()))
        assert listed == [("IMG_0001.JPG", "IMG_0001.dng"), ("grey.jpg", None), ("holiday.jpeg", "HOLIDAY.DNG"),
                          ("lone.dng", None)]  # a RAW alone is a photo like any other

        hits = library.search_image(files["green_jpg"], k=10)
        assert _shown(hits)[0] == ("IMG_0001.JPG", "IMG_0001.dng") and hits[0].relevance == 1.0
        assert len(hits) == 4 and not any(h.path == str(files["green_raw"]) for h in hits)
        by_raw = library.search_image(files["blue_raw"], k=10)  # the RAW stands for its JPEG
        assert _shown(by_raw)[0] == ("holiday.jpeg", "HOLIDAY.DNG") and by_raw[0].relevance == 1.0

        text = library.search_text("green", k=10)
        assert _shown(text)[0] == ("IMG_0001.JPG", "IMG_0001.dng") and len(text) == 4
        assert library.raw_companion(files["blue_jpg"]) == str(files["blue_raw"])
        assert library.raw_companion(files["grey_jpg"]) is None


def test_a_pair_keeps_the_better_score_of_its_two_files(tiny_models, tmp_path) -> None:
    root = tmp_path / "photos"
    solid(root / "IMG_0001.jpg", (40, 160, 40))  # the JPEG a little off the query's green
    raw = _raw(root / "IMG_0001.dng", "green")
    query = solid(tmp_path / "query.png", "green")
    solid(root / "other.jpg", "red")
    with open_library(tmp_path / "library") as library:
        library.index([root])
        library.set_pairs_as_one(False)
        both = {os.path.basename(h.path): h.score for h in library.search_image(query, k=10)}
        library.set_pairs_as_one(True)
        paired = library.search_image(query, k=10)
        assert _shown(paired)[0] == ("IMG_0001.jpg", "IMG_0001.dng")
        assert paired[0].score == max(both["IMG_0001.jpg"], both["IMG_0001.dng"])
        assert paired[0].raw_path == str(raw)


def test_searches_return_k_results_after_merging_pairs(tiny_models, tmp_path) -> None:
    root = tmp_path / "photos"
    for i, colour in enumerate(["red", "green", "blue", "yellow", "grey"]):
        solid(root / f"IMG_{i}.jpg", colour)
        _raw(root / f"IMG_{i}.DNG", colour)
    query = solid(tmp_path / "query.png", "green")
    with open_library(tmp_path / "library") as library:
        library.index([root])
        for k in (1, 3, 5):
            hits = library.search_image(query, k=k)
            assert len(hits) == k and len({h.path for h in hits}) == k
            assert all(h.path.endswith(".jpg") and h.raw_path for h in hits)
            assert len(library.search_text("green", k=k)) == k
        assert len(library.search_image(query, k=20)) == 5  # no more than there are


def test_listing_pages_count_a_pair_once(tiny_models, tmp_path) -> None:
    root = tmp_path / "photos"
    for i, colour in enumerate(["red", "green", "blue"]):
        for path in (solid(root / f"IMG_{i}.jpg", colour), _raw(root / f"IMG_{i}.dng", colour)):
            os.utime(path, (1_000_000 + i, 1_000_000 + i))
    with open_library(tmp_path / "library") as library:
        library.index([root])
        pages = [library.browse(offset=offset, limit=2) for offset in (0, 2, 4)]
        assert [_shown(page) for page in pages] == [
            [("IMG_2.jpg", "IMG_2.dng"), ("IMG_1.jpg", "IMG_1.dng")], [("IMG_0.jpg", "IMG_0.dng")], []]
        assert len(library.filtered(Filters(folders=(str(root),)), 0, 10)) == 3
        assert len(library.browse(root, limit=10)) == 3


def test_every_page_size_pages_through_each_photo_once(tiny_models, tmp_path) -> None:
    root = tmp_path / "photos"
    for i in range(7):  # paired RAWs newer than every JPEG: a page's first rows are all left out
        os.utime(solid(root / f"IMG_{i}.jpg", (30 * i, 90, 200 - 20 * i)), (1_000 + i, 1_000 + i))
        os.utime(_raw(root / f"IMG_{i}.dng", "green"), (9_000 + i, 9_000 + i))
    os.utime(_raw(root / "lone.dng", "red"), (5_000, 5_000))
    with open_library(tmp_path / "library") as library:
        library.index([root])
        everything = [h.path for h in library.browse(limit=100)]
        assert len(everything) == 8 and os.path.basename(everything[0]) == "lone.dng"
        for limit in (1, 2, 3, 5):
            paged = [h.path for offset in range(0, 10, limit) for h in library.browse(root, offset, limit)]
            assert paged == everything


def test_a_type_filter_shows_the_files_of_that_type(tiny_models, tmp_path) -> None:
    files = _paired_folder(tmp_path / "photos")
    with open_library(tmp_path / "library") as library:
        library.index([tmp_path / "photos"])
        raws = library.filtered(Filters(types=("raw",)), 0, 10)
        assert sorted(_shown(raws)) == [("HOLIDAY.DNG", None), ("IMG_0001.dng", None), ("lone.dng", None)]
        jpegs = library.filtered(Filters(types=("jpeg",)), 0, 10)
        assert sorted(_shown(jpegs)) == [("IMG_0001.JPG", "IMG_0001.dng"), ("grey.jpg", None),
                                         ("holiday.jpeg", "HOLIDAY.DNG")]
        found = library.search_image(files["green_raw"], k=3, filters=Filters(types=("raw",)))
        assert _shown(found)[0] == ("IMG_0001.dng", None)  # its JPEG is filtered out: the RAW itself


def test_pairing_off_shows_both_files_and_is_kept_by_the_library(tiny_models, tmp_path) -> None:
    files = _paired_folder(tmp_path / "photos")
    with open_library(tmp_path / "library") as library:
        library.index([tmp_path / "photos"])
        library.set_pairs_as_one(False)
        assert len(library.browse()) == 6 and not any(h.raw_path for h in library.browse())
        hits = library.search_image(files["green_jpg"], k=2)
        assert {os.path.basename(h.path) for h in hits} == {"IMG_0001.JPG", "IMG_0001.dng"}
    with open_library(tmp_path / "library") as library:
        assert not library.pairs_as_one
        library.set_pairs_as_one(True)
        assert len(library.browse()) == 4


def test_pairs_follow_the_files_across_rescans(tiny_models, tmp_path) -> None:
    root = tmp_path / "photos"
    files = _paired_folder(root)
    with open_library(tmp_path / "library") as library:
        library.index([root])
        files["green_jpg"].unlink()  # the JPEG goes: its RAW is a photo of its own again
        solid(root / "LONE.jpg", "red")  # a JPEG arrives for the lone RAW
        library.index()
        assert sorted(_shown(library.browse())) == [
            ("IMG_0001.dng", None), ("LONE.jpg", "lone.dng"), ("grey.jpg", None), ("holiday.jpeg", "HOLIDAY.DNG")]
        os.replace(files["blue_raw"], root / "renamed.dng")  # renamed: no longer the JPEG's stem
        library.index()
        assert ("holiday.jpeg", None) in _shown(library.browse())
        library.remove_folder(root)
        assert library.browse() == []


def test_raw_pairs_are_found_by_folder_and_stem_without_regard_to_case() -> None:
    photos = [(1, "/a/IMG_1.JPG"), (2, "/a/img_1.cr2"), (3, "/b/IMG_1.CR2"), (4, "/a/IMG_2.png"),
              (5, "/a/IMG_2.NEF"), (6, "/a/x.jpeg"), (7, "/a/x.jpg"), (8, "/a/X.ARW"), (9, "/a/IMG_1.dng")]
    # A PNG is no JPEG, another folder is apart; of two JPEGs the first path ("x.jpeg") pairs.
    assert raw_pairs_among(photos) == [(2, 1), (8, 6), (9, 1)]


def test_a_library_from_before_pairs_finds_them_when_it_is_opened(tiny_models, tmp_path) -> None:
    files = _paired_folder(tmp_path / "photos")
    with open_library(tmp_path / "library") as library:
        library.index([tmp_path / "photos"])
        library.catalogue.db.executescript("DROP TABLE raw_pairs; PRAGMA user_version = 5;")  # as schema 5 wrote it
    with open_library(tmp_path / "library") as library:  # upgraded in place, no indexing run
        assert len(library.browse()) == 4
        assert library.search_image(files["blue_raw"], k=1)[0].raw_path == str(files["blue_raw"])
