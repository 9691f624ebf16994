"""What a library holds, counted by filter: the values the window's filter pickers offer.

One GROUP BY per kind of filter (capture months, places, cameras, lenses, file types, GPS)
over the photos the current filters allow, each kind without its own filter, so that a
picker also offers the alternatives to what is chosen (several values of one filter are
alternatives). With no filter the queries read the `metadata` table alone, mostly from its
indexes. A count is how many photos choosing that value would list: `place:` matches a town,
region or country, and `camera:` and `lens:` match part of a name ("Nikon D300" also lists a
Nikon D300S), so a value's count adds up every group its term matches (filtering.py). Read
only: runs on the caller's catalogue connection and never takes the writer lock.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ..types import FacetCount, Facets, Filters
from .catalogue import Catalogue
from .filtering import TYPE_NAMES, where_clause
from .vocabulary import Vocabulary

__all__ = ["facets"]

_KIND_OF_TYPE = {name: kind for kind, names in TYPE_NAMES.items() for name in names}


def facets(catalogue: Catalogue, filters: Filters | None = None) -> Facets:
    """The library's years and months, places, cameras, lenses, file types and GPS, counted
    over the photos `filters` allow (None or empty: the whole library)."""
    filters = filters or Filters()
    narrowed = {"dates": replace(filters, since=None, before=None), "places": replace(filters, places=()),
                "cameras": replace(filters, cameras=()), "lenses": replace(filters, lenses=()),
                "types": replace(filters, types=()), "gps": replace(filters, has_gps=None), "photos": filters}
    with _Photos(catalogue.db, narrowed.values(), catalogue.vocabulary()) as photos:
        first, last, years = _dates(photos, narrowed["dates"])
        return Facets(
            photos=photos.count(narrowed["photos"]),
            years=years,
            places=_places(photos, narrowed["places"]),
            cameras=_cameras(photos, narrowed["cameras"]),
            lenses=_lenses(photos, narrowed["lenses"]),
            types=_types(photos, narrowed["types"]),
            gps=_gps(photos, narrowed["gps"]),
            first_taken=first,
            last_taken=last,
        )


class _Photos:
    """The photos each kind's filters allow, as a FROM clause. With no filter that is the
    metadata table alone, mostly read from its indexes (a photo without a row has no value
    to count). A filter several kinds share (a single place:US narrows all but places) is
    run once into a temporary table, which SQLite keeps apart from the catalogue file (so a
    read-only connection can make it); alone, its clause goes into the kind's query."""

    def __init__(self, db: sqlite3.Connection, wanted: Iterable[Filters], vocabulary: Vocabulary) -> None:
        self.db = db
        self.vocabulary = vocabulary
        self._uses = Counter(_clause(filters, vocabulary) for filters in wanted)
        self._tables: dict[tuple[str, tuple[Any, ...]], str] = {}

    def __enter__(self) -> _Photos:
        return self

    def __exit__(self, *exc: object) -> None:
        for table in self._tables.values():
            self.db.execute(f"DROP TABLE IF EXISTS temp.{table}")

    def source(self, filters: Filters) -> tuple[str, str, tuple[Any, ...]]:
        """(FROM clause, WHERE clause, its parameters) of the photos `filters` allow, joined to `metadata m`."""
        clause = _clause(filters, self.vocabulary)
        where, params = clause
        if where == "1":
            return "metadata m", "1", ()
        if self._uses[clause] < 2:
            return _JOINED, where, params
        if clause not in self._tables:
            table = f"facet_photos_{len(self._tables)}"
            self.db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY)")
            self.db.execute(f"DELETE FROM temp.{table}")
            self.db.execute(f"INSERT INTO temp.{table} SELECT p.id FROM {_JOINED} WHERE {where}", params)
            self._tables[clause] = table
        return f"temp.{self._tables[clause]} f LEFT JOIN metadata m ON m.photo_id = f.id", "1", ()

    def grouped(self, columns: tuple[str, ...], filters: Filters, present: str) -> list[tuple[Any, ...]]:
        """(columns..., count) for the photos `filters` allow, grouped by `columns`, where `present` holds."""
        source, where, params = self.source(filters)
        group = ", ".join(str(i + 1) for i in range(len(columns)))
        return self.db.execute(f"SELECT {', '.join(columns)}, COUNT(*) FROM {source} WHERE ({where}) AND {present} "
                               f"GROUP BY {group}", params).fetchall()

    def count(self, filters: Filters) -> int:
        source, where, params = self.source(filters)
        if source == "metadata m":  # every photo, with or without a metadata row
            return int(self.db.execute("SELECT COUNT(*) FROM photos").fetchone()[0])
        return int(self.db.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", params).fetchone()[0])

    def located(self, filters: Filters) -> int:
        source, where, params = self.source(filters)
        return int(self.db.execute(f"SELECT COUNT(*) FROM {source} WHERE ({where}) AND m.lat IS NOT NULL",
                                   params).fetchone()[0])


_JOINED = "photos p LEFT JOIN metadata m ON m.photo_id = p.id"


def _clause(filters: Filters, vocabulary: Vocabulary) -> tuple[str, tuple[Any, ...]]:
    where, params = where_clause(filters, vocabulary)
    return where, tuple(params)


def _dates(photos: _Photos, filters: Filters) -> tuple[str | None, str | None, tuple[FacetCount, ...]]:
    """The first and last capture day, and years newest first with their months."""
    if photos.source(filters)[0] == "metadata m":
        found = _months_on_index(photos.db)
    else:
        found = photos.grouped(("substr(m.taken_local, 1, 7)",), filters, "m.taken_local IS NOT NULL")
    by_year: dict[str, list[FacetCount]] = defaultdict(list)
    for month, count in sorted(found):
        by_year[month[:4]].append(FacetCount(month, count))
    years = tuple(FacetCount(year, sum(m.count for m in within), within=tuple(within))
                  for year, within in sorted(by_year.items(), reverse=True))
    if not found:
        return None, None, years
    source, where, params = photos.source(filters)
    # Two subqueries: SQLite reads a lone min() or max() off the index's ends, not both at once.
    first, last = photos.db.execute(f"SELECT (SELECT min(m.taken_local) FROM {source} WHERE {where}), "
                                    f"(SELECT max(m.taken_local) FROM {source} WHERE {where})",
                                    params + params).fetchone()
    return first[:10], last[:10], years


def _months_on_index(db: sqlite3.Connection) -> list[tuple[str, int]]:
    """(month, photos) of the whole library, from the capture-time index: a range count per
    month and a seek to the next one (10 ms at 100k photos against 36 ms for GROUP BY substr,
    which cannot use the index's order)."""
    found = []
    month = db.execute("SELECT substr(min(taken_local), 1, 7) FROM metadata").fetchone()[0]
    while month:
        year, number = int(month[:4]), int(month[5:7])
        following = f"{year + number // 12:04d}-{number % 12 + 1:02d}"
        count = db.execute("SELECT COUNT(*) FROM metadata WHERE taken_local >= ? AND taken_local < ?",
                           (month, following)).fetchone()[0]
        found.append((month, int(count)))
        month = db.execute("SELECT substr(min(taken_local), 1, 7) FROM metadata WHERE taken_local >= ?",
                           (following,)).fetchone()[0]
    return found


def _places(photos: _Photos, filters: Filters) -> tuple[FacetCount, ...]:
    """Countries, most photos first, each with its towns; `place:` matches any of a photo's
    town, region, country and country code, so a value counts every group naming it."""
    # Grouped on the place index's columns (country_code, region, city); the country's name,
    # not in it, is looked up once per country.
    groups = photos.grouped(("m.country_code", "m.region", "m.city"), filters, "m.country_code IS NOT NULL")
    codes = {code for code, _, _, _ in groups}
    countries = {code: photos.db.execute("SELECT country FROM metadata WHERE country_code = ? AND country IS NOT NULL "
                                         "LIMIT 1", (code,)).fetchone() for code in codes}
    names = {code: row[0] if row else code for code, row in countries.items()}
    named: dict[str, set[int]] = defaultdict(set)
    for i, (code, region, city, _) in enumerate(groups):
        for name in (code, names[code], region, city):
            if name:
                named[name.lower()].add(i)

    def count(value: str) -> int:
        return sum(groups[i][3] for i in named[value.lower()])

    towns: dict[str, set[str]] = defaultdict(set)
    for code, _, city, _ in groups:
        towns[names[code]].update([city] if city else [])
    return _most_first(FacetCount(country, count(country), within=_most_first(FacetCount(town, count(town))
                                                                              for town in cities))
                       for country, cities in towns.items())


def _cameras(photos: _Photos, filters: Filters) -> tuple[FacetCount, ...]:
    """Maker and model as one name ("Fujifilm X100V"), counted as `camera:` matches: by part of the name."""
    groups = photos.grouped(("m.make", "m.model"), filters, "coalesce(m.make, m.model) IS NOT NULL")
    names = [(" ".join(part for part in (make, model) if part), f"{make or ''} {model or ''}".lower(), count)
             for make, model, count in groups]
    return _by_part(names)


def _lenses(photos: _Photos, filters: Filters) -> tuple[FacetCount, ...]:
    groups = photos.grouped(("m.lens",), filters, "m.lens IS NOT NULL")
    return _by_part((lens, lens.lower(), count) for lens, count in groups)


def _by_part(groups: Iterable[tuple[str, str, int]]) -> tuple[FacetCount, ...]:
    """Each name, counted over every group whose searched text holds it (a LIKE '%name%' filter)."""
    rows = list(groups)
    names = {name for name, _, _ in rows}
    return _most_first(FacetCount(name, sum(count for _, searched, count in rows if name.lower() in searched))
                       for name in names)


def _types(photos: _Photos, filters: Filters) -> tuple[FacetCount, ...]:
    kinds: Counter[str] = Counter()
    for file_type, count in photos.grouped(("m.file_type",), filters, "m.file_type IS NOT NULL"):
        if file_type in _KIND_OF_TYPE:
            kinds[_KIND_OF_TYPE[file_type]] += count
    return _most_first(FacetCount(kind, count) for kind, count in kinds.items())


def _gps(photos: _Photos, filters: Filters) -> tuple[FacetCount, ...]:
    """With a position ("yes") and without ("no", photos with no metadata row too, as `gps:no` lists them)."""
    total, located = photos.count(filters), photos.located(filters)
    return tuple(FacetCount(value, count) for value, count in (("yes", located), ("no", total - located)) if count)


def _most_first(values: Iterable[FacetCount]) -> tuple[FacetCount, ...]:
    return tuple(sorted(values, key=lambda v: (-v.count, v.value.lower())))
