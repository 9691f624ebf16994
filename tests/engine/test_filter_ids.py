"""A filter's photos found through the library's own names: a place, camera or lens typed
in any case and in part resolves to the names the library holds, the answer equals the
slow row-by-row match, a name the library does not hold finds nothing, and a photo
indexed a moment ago is found by its new place at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from cbir_desktop.engine.search.query import parse_query
from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.storage.filtering import where_clause
from cbir_desktop.engine.types import PhotoMetadata

TOWNS = [("Lisbon", "Lisbon", "Portugal", "PT"), ("Porto", "Porto", "Portugal", "PT"),
         ("Sintra", "Lisbon", "Portugal", "PT"), ("Austin", "Texas", "United States", "US"),
         (None, None, None, None)]
CAMERAS = [("Fujifilm", "X100V", "23mm F2"), ("Canon", "EOS R6", "RF24-105mm F4 L IS USM"),
           ("Canon", "EOS 80D", "EF-S18-135mm f/3.5-5.6 IS USM"), ("Apple", "iPhone 12", None), (None, None, None)]


def _add(catalogue: Catalogue, n: int, town: tuple, camera: tuple, year: int = 2019, kind: str = "JPEG") -> int:
    pid = catalogue.upsert_photo(f"/photos/{n}.jpg", 1, n, n.to_bytes(16, "big"), 4, 4)
    catalogue.store_metadata(pid, PhotoMetadata(
        taken_local=f"{year}-06-01T12:00:00", city=town[0], region=town[1], country=town[2], country_code=town[3],
        make=camera[0], model=camera[1], lens=camera[2], file_type=kind, lat=1.0 if town[0] else None,
        lon=1.0 if town[0] else None), 1)
    return pid


@pytest.fixture()
def catalogue(tmp_path: Path) -> Catalogue:
    catalogue = Catalogue(tmp_path / "catalogue.sqlite")
    with catalogue.transaction():
        for n in range(100):
            _add(catalogue, n, TOWNS[n % len(TOWNS)], CAMERAS[n % 7 % len(CAMERAS)], 2010 + n % 10,
                 "RAW" if n % 4 == 0 else "JPEG")
    return catalogue


def _slow(catalogue: Catalogue, typed: str) -> set[int]:
    """The same filter matched row by row (functions on columns): what the names must agree with."""
    where, params = where_clause(parse_query(typed).filters)
    return {r[0] for r in catalogue.db.execute(
        f"SELECT p.id FROM photos p LEFT JOIN metadata m ON m.photo_id = p.id WHERE {where}", params)}


@pytest.mark.parametrize("typed", [
    "place:lisbon", "place:LISBON", "place:portugal", "place:pt", "place:porto place:austin", "place:texas",
    "camera:fuji", "camera:canon", "camera:eos", "camera:r6", "camera:iphone", "camera:canon camera:fuji",
    "lens:f4", "lens:ef-s", "place:portugal camera:canon year:2015", "place:us type:raw", "gps:no", "gps:yes",
    "place:atlantis", "camera:leica", "lens:zeiss", "place:lisbon folder:photos"])
def test_a_filter_through_the_library_s_names_finds_what_matching_every_row_finds(
        catalogue: Catalogue, typed: str) -> None:
    expected = _slow(catalogue, typed)
    assert set(catalogue.filter_ids(parse_query(typed).filters).tolist()) == expected
    assert set(catalogue.filtered_photos(parse_query(typed).filters)) == expected
    if typed.split(":")[1] in ("atlantis", "leica", "zeiss"):
        assert not expected  # a name the library does not hold: nothing


def test_a_region_finds_its_towns_and_a_town_only_itself(catalogue: Catalogue) -> None:
    lisbon_region = catalogue.filter_ids(parse_query("place:lisbon").filters)
    towns = {r[0] for r in catalogue.db.execute(
        f"SELECT DISTINCT city FROM metadata WHERE photo_id IN ({','.join(map(str, lisbon_region.tolist()))})")}
    assert towns == {"Lisbon", "Sintra"}  # "Lisbon" is a town and its region: Sintra is in the region
    sintra = catalogue.filter_ids(parse_query("place:sintra").filters)
    assert {r[0] for r in catalogue.db.execute(
        f"SELECT DISTINCT city FROM metadata WHERE photo_id IN ({','.join(map(str, sintra.tolist()))})")} == {"Sintra"}


def test_a_photo_from_a_new_place_or_camera_is_found_at_once(catalogue: Catalogue, tmp_path: Path) -> None:
    filters = parse_query("place:reykjavik camera:ricoh").filters
    assert not catalogue.filter_ids(filters).size
    other = Catalogue(tmp_path / "catalogue.sqlite")  # another connection indexes it (the worker)
    with other.transaction():
        pid = _add(other, 500, ("Reykjavik", "Capital Region", "Iceland", "IS"), ("Ricoh", "GR III", None))
    assert catalogue.filter_ids(filters).tolist() == [pid]
    with other.transaction():  # and a kept answer is not kept past a change
        other.delete_photos([pid])
    assert not catalogue.filter_ids(filters).size
