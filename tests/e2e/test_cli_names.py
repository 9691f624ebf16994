"""Place and camera names as search words through the CLI, on real camera photos
(../shared/datasets/formats/exif; its tags.csv says where and with what each was taken)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from helpers import cbir_with_shipped_models as cbir

AREZZO = (43.4633, 11.8797)  # the town centre; its photos in tags.csv lie within a few km

pytestmark = pytest.mark.e2e


def _km(row: dict[str, str], place: tuple[float, float]) -> float:
    lat, lon = float(row["gps_lat"]), float(row["gps_lon"])
    dy = (lat - place[0]) * 111.2
    dx = (lon - place[1]) * 111.2 * math.cos(math.radians(place[0]))
    return math.hypot(dx, dy)


def _results(exif_library: Path, text: str, k: int = 60) -> list[dict[str, object]]:
    out = cbir("search", "--json", "-k", str(k), "--text", text, library=exif_library).stdout
    results: list[dict[str, object]] = json.loads(out)["results"]
    return results


def test_a_town_lists_exactly_that_town_s_photos_first_with_the_reason(exif_library: Path, exif_truth) -> None:
    arezzo = {name for name, row in exif_truth.items() if row["gps_lat"] and _km(row, AREZZO) < 10}
    assert len(arezzo) == 9
    results = _results(exif_library, "arezzo")
    first = [Path(str(r["path"])).name for r in results[:len(arezzo)]]
    assert set(first) == arezzo
    dates = [exif_truth[name]["datetime_original"] for name in first]
    assert dates == sorted(dates, reverse=True)  # newest taken first
    assert all(r["matched"] == "taken in Arezzo" and r["relevant"] for r in results[:len(arezzo)])
    assert not any("matched" in r for r in results[len(arezzo):])  # then the look-alikes, each once
    assert len({r["path"] for r in results}) == len(results)
    # The text output shows each one's reason; the look-alikes are below the cut-off.
    lines = cbir("search", "-k", "20", "--text", "Arezzo", library=exif_library).stdout.splitlines()
    shown = [line for line in lines[1:] if "/" in line]
    assert len(shown) >= len(arezzo) and all(line.endswith("(taken in Arezzo)") for line in shown[:len(arezzo)])


def test_a_camera_maker_lists_that_maker_s_photos_first(exif_library: Path, exif_truth) -> None:
    for query, make in (("canon", "canon"), ("fuji", "fujifilm"), ("nikon", "nikon")):
        made = {name for name, row in exif_truth.items() if row["make"].lower().startswith(make)}
        results = _results(exif_library, query)
        assert {Path(str(r["path"])).name for r in results[:len(made)]} == made, query
        assert all(str(r["matched"]).lower().startswith(make) for r in results[:len(made)]), query
        assert not any("matched" in r for r in results[len(made):]), query


def test_content_with_a_place_ranks_that_place_s_photos_by_the_content(exif_library: Path) -> None:
    italy = _country_photos(exif_library, "IT")  # the place:IT filter, checked against a map in test_metadata
    assert len(italy) == 14
    results = _results(exif_library, "church italy")
    first = results[:len(italy)]
    assert {Path(str(r["path"])).name for r in first} == italy
    scores = [float(str(r["score"])) for r in first]
    assert scores == sorted(scores, reverse=True)  # by how much they look like a church
    assert all(r["matched"] == "taken in Italy" for r in first)


def test_a_word_that_names_nothing_here_is_an_ordinary_search(exif_library: Path) -> None:
    for text in ("lisbon", "us", "de"):  # no photo from Lisbon; "us" and "de" are words, not the US and Germany
        assert not any("matched" in r for r in _results(exif_library, text, 10)), text


def _country_photos(exif_library: Path, code: str) -> set[str]:
    out = cbir("search", "-k", "100", "--place", code, library=exif_library).stdout
    return {Path(line.strip()).name for line in out.splitlines()[1:] if line.startswith("  /")}
