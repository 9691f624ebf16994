"""Calibrated relevance: on one scale for every query, falling with rank, ending results where relevance ends."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import shaded_folder, solid

from cbir_desktop.engine.api import RELEVANT_FROM, STRONG_FROM, open_library, relevance_band
from cbir_desktop.engine.search.relevance import CALIBRATIONS, IMAGE, relevance


@pytest.fixture
def library(tiny_models: Path, tmp_path: Path):
    """Three subjects of six shades each, and one photo twice (a copy in another folder)."""
    root = tmp_path / "photos"
    shaded_folder(root / "reds", (210, 30, 30), 6, seed=0)
    shaded_folder(root / "greens", (30, 190, 40), 6, seed=1)
    shaded_folder(root / "blues", (30, 40, 200), 6, seed=2)
    shutil.copy(root / "blues" / "IMG_0000.jpg", solid(root / "copies" / "blue copy.jpg", "blue"))
    with open_library(tmp_path / "lib") as lib:
        lib.index([root])
        yield lib


def _assert_sound(hits: list) -> None:
    """Relevance in [0, 1], never rising down the ranking, and the ranking still by score."""
    rel = [h.relevance for h in hits]
    assert all(0.0 <= r <= 1.0 for r in rel)
    assert rel == sorted(rel, reverse=True)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_relevance_is_a_probability_falling_with_rank_and_repeatable(library, tmp_path: Path) -> None:
    query = tmp_path / "photos" / "reds" / "IMG_0003.jpg"
    for search in (lambda k: library.search_image(query, k), lambda k: library.search_text("red", k),
                   lambda k: library.search_text("piano", k)):
        hits = search(19)
        assert len(hits) == 19  # k hits, the weak ones too: the shells decide what to show first
        _assert_sound(hits)
        assert [(h.path, h.relevance) for h in search(19)] == [(h.path, h.relevance) for h in hits]
        # Normalised by the query's best score, whatever k is: a shorter list is a prefix of a longer one.
        assert [(h.path, h.relevance) for h in search(4)] == [(h.path, h.relevance) for h in hits[:4]]


def test_identical_photo_is_a_strong_match_and_other_subjects_end_the_results(library, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    # A library photo as the query: itself, then its copy elsewhere in the library.
    hits = library.search_image(root / "blues" / "IMG_0000.jpg", 19)
    assert {Path(h.path).name for h in hits[:2]} == {"IMG_0000.jpg", "blue copy.jpg"}
    assert all(h.relevance >= STRONG_FROM for h in hits[:2])
    # A file outside the library with the same pixels: both copies are strong matches.
    outside = shutil.copy(root / "blues" / "IMG_0000.jpg", tmp_path / "query.jpg")
    hits = library.search_image(outside, 19)
    assert [relevance_band(h.relevance) for h in hits[:2]] == ["strong", "strong"]
    relevant = [h for h in hits if h.relevance >= RELEVANT_FROM]
    assert 0 < len(relevant) < len(hits)
    assert all(Path(h.path).parent.name in ("blues", "copies") for h in relevant)


def test_a_word_nothing_in_the_library_shows_passes_no_photo(library) -> None:
    assert library.search_text("red", 19)[0].relevance > library.search_text("piano", 19)[0].relevance
    assert all(h.relevance < RELEVANT_FROM for h in library.search_text("piano", 19))


def test_browsing_is_not_a_query_so_everything_is_relevant(library) -> None:
    assert {h.relevance for h in library.browse()} == {1.0}


def test_calibrations_never_make_a_lower_score_more_relevant() -> None:
    """Along one query's ranking the logit moves by score - gap per unit of score (gap is
    best - score), so score >= gap keeps relevance falling with rank."""
    rng = np.random.default_rng(0)
    for kind, cal in CALIBRATIONS.items():
        assert cal.score - cal.gap >= 0, kind
        scores = np.sort(rng.uniform(-0.2, 1.0, 300))[::-1]
        rel = relevance(kind, scores)
        assert np.all(np.diff(rel) <= 0) and rel.min() >= 0 and rel.max() <= 1


def test_the_query_photo_itself_is_fully_relevant_and_left_out_of_the_reference() -> None:
    others = [0.70, 0.62, 0.55, 0.41, 0.40, 0.38]
    with_itself = relevance(IMAGE, [1.0, *others], own=0)
    assert with_itself[0] == 1.0
    assert with_itself[1:] == pytest.approx(relevance(IMAGE, others))


def test_bands_follow_the_cut_offs() -> None:
    assert [relevance_band(r) for r in (1.0, STRONG_FROM, 0.79, RELEVANT_FROM, RELEVANT_FROM - 0.01, 0.0)] == [
        "strong", "strong", "possible", "possible", "weak", "weak"]
