"""Search results as the shells see them: paths, sizes and the tags each photo shows."""

from __future__ import annotations

from collections.abc import Sequence

from ..storage.catalogue import Catalogue
from ..types import SearchHit, TagScore
from .relevance import RELEVANT_FROM

RELEVANCE, DATE = "relevance", "date"
SORTS = (RELEVANCE, DATE)  # orders a search's results can be shown in

# Tags shown on a result: the user's, then suggestions above this confidence.
RESULT_TAG_MIN_SCORE = 0.05
RESULT_TAGS = 3


def photo_tags(catalogue: Catalogue, model_id: str, ids: list[int],
               learned: dict[int, list[TagScore]]) -> dict[int, list[TagScore]]:
    """Each photo's tags: the user's, the model's classes and the `learned` terms, merged."""
    model = catalogue.tags_of(ids, model_id)
    user = catalogue.user_tags_of(ids)
    return {pid: merge_tags(model.get(pid, []), learned.get(pid, []), user.get(pid, {})) for pid in ids}


def merge_tags(model: Sequence[TagScore], learned: Sequence[TagScore], user: dict[str, bool]) -> list[TagScore]:
    """One tag list: the user's confirmed tags first, then the model's classes and the
    learned terms by score; a tag the user rejected never shows, nor does a repeat."""
    out = [TagScore(tag, 1.0, source="yours") for tag, ok in user.items() if ok]
    seen = {t.tag for t in out} | {tag for tag, ok in user.items() if not ok}
    for tag in sorted([*model, *learned], key=lambda t: -t.score):
        if tag.tag not in seen:
            seen.add(tag.tag)
            out.append(tag)
    return out


def hits_for(
    catalogue: Catalogue, scored: Sequence[tuple[int, float]], tags: dict[int, list[TagScore]],
    relevance: Sequence[float] | None = None,
) -> list[SearchHit]:
    """Attach paths and sizes (one query), each photo's shown `tags` and its `relevance`
    (one per pair; default 1.0: nothing was asked) to (photo_id, score) pairs."""
    rows = catalogue.photos_by_ids([photo_id for photo_id, _ in scored])
    hits = []
    for i, (photo_id, score) in enumerate(scored):
        row = rows.get(photo_id)
        if row is None:
            continue
        shown = shown_tags(tags.get(photo_id, []))
        hits.append(SearchHit(row.path, round(float(score), 6), shown, row.id, row.size,
                              row.mtime_ns / 1e9, row.width, row.height,
                              relevance[i] if relevance is not None else 1.0, taken_utc=row.taken_utc))
    return hits


def shown_tags(tags: Sequence[TagScore]) -> tuple[str, ...]:
    """The tags drawn under a result: the user's, then the best suggestions."""
    return tuple(t.tag for t in tags if t.source == "yours" or t.score >= RESULT_TAG_MIN_SCORE)[:RESULT_TAGS]


def sort_hits(hits: Sequence[SearchHit], by: str = RELEVANCE) -> list[SearchHit]:
    """A search's hits in the order asked for: by relevance (as ranked), or by date, newest
    taken first (the file's time where the capture time is unknown). By date, the hits that
    pass the relevance cut-off come first and those below it (shown only when asked for)
    after them, each part newest first: the same photos pass the cut-off either way."""
    if by not in SORTS:
        raise ValueError(f"sort by {by!r}: use one of {', '.join(SORTS)}")
    if by == RELEVANCE:
        return list(hits)
    return sorted(hits, key=lambda h: (h.relevance < RELEVANT_FROM, -_when(h), -h.photo_id))


def _when(hit: SearchHit) -> float:
    return hit.taken_utc if hit.taken_utc is not None else hit.mtime
