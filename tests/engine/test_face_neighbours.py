"""Close faces without comparing all pairs (faces/neighbours.py): the cells a large library is
split into find (nearly) every close pair the exact comparison finds, and the nearest close
face of each. Sizes are shrunk here so the cells are used on a few thousand points."""

from __future__ import annotations

import numpy as np
import pytest

from cbir_desktop.engine.faces import neighbours
from cbir_desktop.engine.faces.grouping import GROUP_DISTANCE


def _people(count: int, seed: int) -> np.ndarray:
    """Descriptor-like points: 60 people far apart (about 1.0), their faces about 0.45 apart."""
    random = np.random.default_rng(seed)
    centres = random.normal(0, 0.065, size=(60, 128)).astype(np.float32)
    owner = random.integers(0, 60, size=count)
    return (centres[owner] + random.normal(0, 0.028, size=(count, 128))).astype(np.float32)


def _exact_pairs(matrix: np.ndarray) -> set[tuple[int, int]]:
    squares = (matrix ** 2).sum(axis=1)
    apart = squares[:, None] + squares[None, :] - 2.0 * matrix @ matrix.T
    rows, cols = np.nonzero(np.triu(apart < GROUP_DISTANCE ** 2, 1))
    return set(zip(rows.tolist(), cols.tolist(), strict=True))


@pytest.fixture
def small_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neighbours, "EXACT_UP_TO", 300)
    monkeypatch.setattr(neighbours, "CELL_FACES", 200)
    monkeypatch.setattr(neighbours, "NEAREST", 10_000)  # every close pair kept, to compare with the exact ones


def test_cells_find_nearly_every_close_pair(small_cells: None) -> None:
    matrix = _people(3000, 1)
    first, second = neighbours.close_pairs(matrix, GROUP_DISTANCE)
    found = set(zip(first.tolist(), second.tolist(), strict=True))
    exact = _exact_pairs(matrix)
    assert found <= exact  # never a pair that is not close
    assert len(found) >= 0.95 * len(exact)


def test_small_sets_are_compared_exactly() -> None:
    matrix = _people(500, 2)
    first, second = neighbours.close_pairs(matrix, GROUP_DISTANCE)
    assert set(zip(first.tolist(), second.tolist(), strict=True)) == _exact_pairs(matrix)


def test_each_face_keeps_its_nearest_close_faces_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neighbours, "NEAREST", 5)
    matrix = _people(400, 3)
    first, second = neighbours.close_pairs(matrix, GROUP_DISTANCE)
    # A pair is kept when either face keeps it: at most 5 a face from its own side.
    assert len(first) <= 5 * len(matrix)
    assert len(first) > 0


def test_the_nearest_close_face_through_cells_is_the_exact_one_nearly_always(small_cells: None) -> None:
    points = _people(3600, 4)
    others, faces = points[:3000], points[3000:]
    exact = neighbours._nearest_exact(faces, others, GROUP_DISTANCE)
    found = neighbours.nearest_within(faces, others, GROUP_DISTANCE)
    hit = found >= 0
    assert (np.linalg.norm(faces[hit] - others[found[hit]], axis=1) < GROUP_DISTANCE).all()
    assert (exact >= 0).mean() > 0.9 and (found == exact).mean() >= 0.95
