"""`Filters` as SQL over the catalogue: which photos a search or a listing is narrowed to.

One WHERE clause over `photos p LEFT JOIN metadata m`: dates on the local capture time,
places on town, region, country or country code, cameras and lenses by part of their name,
folders by path range (absolute) or by a folder name anywhere in the path, file types on
the type the metadata reader saw, tags on the user's confirmed tags and the model's
suggestions the user did not reject. Values of one field are alternatives; fields combine.
"""

from __future__ import annotations

import os
from typing import Any

from ..types import Filters

__all__ = ["TYPE_NAMES", "where_clause"]

# A `type:` filter's kind -> the metadata reader's file_type values.
TYPE_NAMES: dict[str, tuple[str, ...]] = {
    "jpeg": ("JPEG", "MPO"), "heic": ("HEIF", "HEIC"), "avif": ("AVIF",), "png": ("PNG",), "tiff": ("TIFF",),
    "webp": ("WEBP",), "gif": ("GIF",), "bmp": ("BMP",), "raw": ("RAW",),
}
SUGGESTED_FROM = 0.05  # a model tag at this score or above is one the photo shows (search/results.py)


def where_clause(filters: Filters) -> tuple[str, list[Any]]:
    """The WHERE clause (over `photos p LEFT JOIN metadata m`) and its parameters."""
    parts: list[str] = []
    params: list[Any] = []
    for clause in (_dates, _places, _names, _folders, _types, _gps, _tags):
        found = clause(filters)
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


def _tags(filters: Filters) -> Clause:
    if not filters.tags:
        return None
    tag = ("(EXISTS (SELECT 1 FROM user_tags u WHERE u.photo_id = p.id AND u.confirmed = 1 AND lower(u.tag) = ?)"
           " OR (EXISTS (SELECT 1 FROM tags t WHERE t.photo_id = p.id AND lower(t.tag) = ? AND t.score >= ?)"
           " AND NOT EXISTS (SELECT 1 FROM user_tags u WHERE u.photo_id = p.id AND u.confirmed = 0"
           " AND lower(u.tag) = ?)))")
    params: list[Any] = []
    for value in filters.tags:
        params += [value.lower(), value.lower(), SUGGESTED_FROM, value.lower()]
    return _any(tag, len(filters.tags)), params


def _any(clause: str, count: int) -> str:
    return "(" + " OR ".join([clause] * count) + ")"
