"""The library in groups, for the library view: by month taken (newest first), by place
(country, then town), by folder; a page at a time, each group with its whole count."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import LISBON, PARIS, PORTO, camera_photo, solid

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.errors import EngineError
from cbir_desktop.engine.types import Filters


@pytest.fixture
def library(tiny_models, tmp_path):
    root = tmp_path / "photos"
    made = {
        "lisbon1": camera_photo(root / "lisbon1.jpg", (200, 30, 30), "2019:03:10 09:00:00", position=LISBON),
        "lisbon2": camera_photo(root / "lisbon2.jpg", (30, 200, 30), "2019:03:20 18:30:00", position=LISBON),
        "porto": camera_photo(root / "porto.jpg", (30, 30, 200), "2018:12:25 12:00:00", position=PORTO),
        "paris": camera_photo(root / "trip" / "paris.jpg", (220, 220, 40), "2019:07:01 08:00:00", position=PARIS),
        "scan": solid(root / "trip" / "scan.png", "purple"),  # no EXIF: dated by its file
        "old": solid(root / "old.png", "grey"),
    }
    os.utime(made["scan"], (1_494_000_000, 1_494_000_000))  # May 2017
    with open_library(tmp_path / "library") as lib:
        lib.index([root])
        # A photo indexed before metadata was read (an older library, until its next rescan)
        # has no metadata row: no date, no place.
        lib.catalogue.db.execute("DELETE FROM metadata WHERE photo_id = ?",
                                 (lib.catalogue.photo_by_path(str(made["old"])).id,))
        yield lib, made


def _outline(sections) -> list[tuple[str, int, list[str]]]:
    return [(s.group.label, s.group.count, [Path(h.path).stem for h in s.hits]) for s in sections]


def test_the_timeline_groups_by_month_taken_newest_first_with_undated_photos_last(library) -> None:
    lib, made = library
    sections = lib.grouped("month")
    assert _outline(sections) == [
        ("July 2019", 1, ["paris"]),
        ("March 2019", 2, ["lisbon2", "lisbon1"]),  # newest first within the month too
        ("December 2018", 1, ["porto"]),
        ("May 2017", 1, ["scan"]),  # the file's date where the photo has none of its own
        ("Date unknown", 1, ["old"]),
    ]
    assert [s.group.key for s in sections] == ["2019-07", "2019-03", "2018-12", "2017-05", ""]
    assert sections[1].hits[0].taken == "2019-03-20T18:30:00"  # the capture time, for the caption


def test_pages_go_on_where_the_last_stopped_and_a_split_group_keeps_its_whole_count(library) -> None:
    lib, _ = library
    pages = [_outline(lib.grouped("month", offset=offset, limit=2)) for offset in (0, 2, 4, 6)]
    assert pages == [
        [("July 2019", 1, ["paris"]), ("March 2019", 2, ["lisbon2"])],
        [("March 2019", 2, ["lisbon1"]), ("December 2018", 1, ["porto"])],
        [("May 2017", 1, ["scan"]), ("Date unknown", 1, ["old"])],
        [],
    ]


def test_places_group_by_country_then_town_with_photos_without_a_place_last(library) -> None:
    lib, made = library
    towns = {name: lib.metadata(made[name]).city for name in ("lisbon1", "porto", "paris")}
    assert all(towns.values()) and towns["lisbon1"] != towns["porto"]
    assert lib.metadata(made["lisbon2"]).city == towns["lisbon1"]
    assert _outline(lib.grouped("place")) == [
        (f"{towns['paris']}, France", 1, ["paris"]),
        (f"{towns['lisbon1']}, Portugal", 2, ["lisbon2", "lisbon1"]),
        (f"{towns['porto']}, Portugal", 1, ["porto"]),
        ("No place", 2, ["scan", "old"]),  # the dated one first
    ]


def test_folders_group_by_folder_with_their_photos_by_name(library, tmp_path) -> None:
    lib, _ = library
    root = tmp_path / "photos"
    assert _outline(lib.grouped("folder")) == [
        (str(root), 4, ["lisbon1", "lisbon2", "old", "porto"]),
        (str(root / "trip"), 2, ["paris", "scan"]),
    ]
    assert _outline(lib.grouped("folder", offset=3, limit=2)) == [
        (str(root), 4, ["porto"]), (str(root / "trip"), 2, ["paris"])]


def test_filters_narrow_the_groups_and_their_counts(library, tmp_path) -> None:
    lib, _ = library
    assert _outline(lib.grouped("month", Filters(places=("portugal",)))) == [
        ("March 2019", 2, ["lisbon2", "lisbon1"]), ("December 2018", 1, ["porto"])]
    assert _outline(lib.grouped("place", Filters(folders=(str(tmp_path / "photos" / "trip"),)))) == [
        ("Paris, France", 1, ["paris"]), ("No place", 1, ["scan"])]
    assert lib.grouped("month", Filters(since="2030-01-01T00:00:00")) == []


def test_an_unknown_grouping_is_refused_with_a_sentence(library) -> None:
    lib, _ = library
    with pytest.raises(EngineError, match="month, place, folder"):
        lib.grouped("colour")
