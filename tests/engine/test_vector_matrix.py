"""The vectors a filtered search scores in memory follow the catalogue: new, replaced and
removed vectors are seen by the next search, and a library too big for the budget is left
to the index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.vectors.matrix import VectorMatrix

DIM = 8


def _unit(rng: np.random.Generator) -> np.ndarray:
    vector = rng.normal(size=DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture()
def catalogue(tmp_path: Path) -> Catalogue:
    return Catalogue(tmp_path / "catalogue.sqlite")


def _add(catalogue: Catalogue, vectors: dict[int, np.ndarray]) -> None:
    with catalogue.transaction():
        catalogue.store_kind("m", "words", vectors)


def _photos(catalogue: Catalogue, count: int, start: int = 0) -> list[int]:
    with catalogue.transaction():
        return [catalogue.upsert_photo(f"/p/{n}.jpg", 1, n, n.to_bytes(16, "big"), 4, 4)
                for n in range(start, start + count)]


def test_new_replaced_and_removed_vectors_are_seen_by_the_next_search(catalogue: Catalogue) -> None:
    rng = np.random.default_rng(3)
    ids = _photos(catalogue, 50)
    vectors = {pid: _unit(rng) for pid in ids}
    _add(catalogue, vectors)
    matrix = VectorMatrix("m", "words", DIM, budget=10**6)
    within = np.asarray(ids, np.int64)
    assert matrix.current(catalogue)
    target = ids[7]
    assert matrix.best(vectors[target], within, 1)[0][0] == target

    more = _photos(catalogue, 10, start=50)  # indexed after the matrix was read
    fresh = {pid: _unit(rng) for pid in more}
    _add(catalogue, fresh)
    assert matrix.current(catalogue)
    everyone = np.asarray(ids + more, np.int64)
    assert matrix.best(fresh[more[3]], everyone, 1)[0][0] == more[3]

    moved = _unit(rng)  # a photo embedded again (edited): its new vector replaces the old
    _add(catalogue, {target: moved})
    assert matrix.current(catalogue)
    best = matrix.best(moved, everyone, 1)[0]
    assert best[0] == target and best[1] == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(matrix.vectors_of(np.asarray([target]))[target], moved)

    with catalogue.transaction():
        catalogue.delete_photos([ids[0], ids[1]])  # removed from the library: read again whole
    assert matrix.current(catalogue)
    assert ids[0] not in matrix.vectors_of(np.asarray([ids[0], ids[2]]))


def test_only_the_filter_s_photos_are_ranked_by_score_and_photos_without_vectors_are_left_out(
        catalogue: Catalogue) -> None:
    rng = np.random.default_rng(5)
    ids = _photos(catalogue, 40)
    vectors = {pid: _unit(rng) for pid in ids[:30]}  # the last 10 have no vector yet
    _add(catalogue, vectors)
    matrix = VectorMatrix("m", "words", DIM, budget=10**6)
    assert matrix.current(catalogue)
    query = _unit(rng)
    for within in (ids[::3], ids[:30], ids, ids[30:]):  # a narrow filter gathers rows, a broad one does not
        found = matrix.best(query, np.asarray(within + [10**6, -1], np.int64), 5)  # unknown ids: ignored
        allowed = [pid for pid in within if pid in vectors]
        expected = sorted(allowed, key=lambda pid: -float(vectors[pid] @ query))[:5]
        assert [pid for pid, _ in found] == expected
        assert [score for _, score in found] == pytest.approx([float(vectors[pid] @ query) for pid in expected])


def test_vectors_beyond_the_budget_are_not_held(catalogue: Catalogue) -> None:
    rng = np.random.default_rng(9)
    ids = _photos(catalogue, 20)
    _add(catalogue, {pid: _unit(rng) for pid in ids})
    matrix = VectorMatrix("m", "words", DIM, budget=19 * DIM * 4)  # room for 19 of the 20
    assert not matrix.current(catalogue)
    assert matrix.nbytes == 0
    roomy = VectorMatrix("m", "words", DIM, budget=20 * DIM * 4)
    assert roomy.current(catalogue)
