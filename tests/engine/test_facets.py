"""What the filter pickers offer (`Library.facets`): the library's years and months, places,
cameras, lenses, file types and GPS, each counted as many photos as choosing it lists, and
narrowed by the filters already chosen."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from helpers import camera_photo, solid

from cbir_desktop.engine.api import Library, filter_term, open_library, parse_query
from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.types import FacetCount, Facets

LISBON, PORTO, BERLIN, SEATTLE = (38.7223, -9.1393), (41.1496, -8.6110), (52.52, 13.405), (47.6062, -122.3321)


@pytest.fixture(scope="module")
def library(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Six photos: five camera JPEGs in four towns (Seattle is in Washington state), and a PNG
    with no metadata, dated by its file (1 May 2017)."""
    root = tmp_path_factory.mktemp("facets")
    photos = root / "photos"
    camera_photo(photos / "lisbon1.jpg", "red", "2019:07:14 18:03:21", "FUJIFILM", "X100V", "23mm F2", LISBON)
    camera_photo(photos / "lisbon2.jpg", "green", "2019:08:02 10:00:00", "Canon", "Canon EOS 40D", "EF50mm f/1.8",
                 LISBON)
    camera_photo(photos / "porto.jpg", "blue", "2019:07:20 09:30:00", "NIKON CORPORATION", "NIKON D300",
                 position=PORTO)
    camera_photo(photos / "berlin.jpg", "yellow", "2018:12:31 23:59:00", "NIKON CORPORATION", "NIKON D300S",
                 "EF50mm f/1.8 II", BERLIN)
    camera_photo(photos / "seattle.jpg", "purple", "2018:03:05 12:00:00", "Apple", "iPhone 4", position=SEATTLE)
    png = solid(photos / "scan.png", "grey")
    stamp = datetime(2017, 5, 1, 12, 0).timestamp()
    os.utime(png, (stamp, stamp))
    mp = pytest.MonkeyPatch()
    mp.setenv("CBIR_MODELS_DIR", str(tiny_models_dir))
    lib = open_library(root / "library")
    lib.index([photos])
    yield lib
    lib.close()
    mp.undo()


def _values(counts: tuple[FacetCount, ...]) -> dict[str, int]:
    return {c.value: c.count for c in counts}


def test_facets_count_what_the_library_holds(library: Library) -> None:
    found = library.facets()
    assert found.photos == 6
    assert [(y.value, y.count, _values(y.within)) for y in found.years] == [
        ("2019", 3, {"2019-07": 2, "2019-08": 1}), ("2018", 2, {"2018-03": 1, "2018-12": 1}),
        ("2017", 1, {"2017-05": 1})]
    assert (found.first_taken, found.last_taken) == ("2017-05-01", "2019-08-02")
    assert [(p.value, p.count, _values(p.within)) for p in found.places] == [
        ("Portugal", 3, {"Lisbon": 2, "Porto": 1}), ("Germany", 1, {"Berlin": 1}),
        ("United States", 1, {"Seattle": 1})]
    assert _values(found.cameras) == {"Fujifilm X100V": 1, "Canon EOS 40D": 1, "Nikon D300": 2, "Nikon D300S": 1,
                                      "Apple iPhone 4": 1}
    assert _values(found.lenses) == {"23mm F2": 1, "EF50mm f/1.8": 2, "EF50mm f/1.8 II": 1}
    assert _values(found.types) == {"jpeg": 5, "png": 1}
    assert _values(found.gps) == {"yes": 5, "no": 1}
    assert found.cameras[0].value == "Nikon D300"  # most photos first


def _every_term(found: Facets) -> list[tuple[str, int]]:
    """Each value a picker offers, as the term it adds, with the count it shows."""
    terms = []
    for key, values in (("year", found.years), ("place", found.places), ("camera", found.cameras),
                        ("lens", found.lenses), ("type", found.types), ("gps", found.gps)):
        for value in values:
            terms.append((filter_term(key, value.value), value.count))
            inner = "month" if key == "year" else key
            terms += [(filter_term(inner, sub.value), sub.count) for sub in value.within]
    return terms


@pytest.mark.parametrize("typed", ["", "place:Portugal", "year:2019 camera:nikon"])
def test_every_count_is_what_choosing_that_value_lists(library: Library, typed: str) -> None:
    """"Nikon D300" also lists the D300S (camera: matches part of the name), and a place counts
    every photo its name matches: the count shown is never a promise the listing breaks."""
    current = parse_query(typed).filters
    found = library.facets(current)
    terms = _every_term(found)
    assert len(terms) >= 10
    for term, count in terms:
        listed = library.filtered(parse_query(" ".join([typed, term])).filters, 0, 100)
        chosen = parse_query(term).filters
        if term.startswith(("place:", "camera:", "lens:")) and any(
                getattr(current, field) for field in ("places", "cameras", "lenses")
                if getattr(chosen, field)):
            continue  # a second value of a chosen kind widens (alternatives): counted alone below
        assert len(listed) == count, (typed, term)


def test_a_filter_narrows_the_other_pickers_but_not_its_own(library: Library) -> None:
    found = library.facets(parse_query("place:Lisbon").filters)
    assert found.photos == 2
    assert _values(found.cameras) == {"Fujifilm X100V": 1, "Canon EOS 40D": 1}
    assert [(y.value, y.count) for y in found.years] == [("2019", 2)]
    assert _values(found.types) == {"jpeg": 2} and _values(found.gps) == {"yes": 2}
    # Places are not narrowed by the place chosen: Porto and Berlin are still there to add.
    assert _values(found.places) == {"Portugal": 3, "Germany": 1, "United States": 1}
    narrowed = library.facets(parse_query("type:png").filters)
    assert narrowed.photos == 1 and narrowed.places == () and narrowed.cameras == ()
    assert _values(narrowed.gps) == {"no": 1} and _values(narrowed.types) == {"jpeg": 5, "png": 1}
    assert library.facets(parse_query("place:atlantis").filters).photos == 0


def test_washington_counts_the_city_and_the_state_as_place_lists_them(library: Library) -> None:
    """Seattle's region is Washington: place:Washington lists it, so a town of that name would
    count it too; here only the state holds it, and no town is called so."""
    listed = library.filtered(parse_query("place:Washington").filters, 0, 100)
    assert [Path(h.path).name for h in listed] == ["seattle.jpg"]
    towns = {t.value for p in library.facets().places for t in p.within}
    assert "Washington" not in towns and "Seattle" in towns


@pytest.mark.parametrize("mode", [{"readonly": True}, {"immutable": True}])
def test_facets_read_a_read_only_catalogue(library: Library, mode: dict[str, bool]) -> None:
    """A shared filter goes into a temporary table, which a read-only catalogue still allows."""
    from cbir_desktop.engine.storage.facets import facets

    library.catalogue.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # immutable: SQLite reads no WAL
    catalogue = Catalogue(library.root / "catalogue.sqlite", **mode)
    try:
        assert facets(catalogue, parse_query("camera:nikon").filters) == library.facets(
            parse_query("camera:nikon").filters)
    finally:
        catalogue.close()


def test_hits_carry_their_capture_time_for_sorting_by_date(library: Library) -> None:
    hits = {Path(h.path).name: h for h in library.filtered(parse_query("").filters, 0, 100)}
    assert hits["lisbon1.jpg"].taken_utc == pytest.approx(datetime(2019, 7, 14, 18, 3, 21).timestamp(), abs=86400)
    assert hits["scan.png"].taken_utc == pytest.approx(datetime(2017, 5, 1, 12, 0).timestamp(), abs=86400)
    assert list(hits) == ["lisbon2.jpg", "porto.jpg", "lisbon1.jpg", "berlin.jpg", "seattle.jpg", "scan.png"]
