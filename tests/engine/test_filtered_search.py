"""A search narrowed to a filter's photos: exact from the vectors in memory while they fit;
beyond that exact when they are few, from the index with over-fetch when they are many;
never fewer results than exist, ranked as an exact search."""

from __future__ import annotations

import numpy as np
import pytest

import cbir_desktop.engine.vectors.index as vi
from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.vectors.index import VectorIndex

DIM = 16


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalogue, VectorIndex, dict[int, np.ndarray]]:
    """3,000 photos with random unit vectors, and a built Annoy index over them."""
    root = tmp_path_factory.mktemp("filtered")
    catalogue = Catalogue(root / "catalogue.sqlite")
    rng = np.random.default_rng(7)
    vectors: dict[int, np.ndarray] = {}
    with catalogue.transaction():
        for n in range(3000):
            pid = catalogue.upsert_photo(f"/photos/IMG_{n:05d}.jpg", 100, n, n.to_bytes(16, "big"), 30, 20)
            vector = rng.normal(size=DIM).astype(np.float32)
            vectors[pid] = vector / np.linalg.norm(vector)
        catalogue.store_kind("m", "features", vectors)
    index = VectorIndex(root / "indexes", "m", "features", DIM)
    index.rebuild(catalogue)
    assert index.ann_path.is_file()
    return catalogue, index, vectors


def _exact(vectors: dict[int, np.ndarray], query: np.ndarray, within: set[int], k: int) -> list[int]:
    ids = sorted(within)
    sims = np.stack([vectors[i] for i in ids]) @ query
    return [ids[i] for i in np.argsort(-sims, kind="stable")[:k]]


def _index_without_matrix(index: VectorIndex, monkeypatch: pytest.MonkeyPatch) -> VectorIndex:
    """The same index file, opened as if its vectors did not fit in memory."""
    monkeypatch.setattr(vi, "MATRIX_BUDGET", 0)
    return VectorIndex(index.folder.parent, index.model_id, index.kind, index.dim)


@pytest.mark.parametrize(("share", "exact_within", "in_memory"), [
    (0.01, 2000, True), (0.1, 2000, True), (0.5, 2000, True), (1.0, 2000, True),
    (0.01, 2000, False), (0.01, 10, False), (0.1, 10, False), (0.5, 10, False)])
def test_a_filtered_search_finds_what_an_exact_search_over_the_filter_finds(
        indexed, share: float, exact_within: int, in_memory: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue, index, vectors = indexed
    if not in_memory:
        index = _index_without_matrix(index, monkeypatch)
    monkeypatch.setattr(vi, "EXACT_WITHIN", exact_within)  # 10: the index path even for 30 photos
    rng = np.random.default_rng(int(share * 1000) + exact_within)
    within = {int(i) for i in rng.choice(sorted(vectors), int(len(vectors) * share), replace=False)}
    as_given = np.fromiter(within, np.int64) if share != 0.1 else within  # the engine passes an array
    recalls = []
    for _ in range(20):
        query = vectors[int(rng.choice(sorted(vectors)))]
        found = index.search(catalogue, query, 10, within=as_given)
        assert len(found) == 10 and {pid for pid, _ in found} <= within  # only the filter's, never short
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
        recalls.append(len({pid for pid, _ in found} & set(_exact(vectors, query, within, 10))) / 10)
    assert np.mean(recalls) >= (1.0 if in_memory or exact_within > 30 else 0.95)


def test_a_filter_with_fewer_photos_than_asked_returns_them_all(indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue, index, vectors = indexed
    index = _index_without_matrix(index, monkeypatch)
    monkeypatch.setattr(vi, "EXACT_WITHIN", 0)  # through the index, which must widen until it has them
    within = set(sorted(vectors)[:4])
    found = index.search(catalogue, vectors[sorted(vectors)[100]], 10, within=within)
    assert {pid for pid, _ in found} == within


def test_an_empty_filter_finds_nothing(indexed) -> None:
    catalogue, index, vectors = indexed
    assert index.search(catalogue, next(iter(vectors.values())), 10, within=set()) == []
