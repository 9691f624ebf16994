"""Text search learned from folder names: a folder's subject word finds its photos."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from helpers import shaded_folder, solid

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.errors import UnknownWord
from cbir_desktop.engine.learning.learned import (
    LEARNED_TAG_MIN,
    NormalEquations,
    TermCalibration,
    TermClassifier,
)

# Subjects the tiny colour model cannot name (its classes are red/green/blue/grey),
# each photographed in its own shade, filed in a folder named after it.
SUBJECTS = {"Herons": (200, 40, 40), "Lisbon": (40, 180, 60), "Gerenuk": (40, 60, 200)}


def _library_with_subject_folders(root: Path) -> None:
    for seed, (folder, base) in enumerate(SUBJECTS.items()):
        shaded_folder(root / "Trips" / folder, base, 9, seed)


def test_training_makes_folder_words_find_their_photos(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    _library_with_subject_folders(root)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        report = library.train_words()
        assert report.active and report.photos == 27  # "Trips" labels the gerenuk photos
        assert report.words == ["heron", "lisbon", "trip"]
        assert report.prototypes == ["gerenuk"]  # no word vector: answered from its photos
        for word, folder in (("heron", "Herons"), ("lisbon", "Lisbon"), ("gerenuk", "Gerenuk")):
            hits = library.search_text(word, k=9)
            assert {Path(h.path).parent.name for h in hits} == {folder}, word
        # A word far from every label word is still answered by the zero-shot projection.
        assert {Path(h.path).parent.name for h in library.search_text("blue", k=9)} == {"Gerenuk"}
        # New photos are projected with the learned model on the next search.
        solid(root / "Trips" / "Herons" / "IMG_0100.jpg", (205, 45, 35))
        library.index()
        assert "IMG_0100.jpg" in {Path(h.path).name for h in library.search_text("heron", k=10)}


def test_too_few_labels_keep_the_learned_projection_off(tiny_models: Path, tmp_path: Path) -> None:
    solid(tmp_path / "photos" / "Herons" / "a.jpg", "red")
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "photos"])
        report = library.train_words()
        assert not report.active and "needs at least 20 photos" in report.off_reason
        with pytest.raises(UnknownWord):
            library.search_text("gerenuk")


def test_confirmed_tags_teach_words_and_rejected_ones_unteach(tiny_models: Path, tmp_path: Path) -> None:
    """Photos in camera folders carry no folder words; the user's confirmed tags label them."""
    root = tmp_path / "photos"
    groups = {"heron": ("100CANON", (200, 40, 40)), "tram": ("101CANON", (40, 180, 60))}
    for seed, (folder, base) in enumerate(groups.values()):
        shaded_folder(root / "DCIM" / folder, base, 12, seed)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        assert not library.train_words().active  # no labels yet: camera folders say nothing
        for word, (folder, _) in groups.items():
            library.edit_tags(sorted((root / "DCIM" / folder).glob("*.jpg")), add=[word])
        report = library.train_words()
        assert report.active and report.words == ["heron", "tram"]
        hits = library.search_text("tram", k=12)
        assert {Path(h.path).parent.name for h in hits} == {"101CANON"}
        # Rejecting the tag on every photo takes the word away again.
        library.edit_tags(sorted((root / "DCIM" / "101CANON").glob("*.jpg")), remove=["tram"])
        after = library.train_words()
        assert after.words == ["heron"] and "2+ different words" in after.off_reason


def test_whole_folder_names_are_terms_kept_apart_and_suggested_as_tags(tiny_models: Path, tmp_path: Path) -> None:
    """"heron" and "heron head" share a word; as the library's own terms they stay apart,
    and the learned terms show up as the photos' suggested tags."""
    root = tmp_path / "photos"
    folders = {"Herons": (200, 40, 40), "Heron Heads": (40, 180, 60), "2019-06 Lisbon": (40, 60, 200)}
    for seed, (folder, base) in enumerate(folders.items()):
        shaded_folder(root / folder, base, 9, seed)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        report = library.train_words()
        assert report.terms == ["heron", "heron head", "lisbon"]
        for query, folder in (("heron", "Herons"), ("Heron heads", "Heron Heads"), ("lisbon", "2019-06 Lisbon")):
            hits = library.search_text(query, k=9)
            assert {Path(h.path).parent.name for h in hits} == {folder}, query
            assert all(-1.0 <= h.score <= 1.0 for h in hits), [h.score for h in hits]  # documented as cosine
        photo = root / "Herons" / "IMG_0000.jpg"
        suggested = {t.tag: t for t in library.tags(photo, k=5)}
        assert suggested["heron"].source == "learned" and suggested["heron"].score > 0.5
        assert "heron head" not in suggested and "lisbon" not in suggested
        assert "heron" in library.search_text("heron", k=1)[0].tags  # shown under the result
        library.edit_tags([photo], add=["grey heron"], remove=["heron"])
        tags = library.tags(photo, k=5)
        assert tags[0].tag == "grey heron" and tags[0].source == "yours" and tags[0].score == 1.0
        assert "heron" not in [t.tag for t in tags]  # rejected: never suggested again


def _ridge_problem(rng: np.random.Generator, with_words: float) -> tuple[np.ndarray, ...]:
    """300 rows of 6-d inputs, 4-d word targets (present on `with_words` of them), 3 terms."""
    x = rng.normal(size=(300, 6)).astype(np.float32)
    words = rng.normal(size=(300, 4)).astype(np.float32)
    has_words = rng.random(300) > 1 - with_words
    terms = (rng.random((300, 3)) > 0.5).astype(np.float32)
    return x, words, has_words, terms


def test_normal_equations_in_chunks_match_one_ridge_solve() -> None:
    x, words, has_words, terms = _ridge_problem(np.random.default_rng(3), 0.8)
    equations = NormalEquations(4, 3)
    for start in range(0, 300, 64):
        part = slice(start, start + 64)
        equations.add(x[part], words[part], has_words[part], terms[part])
    word_weights, term_weights = equations.solve(ridge=0.5)
    x1 = np.hstack([x, np.ones((300, 1), np.float32)]).astype(np.float64)

    def ridge(rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.linalg.solve(rows.T @ rows + 0.5 * np.eye(7), rows.T @ y)

    np.testing.assert_allclose(word_weights, ridge(x1[has_words], words[has_words]), atol=1e-4)
    np.testing.assert_allclose(term_weights, ridge(x1, terms), atol=1e-4)


def test_weighted_rows_and_held_out_folds_match_their_own_ridge_solves() -> None:
    """Background rows weigh less; each fold's model is the ridge solve without that fold."""
    rng = np.random.default_rng(5)
    x, words, has_words, terms = _ridge_problem(rng, 0.7)
    weight = np.where(has_words, 1.0, 0.25).astype(np.float32)
    fold = rng.integers(0, 3, 300)
    equations = NormalEquations(4, 3, folds=3)
    for start in range(0, 300, 64):
        part = slice(start, start + 64)
        equations.add(x[part], words[part], has_words[part], terms[part], weight[part], fold[part])
    word_weights, term_weights = equations.solve(ridge=0.5)
    x1 = np.hstack([x, np.ones((300, 1), np.float32)]).astype(np.float64)

    def ridge(rows: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.linalg.solve((rows * w[:, None]).T @ rows + 0.5 * np.eye(7), (rows * w[:, None]).T @ y)

    # The word projection never sees the rows without words, whatever their weight.
    np.testing.assert_allclose(word_weights, ridge(x1[has_words], words[has_words], weight[has_words]), atol=1e-4)
    np.testing.assert_allclose(term_weights, ridge(x1, terms, weight), atol=1e-4)
    for n, held_out in enumerate(equations.solve_folds(ridge=0.5)):
        seen = fold != n
        np.testing.assert_allclose(held_out, ridge(x1[seen], terms[seen], weight[seen]), atol=1e-4)


def test_calibration_threshold_is_where_held_out_photos_carry_the_term() -> None:
    calibration = TermCalibration(3)
    rng = np.random.default_rng(2)
    # term 0: its photos score 0.6-1.0, the other terms' 0.0-0.5: its threshold lies between.
    # term 1: its photos score like everyone else's: never suggested.
    # term 2: a clean term whose held-out scores are low: the floor LEARNED_TAG_MIN still holds.
    onehot = np.zeros((400, 3), np.float32)
    onehot[:100, 0] = onehot[100:200, 1] = onehot[200:300, 2] = 1.0
    scores = np.zeros((400, 3), np.float32)
    scores[:, 0] = np.where(onehot[:, 0] > 0, rng.uniform(0.6, 1.0, 400), rng.uniform(0.0, 0.5, 400))
    scores[:, 1] = rng.uniform(0.0, 1.0, 400)
    scores[:, 2] = np.where(onehot[:, 2] > 0, rng.uniform(0.1, 0.2, 400), rng.uniform(-0.2, 0.05, 400))
    labelled = np.arange(400) < 300  # the last 100: background, not counted against any term
    scores[300:, 0] = 0.95  # unfiled photos of term 0's subject must not raise its threshold
    calibration.add(scores, onehot, labelled)
    thresholds = calibration.thresholds()
    assert 0.45 <= thresholds[0] <= 0.62, thresholds
    assert thresholds[1] == np.inf
    assert thresholds[2] == LEARNED_TAG_MIN


def test_photo_like_no_term_gets_no_learned_tag_and_labelled_photos_keep_theirs(
        tiny_models: Path, tmp_path: Path) -> None:
    """Open set: a camera-dump photo unlike every filed subject is "none of my words"."""
    root = tmp_path / "photos"
    folders = {"Herons": (200, 40, 40), "Lisbon": (40, 60, 200)}
    for seed, (folder, base) in enumerate(folders.items()):
        shaded_folder(root / folder, base, 12, seed)
    dump = shaded_folder(root / "DCIM" / "100CANON", (90, 200, 90), 12, 7)  # green: neither
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        report = library.train_words()
        assert report.terms == ["heron", "lisbon"]
        for photo in dump:
            assert not [t for t in library.tags(photo, k=10) if t.source == "learned"], photo.name
        for folder, term in (("Herons", "heron"), ("Lisbon", "lisbon")):
            for photo in sorted((root / folder).glob("*.jpg")):
                learned = [t.tag for t in library.tags(photo, k=10) if t.source == "learned"]
                assert learned == [term], (photo, learned)


def test_term_calibration_is_stored_with_the_classifier_and_loaded(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    _library_with_subject_folders(root)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        library.train_words()
        state = library.learner.state(library.embedder(), library.word_space())
        assert state is not None
        stored = TermClassifier.load(next((tmp_path / "lib" / "learned").glob("*.terms.npz")))
        assert stored.terms == state.terms.terms == ["gerenuk", "heron", "lisbon", "trip"]
        np.testing.assert_array_equal(stored.thresholds, state.terms.thresholds)
        assert stored.thresholds.shape == (4,) and (stored.thresholds >= LEARNED_TAG_MIN).all()


@pytest.mark.parametrize("damage", ["missing", "too short", "not a number", "wrong shape"])
def test_mismatched_calibration_is_refused_at_load_and_relearned(
        tiny_models: Path, tmp_path: Path, damage: str) -> None:
    root = tmp_path / "photos"
    _library_with_subject_folders(root)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        library.train_words()
        dim = library.word_space().words.dim
    path = next((tmp_path / "lib" / "learned").glob("*.terms.npz"))
    good = TermClassifier.load(path)
    good.check(dim)
    arrays = {"terms": np.array(good.terms, dtype=str), "weights": good.weights, "prototypes": good.prototypes,
              "thresholds": {"missing": None, "too short": good.thresholds[:-1],
                             "not a number": np.full_like(good.thresholds, np.nan),
                             "wrong shape": good.thresholds[:, None]}[damage]}
    with open(path, "wb") as handle:
        np.savez(handle, **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises((KeyError, ValueError)):
        TermClassifier.load(path).check(dim)
    with open_library(tmp_path / "lib") as library:
        assert library.learner.state(library.embedder(), library.word_space()) is None
        library.search_text("heron", k=9)  # answered zero-shot meanwhile, no traceback
        assert not any(t.source == "learned" for t in library.tags(root / "Trips" / "Herons" / "IMG_0000.jpg"))
        library.index()  # the damaged classifier is relearned
        assert library.learner.state(library.embedder(), library.word_space()) is not None
        assert {Path(h.path).parent.name for h in library.search_text("heron", k=9)} == {"Herons"}


@pytest.mark.parametrize("damage", ["json", "terms.npz", "onnx"])
@pytest.mark.parametrize("how", ["random bytes", "truncated", "empty"])
def test_damaged_learned_files_never_crash_and_indexing_relearns(
        tiny_models: Path, tmp_path: Path, damage: str, how: str) -> None:
    root = tmp_path / "photos"
    for seed, (folder, base) in enumerate({"Herons": (200, 40, 40), "Lisbon": (40, 60, 200)}.items()):
        shaded_folder(root / folder, base, 12, seed)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        library.train_words()
        expected = {Path(h.path).parent.name for h in library.search_text("heron", k=12)}
        assert expected == {"Herons"}
    target = next((tmp_path / "lib" / "learned").glob(f"*.{damage}"))
    size = target.stat().st_size
    target.write_bytes({"random bytes": os.urandom(size), "truncated": target.read_bytes()[: size // 2],
                        "empty": b""}[how])
    with open_library(tmp_path / "lib") as library:
        library.search_text("heron", k=12)  # answered (zero-shot meanwhile), no traceback
        library.tags(root / "Herons" / "IMG_0000.jpg")
        library.index()  # nothing changed on disk: what was learned is relearned from the catalogue
        assert {Path(h.path).parent.name for h in library.search_text("heron", k=12)} == expected
        assert any(t.source == "learned" for t in library.tags(root / "Herons" / "IMG_0000.jpg"))
