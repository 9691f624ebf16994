"""`cbir list`: the library's photos grouped by month taken, place or folder, on real camera photos
(../shared/datasets/formats/exif, its tags.csv the ground truth)."""

from __future__ import annotations

import calendar
import json
import re
from pathlib import Path

import pytest
from helpers import EXIF
from helpers import cbir_with_shipped_models as cbir

HEADER = re.compile(r"^(.+) · (\d+) photos?$")

pytestmark = pytest.mark.e2e


def _groups(stdout: str) -> list[tuple[str, int, list[str]]]:
    """(header, count, file names) per group of `cbir list`'s text output."""
    groups: list[tuple[str, int, list[str]]] = []
    for line in stdout.splitlines():
        match = HEADER.match(line)
        if match:
            groups.append((match[1], int(match[2]), []))
        else:
            assert line.startswith("  /"), line
            groups[-1][2].append(Path(line.strip()).name)
    return groups


def _month(exif_date: str) -> str:
    """"2008:10:22 16:28:39" -> "October 2008"."""
    year, month = exif_date.split(":")[:2]
    return f"{calendar.month_name[int(month)]} {year}"


def test_the_timeline_lists_every_photo_once_under_its_month_newest_first(exif_library: Path, exif_truth) -> None:
    groups = _groups(cbir("list", library=exif_library).stdout)
    listed = [name for _, _, names in groups for name in names]
    assert sorted(listed) == sorted(exif_truth)  # every photo, once
    assert all(count == len(names) for _, count, names in groups)  # one page: the whole groups
    month_of = {name: header for header, _, names in groups for name in names}
    dated = {name: row["datetime_original"] for name, row in exif_truth.items() if row["datetime_original"]}
    assert dated and all(month_of[name] == _month(when) for name, when in dated.items())
    months = [header for header, _, _ in groups]
    assert len(months) == len(set(months))  # one header per month
    keys = [json.loads(line)["key"] for line in cbir("list", "--json", library=exif_library).stdout.splitlines()]
    assert keys == sorted(keys, reverse=True) and all(re.fullmatch(r"\d{4}-\d\d", key) for key in keys)


def test_places_list_countries_then_towns_and_photos_without_gps_last(exif_library: Path, exif_truth) -> None:
    groups = _groups(cbir("list", "--by", "place", library=exif_library).stdout)
    *placed, last = groups
    without_gps = {name for name, row in exif_truth.items() if not row["gps_lat"]}
    assert last[0] == "No place" and set(last[2]) == without_gps
    assert sum(len(names) for _, _, names in placed) == len(exif_truth) - len(without_gps)
    countries = [header.rpartition(", ")[2] for header, _, _ in placed]
    assert countries == sorted(countries)  # by country, then town
    italy = next(names for header, _, names in placed if header.startswith("Arezzo, "))
    for name in italy:
        info = json.loads(cbir("info", "--json", str(EXIF / name), library=exif_library).stdout)
        assert (info["city"], info["country"]) == ("Arezzo", "Italy")


def test_filters_narrow_the_listing_and_a_filter_matching_nothing_says_so(exif_library: Path, exif_truth) -> None:
    in_2008 = {name for name, row in exif_truth.items() if row["datetime_original"].startswith("2008:")}
    listed = cbir("list", "--json", "--year", "2008", library=exif_library).stdout
    records = [json.loads(line) for line in listed.splitlines()]
    assert {Path(p["path"]).name for r in records for p in r["photos"]} == in_2008
    assert all(r["group"].endswith(" 2008") and r["count"] == len(r["photos"]) for r in records)
    assert all(p["taken"].startswith("2008-") for r in records for p in r["photos"])
    folders = _groups(cbir("list", "--by", "folder", "--camera", "canon", library=exif_library).stdout)
    assert [(header, count) for header, count, _ in folders] == [
        (str(EXIF), sum(1 for row in exif_truth.values() if row["make"].lower().startswith("canon")))]
    result = cbir("list", "--year", "1990", library=exif_library)
    assert result.stdout.strip() == "no photo matches these filters"
