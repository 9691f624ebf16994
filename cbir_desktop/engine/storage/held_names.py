"""The place, camera and lens names a library's photos carry, and the photos of one name.

Every query here runs on an index of the `metadata` table (catalogue.py): the distinct names on
`metadata_place` (country_code, region, city), `metadata_camera` (make, model) and
`metadata_lens`, a name's photos by equality on the same columns. So reading the names of
100,000 photos takes tens of milliseconds (the catalogue's vocabulary: read once, then only
when the catalogue changed) and one name's photos a few (bench/metadata_words.py).
"""

from __future__ import annotations

import heapq
from collections.abc import Collection
from dataclasses import dataclass

from .catalogue import Catalogue
from .vocabulary import Vocabulary

__all__ = ["FEW", "HeldNames", "NameKey", "cameras_of", "count_named", "as_held_names", "held_names", "named_among",
           "newest_named", "newest_taken", "photos_named"]

FEW = 2_000  # photos whose capture times are read and sorted, rather than read in order from the index

# What selects a name's photos: the kind of name and the stored values, most general first.
# "city": (country_code, region, city); "region": (country_code, region); "country": (country_code,);
# "make": (make,); "camera": (make, model); "lens": (lens,).
NameKey = tuple[str, tuple[str | None, ...]]

_WHERE = {
    "city": "m.country_code IS ? AND m.region IS ? AND m.city = ?",
    "region": "m.country_code IS ? AND m.region = ?",
    "country": "m.country_code = ?",
    "make": "m.make = ?",
    "camera": "m.make IS ? AND m.model IS ?",
    "lens": "m.lens = ?",
}


@dataclass(frozen=True)
class HeldNames:
    """The distinct names in a library's metadata, as stored."""

    places: tuple[tuple[str | None, str | None, str | None], ...]  # (country_code, region, city)
    countries: dict[str, str]  # country_code -> country name
    cameras: tuple[tuple[str | None, str | None], ...]  # (make, model)
    lenses: tuple[str, ...]


def held_names(catalogue: Catalogue) -> HeldNames:
    """Every distinct place, camera and lens name the library's photos carry: the catalogue's
    vocabulary (read once, and again after the catalogue changed; storage/vocabulary.py)."""
    return as_held_names(catalogue.vocabulary())


def as_held_names(vocabulary: Vocabulary) -> HeldNames:
    places = tuple(dict.fromkeys((p.country_code, p.region, p.city) for p in vocabulary.places))
    countries = {p.country_code: p.country for p in vocabulary.places if p.country_code and p.country}
    return HeldNames(places, countries, tuple((c.make, c.model) for c in vocabulary.cameras), vocabulary.lenses)


def photos_named(catalogue: Catalogue, key: NameKey) -> set[int]:
    """The photos a name selects (their ids only: the name's index covers the query)."""
    kind, values = key
    return {pid for (pid,) in catalogue.db.execute(f"SELECT m.photo_id FROM metadata m WHERE {_WHERE[kind]}", values)}


def count_named(catalogue: Catalogue, key: NameKey) -> int:
    """How many photos a name selects (counted on its index)."""
    kind, values = key
    return int(catalogue.db.execute(f"SELECT count(*) FROM metadata m WHERE {_WHERE[kind]}", values).fetchone()[0])


def named_among(catalogue: Catalogue, key: NameKey, photo_ids: list[int]) -> set[int]:
    """Which of a few photos (those shown) a name selects."""
    kind, values = key
    marks = ",".join("?" * len(photo_ids))
    rows = catalogue.db.execute(f"SELECT m.photo_id FROM metadata m WHERE {_WHERE[kind]} AND m.photo_id IN ({marks})",
                                (*values, *photo_ids))
    return {pid for (pid,) in rows}


def newest_named(catalogue: Catalogue, keys: list[NameKey], k: int) -> list[int]:
    """The `k` photos any of `keys` selects taken last (ties: newest row first; no capture time:
    last), read from the capture-time index from the newest down: for names holding many photos
    (more than FEW), that stops after about k / share rows, where gathering them all would not."""
    where = " OR ".join(f"({_WHERE[kind]})" for kind, _ in keys)
    rows = catalogue.db.execute(
        f"SELECT m.photo_id FROM metadata m INDEXED BY metadata_taken WHERE {where} "
        "ORDER BY m.taken_utc DESC, m.photo_id DESC LIMIT ?", (*(v for _, values in keys for v in values), k))
    return [int(pid) for (pid,) in rows]


def newest_taken(catalogue: Catalogue, photo_ids: Collection[int], k: int) -> list[int]:
    """The `k` of `photo_ids` taken last (ties: newest row first; no capture time: last). A few
    photos are sorted by their times; for many, the capture-time index is read from the newest
    down until `k` of them came by (about k / share rows: 1,000 for a 2% share and k = 20)."""
    if len(photo_ids) <= FEW:
        ids = sorted(photo_ids)
        taken: dict[int, float] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            taken.update((int(r[0]), r[1] if r[1] is not None else float("-inf")) for r in catalogue.db.execute(
                f"SELECT photo_id, taken_utc FROM metadata WHERE photo_id IN ({','.join('?' * len(chunk))})", chunk))
        return heapq.nlargest(k, taken, key=lambda pid: (taken[pid], pid))
    out: list[int] = []
    for (pid,) in catalogue.db.execute("SELECT photo_id FROM metadata ORDER BY taken_utc DESC, photo_id DESC"):
        if pid in photo_ids:
            out.append(int(pid))
            if len(out) == k:
                break
    return out


def cameras_of(catalogue: Catalogue, photo_ids: list[int]) -> dict[int, tuple[str | None, str | None, str | None]]:
    """(make, model, lens) of each of a few photos (those shown)."""
    marks = ",".join("?" * len(photo_ids))
    rows = catalogue.db.execute(f"SELECT photo_id, make, model, lens FROM metadata WHERE photo_id IN ({marks})",
                                photo_ids)
    return {int(r[0]): (r[1], r[2], r[3]) for r in rows}
