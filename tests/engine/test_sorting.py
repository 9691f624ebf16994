"""Search results by relevance or by date (`sort_hits`): by date, the same hits, those past
the relevance cut-off first, each part newest taken first (the file's time when the capture
time is unknown)."""

from __future__ import annotations

import pytest

from cbir_desktop.engine.api import RELEVANT_FROM, sort_hits
from cbir_desktop.engine.types import SearchHit


def _hit(name: str, relevance: float, taken: float | None, mtime: float = 0.0, photo_id: int = 0) -> SearchHit:
    return SearchHit(f"/p/{name}", relevance, photo_id=photo_id, mtime=mtime, relevance=relevance, taken_utc=taken)


RANKED = [_hit("best", 0.95, 100.0), _hit("good", 0.7, 300.0), _hit("scan", 0.5, None, mtime=200.0),
          _hit("weak_old", 0.3, 50.0), _hit("weak_new", 0.2, 400.0)]


def test_by_relevance_keeps_the_ranking() -> None:
    assert sort_hits(RANKED) == RANKED == sort_hits(RANKED, "relevance")


def test_by_date_puts_the_shown_hits_newest_first_and_the_weaker_after() -> None:
    by_date = sort_hits(RANKED, "date")
    assert [h.path[3:] for h in by_date] == ["good", "scan", "best", "weak_new", "weak_old"]
    assert sorted(by_date, key=lambda h: -h.relevance) == RANKED  # the same hits
    shown = [h for h in by_date if h.relevance >= RELEVANT_FROM]
    assert {h.path for h in shown} == {h.path for h in RANKED if h.relevance >= RELEVANT_FROM}


def test_ties_go_newest_photo_first_as_listings_do_and_an_unknown_order_is_refused() -> None:
    tied = [_hit("a", 0.9, 10.0, photo_id=1), _hit("b", 0.9, 10.0, photo_id=2)]
    assert [h.photo_id for h in sort_hits(tied, "date")] == [2, 1]
    with pytest.raises(ValueError, match="sort by 'size'"):
        sort_hits(tied, "size")
