"""`cbir search --sort date` on real camera photos (../shared/datasets/formats/exif): the same
results as by relevance, those past the relevance cut-off first, each part newest taken first."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import EXIF
from helpers import cbir_with_shipped_models as cbir

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def taken(exif_library: Path) -> dict[str, float]:
    """Each photo's capture time (seconds, UTC) as `cbir info` reads it from the library."""
    files = sorted(str(p) for p in EXIF.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    lines = cbir("info", "--json", *files, library=exif_library).stdout.splitlines()
    return {record["path"]: record["taken_utc"] for record in map(json.loads, lines)}


def _results(exif_library: Path, *args: str) -> list[dict]:
    results: list[dict] = json.loads(cbir("search", "--json", *args, library=exif_library).stdout)["results"]
    return results


@pytest.mark.parametrize("query", [["--text", "car"], ["--image", str(EXIF / "exif-samples__DSCN0010.jpg")],
                                   ["--text", "building", "--gps"]])
def test_sort_by_date_shows_the_same_results_newest_taken_first(exif_library: Path, taken, query: list[str]) -> None:
    by_relevance = _results(exif_library, "-k", "20", *query)
    by_date = _results(exif_library, "-k", "20", *query, "--sort", "date")
    assert sorted(r["path"] for r in by_date) == sorted(r["path"] for r in by_relevance)
    assert len(by_date) >= 10
    relevant = [r["relevant"] for r in by_date]
    assert relevant == sorted(relevant, reverse=True)  # the hits past the cut-off first, as shown
    for part in (True, False):
        times = [taken[r["path"]] for r in by_date if r["relevant"] is part]
        assert times == sorted(times, reverse=True), part
    # Printed: the hits past the cut-off (few in this varied set), then with --all every hit, in that order.
    for everything in ([], ["--all"]):
        out = cbir("search", "-k", "20", *query, "--sort", "date", *everything, library=exif_library).stdout
        printed = [found.group(0) for line in out.splitlines()[1:]
                   if (found := re.search(r"/\S+\.jpe?g", line, re.IGNORECASE))]
        assert printed == [r["path"] for r in by_date if r["relevant"] or everything]


def test_sort_by_date_reorders_what_relevance_ranks(exif_library: Path, taken) -> None:
    by_relevance = [r["path"] for r in _results(exif_library, "-k", "20", "--text", "car")]
    by_date = [r["path"] for r in _results(exif_library, "-k", "20", "--text", "car", "--sort", "date")]
    assert by_relevance != by_date


def test_filters_alone_list_by_date_whatever_the_sort(exif_library: Path) -> None:
    listed = cbir("search", "-k", "50", "--camera", "canon", "--sort", "relevance", library=exif_library).stdout
    assert listed == cbir("search", "-k", "50", "--camera", "canon", "--sort", "date", library=exif_library).stdout
    assert len(listed.splitlines()) > 3
