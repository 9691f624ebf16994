"""The library's distinct place, camera and lens names, kept in memory per connection.

A filter names a place, camera or lens the way a person types it ("lisbon", "fuji",
"x100"). Matching that against every photo's row (`lower(city) = ?`, `LIKE '%fuji%'`)
cannot use an index: 160-214 ms at 100,000 photos (bench/filtered.py). A library holds
few distinct names (hundreds of places, tens of cameras), so the filter is resolved
against those first and becomes equalities on the indexed columns (0.3-18 ms).

The names are read once and read again when the catalogue changed (`Catalogue.change_marker`:
a write on this connection or a commit by another one), from the metadata indexes alone
(tens of ms at 100k photos: paid by a search while a folder is being indexed, never stale).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Camera", "Place", "Vocabulary", "VocabularyCache"]


@dataclass(frozen=True)
class Place:
    """One distinct (country code, region, town) the library holds, and the country's name."""

    country_code: str | None
    region: str | None
    city: str | None
    country: str | None


@dataclass(frozen=True)
class Camera:
    make: str | None
    model: str | None

    @property
    def name(self) -> str:
        return f"{self.make or ''} {self.model or ''}".strip()


@dataclass(frozen=True)
class Vocabulary:
    places: tuple[Place, ...]
    cameras: tuple[Camera, ...]
    lenses: tuple[str, ...]

    def places_named(self, value: str) -> list[tuple[Place, str]]:
        """Places whose town, region, country or country code is `value` (any case), each
        with how it matched: "country", "region" or "city" (the broadest wins)."""
        low = value.strip().lower()
        found = []
        for place in self.places:
            if low in (_low(place.country), _low(place.country_code)):
                found.append((place, "country"))
            elif low == _low(place.region):
                found.append((place, "region"))
            elif low == _low(place.city):
                found.append((place, "city"))
        return found

    def cameras_named(self, value: str) -> list[Camera]:
        """Cameras with `value` in their make and model ("fuji" -> FUJIFILM X100V)."""
        low = value.strip().lower()
        return [camera for camera in self.cameras if low in camera.name.lower()]

    def lenses_named(self, value: str) -> list[str]:
        low = value.strip().lower()
        return [lens for lens in self.lenses if low in lens.lower()]


def _low(text: str | None) -> str | None:
    return text.lower() if text else None


def read_vocabulary(db: sqlite3.Connection) -> Vocabulary:
    """The distinct names, each read off its covering index (a country's name: one row of it)."""
    triples = db.execute("SELECT DISTINCT country_code, region, city FROM metadata WHERE country_code IS NOT NULL "
                         "OR region IS NOT NULL OR city IS NOT NULL").fetchall()
    names = {code: db.execute("SELECT country FROM metadata WHERE country_code = ? AND country IS NOT NULL LIMIT 1",
                              (code,)).fetchone() for code in {t[0] for t in triples if t[0] is not None}}
    places = [Place(code, region, city, (names.get(code) or (None,))[0] if code else None)
              for code, region, city in triples]
    places += [Place(None, None, None, row[0]) for row in db.execute(  # a country with no code (rare)
        "SELECT DISTINCT country FROM metadata WHERE country_code IS NULL AND country IS NOT NULL")]
    cameras = tuple(Camera(*row) for row in db.execute(
        "SELECT DISTINCT make, model FROM metadata WHERE make IS NOT NULL OR model IS NOT NULL"))
    lenses = tuple(row[0] for row in db.execute("SELECT DISTINCT lens FROM metadata WHERE lens IS NOT NULL"))
    return Vocabulary(tuple(places), cameras, lenses)


class VocabularyCache:
    """One connection's vocabulary, read again only after the catalogue changed."""

    def __init__(self, db: sqlite3.Connection, marker: Callable[[], tuple[int, int]]) -> None:
        self._db = db
        self._marker = marker
        self._seen: tuple[int, int] | None = None
        self._vocabulary = Vocabulary((), (), ())

    def get(self) -> Vocabulary:
        """The names, read again if the catalogue changed since."""
        seen = self._marker()
        if seen != self._seen:
            self._vocabulary = read_vocabulary(self._db)
            self._seen = seen
        return self._vocabulary
