"""RAW+JPEG pairs in results: a pair shows once, as its JPEG, with the RAW's path attached.

Applied after ranking, on the scored list: a RAW hit stands for its JPEG (when the search's
filters allow the JPEG), the pair keeps the better score and place of its two files, and a
search asks its ranking for `fetch_size(k)` hits so that k remain after merging. Listings
leave the paired RAWs out in SQL (`Catalogue.newest_photos`), so their pages count a pair
once; here they only get the RAW's path attached.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from ..storage.catalogue import Catalogue
from ..types import SearchHit
from ..vectors.matrix import as_id_array

__all__ = ["PAIRS_SETTING", "PairedScores", "fetch_size", "pair_scored", "with_raw_paths"]

PAIRS_SETTING = "pair_raw_jpeg"  # "on" (the default) or "off", in the catalogue's settings


def fetch_size(k: int) -> int:
    """Hits to rank so that `k` remain once pairs are merged: each pair can take two places."""
    return 2 * k


@dataclass(frozen=True)
class PairedScores:
    """A scored list with each pair once, its relevance alongside, and the RAW's path of each JPEG."""

    scored: list[tuple[int, float]]
    relevance: list[float] | None
    raw_paths: dict[int, str] = field(default_factory=dict)  # JPEG's photo id -> its RAW's path


def pair_scored(catalogue: Catalogue, scored: Sequence[tuple[int, float]], relevance: Sequence[float] | None,
                allowed: Collection[int] | None = None, k: int | None = None, merge: bool = True) -> PairedScores:
    """`scored` (best first) with each RAW+JPEG pair once, as its JPEG, at the place and score of
    the better of its two hits, cut to `k`. A RAW stands for its JPEG only when `allowed` (a
    filter's photos; None: all) holds the JPEG; `merge=False` (a listing, whose SQL has left the
    paired RAWs out) only attaches the RAWs' paths."""
    links = catalogue.raw_pairs_of([pid for pid, _ in scored])
    jpeg_of = {raw: jpeg for raw, jpeg in links}
    if jpeg_of and allowed is not None and not isinstance(allowed, (set, frozenset)):
        allowed = set(as_id_array(allowed).tolist())  # a filter's id array: looked up per RAW hit
    out: list[tuple[int, float]] = []
    kept: list[float] = []
    seen: set[int] = set()
    for i, (photo_id, score) in enumerate(scored):
        jpeg = jpeg_of.get(photo_id)
        shown = jpeg if merge and jpeg is not None and (allowed is None or jpeg in allowed) else photo_id
        if shown in seen:
            continue  # the pair's other file came first, with the better score
        seen.add(shown)
        out.append((shown, score))
        if relevance is not None:
            kept.append(relevance[i])
    if k is not None:
        out, kept = out[:k], kept[:k]
    raw_of: dict[int, int] = {}
    for raw, jpeg in links:  # sorted: a JPEG with two RAWs (.CR2 and .DNG) names the first
        raw_of.setdefault(jpeg, raw)
    wanted = {pid: raw_of[pid] for pid, _ in out if pid in raw_of}
    rows = catalogue.photos_by_ids(list(wanted.values()))
    paths = {jpeg: rows[raw].path for jpeg, raw in wanted.items() if raw in rows}
    return PairedScores(out, kept if relevance is not None else None, paths)


def with_raw_paths(hits: list[SearchHit], raw_paths: dict[int, str]) -> list[SearchHit]:
    """`hits` with each JPEG's RAW companion named (`SearchHit.raw_path`)."""
    if not raw_paths:
        return hits
    return [replace(hit, raw_path=raw_paths[hit.photo_id]) if hit.photo_id in raw_paths else hit for hit in hits]
