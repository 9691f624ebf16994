"""Searches that combine what with when, where and with what camera, on real camera photos
(../shared/datasets/formats/exif, its tags.csv the ground truth), through the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import EXIF
from helpers import cbir_with_shipped_models as cbir

pytestmark = pytest.mark.e2e


def _listed(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [Path(line.strip()).name for line in result.stdout.splitlines()[1:] if line.startswith("  /")]


def test_filters_alone_list_the_matching_photos_newest_taken_first(exif_library: Path, exif_truth) -> None:
    canon = {name for name, row in exif_truth.items() if row["make"].lower().startswith("canon")}
    listed = _listed(cbir("search", "-k", "100", "--camera", "canon", library=exif_library))
    assert set(listed) == canon and canon
    dates = [exif_truth[name]["datetime_original"] for name in listed]
    assert dates == sorted(dates, reverse=True)
    # The same filter as a key:value term.
    assert _listed(cbir("search", "-k", "100", "--text", "camera:canon", library=exif_library)) == listed


def test_a_year_and_a_place_narrow_to_exactly_those_photos(exif_library: Path, exif_truth) -> None:
    in_2008 = {name for name, row in exif_truth.items() if row["datetime_original"].startswith("2008:")}
    assert set(_listed(cbir("search", "-k", "100", "--year", "2008", library=exif_library))) == in_2008
    with_gps = {name for name, row in exif_truth.items() if row["gps_lat"]}
    assert set(_listed(cbir("search", "-k", "100", "--gps", library=exif_library))) == with_gps
    # Every photo listed for a country is placed in it by `cbir info`.
    france = _listed(cbir("search", "-k", "100", "--place", "FR", library=exif_library))
    assert france
    for name in france:
        info = json.loads(cbir("info", "--json", str(EXIF / name), library=exif_library).stdout)
        assert info["country_code"] == "FR"


def test_content_with_filters_ranks_only_the_filtered_photos_and_never_returns_fewer(
        exif_library: Path, exif_truth) -> None:
    in_2008 = {name for name, row in exif_truth.items() if row["datetime_original"].startswith("2008:")}
    out = cbir("search", "--json", "-k", "100", "--text", "car year:2008", library=exif_library).stdout
    hits = [Path(hit["path"]).name for hit in json.loads(out)["results"]]
    assert set(hits) == in_2008  # all of them, ranked: the filter is narrower than k
    image = EXIF / sorted(in_2008)[0]
    out = cbir("search", "--json", "-k", "3", "--image", str(image), "--year", "2008", library=exif_library).stdout
    record = json.loads(out)
    assert record["query"]["filters"] == ["year:2008"]
    assert Path(record["results"][0]["path"]).name == image.name
    assert {Path(hit["path"]).name for hit in record["results"]} <= in_2008


def test_a_filter_matching_nothing_says_so_and_a_wrong_one_is_a_sentence(exif_library: Path) -> None:
    out = cbir("search", "--text", "dog", "--place", "atlantis", library=exif_library).stdout
    assert out.splitlines() == ["dog place:atlantis:", "  no photo matches these filters"]
    wrong = cbir("search", "--text", "dog year:soon", library=exif_library, check=False)
    assert wrong.returncode == 1 and "year:soon is not a date" in wrong.stdout
