"""The library listed in groups, a page at a time: by month taken, by place, by folder.

A grouping is a key (an SQL expression over `photos p LEFT JOIN metadata m`; NULL: the
group of photos it knows nothing about, listed last) and an order that keeps each group's
photos together. A page is `limit` photos from `offset` in that order, each with its group's
key; the counts are asked for the page's groups only, narrowed to the key range the page
covers, so a page costs the same at the start of the library as at its end.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..types import Filters, GroupedHits, PhotoGroup, SearchHit
from .catalogue import Catalogue, decode_path
from .filtering import where_clause

__all__ = ["GROUPINGS", "GroupedRow", "group_counts", "group_label", "grouped_rows", "in_groups"]

GROUPINGS = ("month", "place", "folder")
UNKNOWN_LABELS = {"month": "Date unknown", "place": "No place", "folder": "No folder"}
_SEP = "\x1f"  # between country and town in a place's key: in no name
_FROM = "FROM photos p LEFT JOIN metadata m ON m.photo_id = p.id"
# A path's folder, separator included: rtrim takes off the trailing characters that are not
# the separator (SQLite has no dirname); CAST keeps the file system's bytes.
_FOLDER = f"CAST(rtrim(p.path, replace(p.path, '{os.sep}', '')) AS BLOB)"


@dataclass(frozen=True)
class _Grouping:
    key: str  # SQL: the group's key, NULL for the unknown group
    order: str  # SQL: keeps each group's photos together, the unknown group last


_GROUPINGS = {
    # Newest month first; NULLs come last in a descending order. (taken_local, photo_id) is
    # the metadata_day index's order.
    "month": _Grouping("substr(m.taken_local, 1, 7)", "m.taken_local DESC, p.id DESC"),
    # Countries, then towns in them, by name; a country's photos with no town after its towns.
    "place": _Grouping(f"m.country || '{_SEP}' || coalesce(m.city, '')",
                       "m.country IS NULL, m.country, m.city IS NULL, m.city, m.taken_local DESC, p.id DESC"),
    # Folders by path, their photos by name.
    "folder": _Grouping(_FOLDER, f"{_FOLDER}, p.path"),
}


@dataclass(frozen=True)
class GroupedRow:
    """One photo of a page: its id, its group's key ("" for the unknown group), when it was taken."""

    photo_id: int
    key: str
    taken: str


def grouped_rows(catalogue: Catalogue, by: str, filters: Filters, offset: int, limit: int | None) -> list[GroupedRow]:
    """`limit` photos (None: all) from `offset` of those `filters` allow, in `by`'s order."""
    if by == "month":
        return _month_rows(catalogue, filters, offset, limit)
    grouping = _GROUPINGS[by]
    where, params = where_clause(filters, catalogue.vocabulary())
    rows = catalogue.db.execute(
        f"SELECT p.id, {grouping.key}, m.taken_local {_FROM} WHERE {where} ORDER BY {grouping.order} "
        "LIMIT ? OFFSET ?", (*params, -1 if limit is None else limit, offset))
    return [GroupedRow(int(r[0]), _key_text(by, r[1]), r[2] or "") for r in rows]


def _month_rows(catalogue: Catalogue, filters: Filters, offset: int, limit: int | None) -> list[GroupedRow]:
    """The timeline's page: the dated photos newest first straight off the metadata_day index
    (its (taken_local, photo_id) order, read backwards: no sort of the whole library, so a
    deep page costs what skipping index entries does), then the undated ones."""
    vocabulary = catalogue.vocabulary()
    dated_where, dated_params = where_clause(filters, vocabulary, photo_id="m.photo_id")
    joined = " JOIN photos p ON p.id = m.photo_id" if filters.folders else ""  # paths only on photos
    wanted = -1 if limit is None else limit
    rows = [GroupedRow(int(r[0]), r[1], r[2]) for r in catalogue.db.execute(
        f"SELECT m.photo_id, substr(m.taken_local, 1, 7), m.taken_local FROM metadata m INDEXED BY metadata_day"
        f"{joined} WHERE ({dated_where}) AND m.taken_local IS NOT NULL "
        "ORDER BY m.taken_local DESC, m.photo_id DESC LIMIT ? OFFSET ?", (*dated_params, wanted, offset))]
    if limit is not None and len(rows) >= limit:
        return rows
    where, params = where_clause(filters, vocabulary)
    dated = offset + len(rows) if rows or not offset else int(catalogue.db.execute(
        f"SELECT COUNT(*) {_FROM} WHERE ({where}) AND m.taken_local IS NOT NULL", params).fetchone()[0])
    left = -1 if limit is None else limit - len(rows)
    return rows + [GroupedRow(int(r[0]), "", "") for r in catalogue.db.execute(
        f"SELECT p.id {_FROM} WHERE ({where}) AND m.taken_local IS NULL ORDER BY p.id DESC LIMIT ? OFFSET ?",
        (*params, left, max(0, offset - dated)))]


def group_counts(catalogue: Catalogue, by: str, filters: Filters, keys: Sequence[str]) -> list[PhotoGroup]:
    """The groups `keys` name (as `grouped_rows` gives them), each with its count of the photos
    `filters` allow, in the order given."""
    if not keys:
        return []
    grouping = _GROUPINGS[by]
    where, params = where_clause(filters, catalogue.vocabulary())
    counts: dict[str, int] = {}
    known = [key for key in keys if key]
    if known:
        narrow, narrow_params = _narrow(by, known)
        rows = catalogue.db.execute(
            f"SELECT {grouping.key} AS k, COUNT(*) {_FROM} WHERE ({where}) AND ({narrow}) GROUP BY k",
            (*params, *narrow_params))
        counts = {_key_text(by, r[0]): int(r[1]) for r in rows}
    if len(known) < len(keys):  # the unknown group: a plain count (grouping every photo costs 10x more)
        row = catalogue.db.execute(f"SELECT COUNT(*) {_FROM} WHERE ({where}) AND {grouping.key} IS NULL", params)
        counts[""] = int(row.fetchone()[0])
    return [PhotoGroup(by, key, group_label(by, key), counts.get(key, 0)) for key in keys]


def group_label(by: str, key: str) -> str:
    """What a group's header says: "March 2019", "Lisbon, Portugal", a folder's path."""
    if not key:
        return UNKNOWN_LABELS[by]
    if by == "month":
        year, month = key.split("-")
        return f"{calendar.month_name[int(month)]} {year}"
    if by == "place":
        country, _, town = key.partition(_SEP)
        return f"{town}, {country}" if town else country
    return key


def _key_text(by: str, value: Any) -> str:
    if value is None:
        return ""
    if by == "folder":  # without its trailing separator, except for the root itself
        folder = decode_path(value)
        return folder.rstrip(os.sep) or folder
    return str(value)


def _narrow(by: str, known: Sequence[str]) -> tuple[str, list[Any]]:
    """A condition (on an index where one helps) that holds for the photos of the known groups
    `known` and few others: a page's groups are neighbours in its order."""
    if by == "month":  # [first month, last month's end) on the metadata_day index
        return "m.taken_local >= ? AND m.taken_local < ?", [min(known), max(known) + "\x7f"]
    if by == "folder":  # the folders' path range on the photos' path index
        folders = [os.fsencode(os.path.join(key, "")) for key in known]  # ordered as the paths are
        high = max(folders)
        return "p.path >= ? AND p.path < ?", [min(folders), high[:-1] + bytes([high[-1] + 1])]
    countries = sorted({key.partition(_SEP)[0] for key in known})
    return f"m.country IN ({','.join('?' * len(countries))})", countries


def in_groups(rows: Sequence[GroupedRow], groups: Sequence[PhotoGroup], hits: Sequence[SearchHit]) -> list[GroupedHits]:
    """A page's hits (any order; a photo gone meanwhile has none) in `rows`' order, with when
    each was taken, gathered under their `groups`."""
    by_id = {hit.photo_id: hit for hit in hits}
    by_key = {group.key: group for group in groups}
    sections: list[tuple[PhotoGroup, list[SearchHit]]] = []
    for row in rows:
        hit = by_id.get(row.photo_id)
        if hit is None:
            continue
        if not sections or sections[-1][0].key != row.key:
            sections.append((by_key[row.key], []))
        sections[-1][1].append(replace(hit, taken=row.taken))
    return [GroupedHits(group, tuple(page_hits)) for group, page_hits in sections]
