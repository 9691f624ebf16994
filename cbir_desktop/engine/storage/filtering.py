"""`Filters` as SQL over the catalogue: which photos a search or a listing is narrowed to.

One WHERE clause over `photos p LEFT JOIN metadata m`: dates on the local capture time,
places on town, region, country or country code, cameras and lenses by part of their name,
folders by path range (absolute) or by a folder name anywhere in the path, file types on
the type the metadata reader saw, tags on the user's confirmed tags and the model's
suggestions the user did not reject, people on a face given to that person (confirmed or
suggested; a suggestion the user rejects leaves). Values of one field are alternatives; fields combine.

Given the library's `Vocabulary`, places, cameras and lenses are first resolved to the
names the library holds and become equalities on indexed columns (a name it does not
hold matches nothing); without one, they are matched on every row (slow at 100k photos).
SQLite turns the LEFT JOIN into an inner one, driven by a metadata index, whenever the
clause needs a metadata column.
"""

from __future__ import annotations

import os
from typing import Any

from ..types import Filters
from .vocabulary import Vocabulary

__all__ = ["TYPE_NAMES", "ids_query", "where_clause"]

# A `type:` filter's kind -> the metadata reader's file_type values.
TYPE_NAMES: dict[str, tuple[str, ...]] = {
    "jpeg": ("JPEG", "MPO"), "heic": ("HEIF", "HEIC"), "avif": ("AVIF",), "png": ("PNG",), "tiff": ("TIFF",),
    "webp": ("WEBP",), "gif": ("GIF",), "bmp": ("BMP",), "raw": ("RAW",),
}
SUGGESTED_FROM = 0.05  # a model tag at this score or above is one the photo shows (search/results.py)


def ids_query(filters: Filters, vocabulary: Vocabulary) -> tuple[str, list[Any]]:
    """A SELECT of the ids of the photos `filters` allow, in no order: on the metadata table
    alone when every photo allowed needs a metadata row (an index drives it, no join),
    else over photos joined with their metadata."""
    needs_row = bool(filters.since or filters.before or filters.places or filters.cameras or filters.lenses
                     or filters.types or filters.has_gps)
    if needs_row and not filters.folders:
        where, params = where_clause(filters, vocabulary, photo_id="m.photo_id")
        return f"SELECT m.photo_id FROM metadata m WHERE {where}", params
    where, params = where_clause(filters, vocabulary)
    return f"SELECT p.id FROM photos p LEFT JOIN metadata m ON m.photo_id = p.id WHERE {where}", params


def where_clause(filters: Filters, vocabulary: Vocabulary | None = None,
                 photo_id: str = "p.id") -> tuple[str, list[Any]]:
    """The WHERE clause (over `photos p LEFT JOIN metadata m`; `photo_id` names the photo's
    id column) and its parameters."""
    parts: list[str] = []
    params: list[Any] = []
    for clause in (_dates, _folders, _types, _gps, lambda f: _tags(f, photo_id), lambda f: _people(f, photo_id)):
        found = clause(filters)
        if found is not None:
            parts.append(found[0])
            params += found[1]
    named = (_places(filters), _names(filters)) if vocabulary is None else (
        _held_places(filters, vocabulary), _held_names(filters, vocabulary))
    for found in named:
        if found is not None:
            parts.append(found[0])
            params += found[1]
    return (" AND ".join(parts) or "1"), params


Clause = tuple[str, list[Any]] | None


def _dates(filters: Filters) -> Clause:
    parts, params = [], []
    if filters.since:
        parts.append("m.taken_local >= ?")
        params.append(filters.since)
    if filters.before:
        parts.append("m.taken_local < ?")
        params.append(filters.before)
    return (" AND ".join(parts), params) if parts else None


def _places(filters: Filters) -> Clause:
    if not filters.places:
        return None
    place = "(lower(m.city) = ? OR lower(m.region) = ? OR lower(m.country) = ? OR lower(m.country_code) = ?)"
    return _any(place, len(filters.places)), [value.lower() for value in filters.places for _ in range(4)]


def _names(filters: Filters) -> Clause:
    """Cameras and lenses, by part of their name."""
    parts, params = [], []
    if filters.cameras:
        parts.append(_any("lower(coalesce(m.make, '') || ' ' || coalesce(m.model, '')) LIKE ?", len(filters.cameras)))
        params += [f"%{value.lower()}%" for value in filters.cameras]
    if filters.lenses:
        parts.append(_any("lower(m.lens) LIKE ?", len(filters.lenses)))
        params += [f"%{value.lower()}%" for value in filters.lenses]
    return (" AND ".join(parts), params) if parts else None


def _held_places(filters: Filters, vocabulary: Vocabulary) -> Clause:
    """Places as equalities on the (country_code, region, city) index: a country by its code,
    a region within its country, a town within its region."""
    if not filters.places:
        return None
    alternatives: dict[tuple[str, tuple[Any, ...]], None] = {}  # ordered, without repeats
    for value in filters.places:
        for place, level in vocabulary.places_named(value):
            if level == "country" and place.country_code is None:  # a country with no code: by name
                alternatives["(m.country_code IS NULL AND m.country = ?)", (place.country,)] = None
                continue
            columns = PLACE_LEVELS[level]
            alternatives[_equal(columns, [getattr(place, column) for column in columns])] = None
    if not alternatives:
        return "0", []
    return "(" + " OR ".join(c for c, _ in alternatives) + ")", [v for _, values in alternatives for v in values]


PLACE_LEVELS = {"country": ("country_code",), "region": ("country_code", "region"),
                "city": ("country_code", "region", "city")}


def _equal(columns: tuple[str, ...], values: list[Any]) -> tuple[str, tuple[Any, ...]]:
    """`m.a = ? AND m.b IS NULL ...` (an index serves both) and the non-null values."""
    clause = " AND ".join(f"m.{c} {'IS NULL' if v is None else '= ?'}" for c, v in zip(columns, values, strict=True))
    return f"({clause})", tuple(v for v in values if v is not None)


def _held_names(filters: Filters, vocabulary: Vocabulary) -> Clause:
    """Cameras as (make, model) equalities, lenses as `IN`, from the names the library holds."""
    parts: list[str] = []
    params: list[Any] = []
    if filters.cameras:
        cameras = {camera for value in filters.cameras for camera in vocabulary.cameras_named(value)}
        whole_makes = {c.make for c in cameras if c.make is not None
                       and all(other in cameras for other in vocabulary.cameras if other.make == c.make)}
        alternatives = [_equal(("make",), [make]) for make in sorted(whole_makes)] + [  # "canon": every Canon
            _equal(("make", "model"), [c.make, c.model])
            for c in sorted(cameras, key=lambda c: c.name) if c.make not in whole_makes]
        parts.append("(" + " OR ".join(c for c, _ in alternatives) + ")" if alternatives else "0")
        params += [v for _, values in alternatives for v in values]
    if filters.lenses:
        lenses = sorted({lens for value in filters.lenses for lens in vocabulary.lenses_named(value)})
        parts.append(f"m.lens IN ({','.join('?' * len(lenses))})" if lenses else "0")
        params += lenses
    return (" AND ".join(parts), params) if parts else None


def _folders(filters: Filters) -> Clause:
    if not filters.folders:
        return None
    parts: list[str] = []
    params: list[Any] = []
    for folder in filters.folders:
        if os.path.isabs(folder):
            low = os.fsencode(os.path.join(os.path.normpath(folder), ""))  # as catalogue.encode_path
            parts.append("(p.path >= ? AND p.path < ?)")
            params += [low, low[:-1] + bytes([low[-1] + 1])]
        else:
            parts.append("lower(CAST(p.path AS TEXT)) LIKE ?")
            params.append(f"%{os.sep}{folder.strip(os.sep).lower()}{os.sep}%")
    return "(" + " OR ".join(parts) + ")", params


def _types(filters: Filters) -> Clause:
    if not filters.types:
        return None
    names = [name for kind in filters.types for name in TYPE_NAMES.get(kind, (kind.upper(),))]
    return f"m.file_type IN ({','.join('?' * len(names))})", names


def _gps(filters: Filters) -> Clause:
    if filters.has_gps is None:
        return None
    return ("m.lat IS NOT NULL" if filters.has_gps else "m.lat IS NULL"), []


def _tags(filters: Filters, photo_id: str) -> Clause:
    if not filters.tags:
        return None
    tag = (f"(EXISTS (SELECT 1 FROM user_tags u WHERE u.photo_id = {photo_id} AND u.confirmed = 1"
           " AND lower(u.tag) = ?)"
           f" OR (EXISTS (SELECT 1 FROM tags t WHERE t.photo_id = {photo_id} AND lower(t.tag) = ? AND t.score >= ?)"
           f" AND NOT EXISTS (SELECT 1 FROM user_tags u WHERE u.photo_id = {photo_id} AND u.confirmed = 0"
           " AND lower(u.tag) = ?)))")
    params: list[Any] = []
    for value in filters.tags:
        params += [value.lower(), value.lower(), SUGGESTED_FROM, value.lower()]
    return _any(tag, len(filters.tags)), params


def _people(filters: Filters, photo_id: str) -> Clause:
    """A face of that person (names compare without case, as `people.name` is unique)."""
    if not filters.people:
        return None
    person = (f"EXISTS (SELECT 1 FROM faces f JOIN people n ON n.id = f.person_id WHERE f.photo_id = {photo_id}"
              " AND n.name = ?)")
    return _any(person, len(filters.people)), [value.strip() for value in filters.people]


def _any(clause: str, count: int) -> str:
    return "(" + " OR ".join([clause] * count) + ")"
