"""What the duplicate finder keeps between runs (schema v9): each candidate pair's verdict and
which photos had their nearest neighbours searched. Functions over a `Catalogue`, so
catalogue.py stays about photos; the rules for reusing them live in culling/verdicts.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from .catalogue import FEATURES, Catalogue, _chunks


@dataclass(frozen=True)
class PairVerdict:
    """One candidate pair (a < b) as checked: "" when not the same shot, else how it was found
    the same; `registered`: the costly check for crops was allowed; `checks`: their version."""

    a: int
    b: int
    cosine: float
    verdict: str
    registered: bool
    checks: int
    hash_a: bytes | None
    hash_b: bytes | None


@dataclass(frozen=True)
class Searched:
    """A photo whose nearest were searched for vector `seq`; `radius`: its farthest kept
    neighbour's cosine (a new photo at least this close is among its nearest)."""

    seq: int
    radius: float


_COLUMNS = "a, b, cosine, verdict, registered, checks, hash_a, hash_b"


def verdicts_of(catalogue: Catalogue, photo_ids: Collection[int] | None = None,
                same_only: bool = False) -> list[PairVerdict]:
    """The kept pairs touching `photo_ids` (None: every pair); `same_only`: only those found the same."""
    where = " AND verdict != ''" if same_only else ""
    try:
        if photo_ids is None:
            rows = catalogue.db.execute(f"SELECT {_COLUMNS} FROM pair_verdicts WHERE 1{where}").fetchall()
        else:
            rows = []
            for chunk in _chunks(sorted(set(photo_ids)), 450):
                marks = ",".join("?" * len(chunk))
                rows += catalogue.db.execute(
                    f"SELECT {_COLUMNS} FROM pair_verdicts WHERE a IN ({marks}){where} UNION "
                    f"SELECT {_COLUMNS} FROM pair_verdicts WHERE b IN ({marks}){where}", chunk * 2).fetchall()
    except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
        return []
    return [PairVerdict(a, b, cosine, verdict, bool(registered), checks, hash_a, hash_b)
            for a, b, cosine, verdict, registered, checks, hash_a, hash_b in rows]


def pair_cosines(catalogue: Catalogue, photo_ids: Collection[int]) -> list[tuple[int, int, float]]:
    """(a, b, cosine) of each kept pair touching `photo_ids`, once: what decides which pairs the
    crop check may run on, without the rest of each verdict (10,000 photos' pairs: 0.2 s, not 0.8)."""
    found: dict[tuple[int, int], float] = {}
    try:
        for chunk in _chunks(sorted(set(photo_ids)), 450):
            marks = ",".join("?" * len(chunk))
            rows = catalogue.db.execute(f"SELECT a, b, cosine FROM pair_verdicts WHERE a IN ({marks}) UNION ALL "
                                        f"SELECT a, b, cosine FROM pair_verdicts WHERE b IN ({marks})", chunk * 2)
            found.update(((a, b), cosine) for a, b, cosine in rows)
    except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
        return []
    return [(a, b, cosine) for (a, b), cosine in found.items()]


def store_verdicts(catalogue: Catalogue, verdicts: Iterable[PairVerdict]) -> None:
    """Keep these verdicts (one transaction: the caller's)."""
    catalogue.db.executemany(
        f"INSERT OR REPLACE INTO pair_verdicts({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(v.a, v.b, v.cosine, v.verdict, int(v.registered), v.checks, v.hash_a, v.hash_b) for v in verdicts])


def forget_pairs(catalogue: Catalogue, pairs: Iterable[tuple[int, int]]) -> None:
    """Drop these pairs (a < b; the caller's transaction)."""
    catalogue.db.executemany("DELETE FROM pair_verdicts WHERE a = ? AND b = ?", list(pairs))


def searched_photos(catalogue: Catalogue, searched_with: str,
                    photo_ids: Collection[int] | None = None) -> dict[int, Searched]:
    """The photos (of `photo_ids`, None: all) whose nearest were searched the way `searched_with` names."""
    query = "SELECT photo_id, seq, radius FROM neighbours_searched WHERE searched_with = ?"
    try:
        if photo_ids is None:
            rows = catalogue.db.execute(query, (searched_with,)).fetchall()
        else:
            rows = []
            for chunk in _chunks(sorted(set(photo_ids)), 900):
                rows += catalogue.db.execute(f"{query} AND photo_id IN ({','.join('?' * len(chunk))})",
                                             (searched_with, *chunk)).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {pid: Searched(seq, radius) for pid, seq, radius in rows}


def unsearched(catalogue: Catalogue, model_id: str, searched_with: str) -> tuple[dict[int, int], int]:
    """The photos with an image vector of `model_id` not searched for that vector the way
    `searched_with` names (photo id: vector seq), and how many photos were."""
    try:
        searched = catalogue.db.execute("SELECT count(*) FROM neighbours_searched WHERE searched_with = ?",
                                        (searched_with,)).fetchone()[0]
        rows = catalogue.db.execute(
            "SELECT v.photo_id, v.seq FROM vectors v LEFT JOIN neighbours_searched s ON s.photo_id = v.photo_id "
            "WHERE v.model_id = ? AND v.kind = ? AND (s.photo_id IS NULL OR s.seq != v.seq OR s.searched_with != ?)",
            (model_id, FEATURES, searched_with)).fetchall()
    except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
        return vector_seqs(catalogue, model_id), 0
    return dict(rows), int(searched)


def outdated(catalogue: Catalogue, checks: int) -> bool:
    """Whether any kept verdict was reached with other checks than `checks`."""
    try:
        return catalogue.db.execute("SELECT 1 FROM pair_verdicts WHERE checks != ? LIMIT 1", (checks,)).fetchone() \
            is not None
    except sqlite3.OperationalError:
        return False


def settled_same(catalogue: Catalogue, checks: int, excluded: Collection[int]) -> dict[tuple[int, int], str]:
    """The kept pairs found the same, with how, whose verdict is still valid: reached with
    `checks` on both photos' current content; none touching `excluded`."""
    try:
        rows = catalogue.db.execute(
            "SELECT v.a, v.b, v.verdict FROM pair_verdicts v JOIN photos p ON p.id = v.a JOIN photos q ON q.id = v.b "
            "WHERE v.verdict != '' AND v.checks = ? AND v.hash_a IS p.content_hash AND v.hash_b IS q.content_hash",
            (checks,)).fetchall()
    except sqlite3.OperationalError:
        return {}
    if not excluded:
        return {(a, b): verdict for a, b, verdict in rows}
    out = set(excluded)
    return {(a, b): verdict for a, b, verdict in rows if a not in out and b not in out}


def record_searched(catalogue: Catalogue, searched_with: str, searched: dict[int, Searched],
                    replace_all: bool = False) -> None:
    """Remember these photos as searched (the caller's transaction); `replace_all`: they are the
    only ones (a full pass)."""
    if replace_all:
        catalogue.db.execute("DELETE FROM neighbours_searched")
    catalogue.db.executemany(
        "INSERT OR REPLACE INTO neighbours_searched(photo_id, searched_with, seq, radius) VALUES (?, ?, ?, ?)",
        [(pid, searched_with, s.seq, s.radius) for pid, s in searched.items()])


def vector_seqs(catalogue: Catalogue, model_id: str) -> dict[int, int]:
    """Each photo's current image vector `seq` for `model_id` (not the vectors: 100k of them
    take seconds to read)."""
    rows = catalogue.db.execute("SELECT photo_id, seq FROM vectors WHERE model_id = ? AND kind = ?",
                                (model_id, FEATURES))
    return dict(rows.fetchall())

