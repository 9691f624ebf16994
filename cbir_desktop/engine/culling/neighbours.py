"""Candidate pairs for the duplicate checks: photos whose image vectors lie close together.

Copies and edits of one shot have nearly the same vector (cosine 0.6-1.0 on neardup/, rotated
and greyscale variants lowest), so the pairs above a cosine threshold, among each photo's
`NEAREST` nearest, go on to the pixel checks (all pairs above 0.7 would be 197,000 on
Caltech-101's 9,144 photos, whose classes are tight; its 8 nearest, 25,000). Up to `EXACT_UP_TO` photos the vectors are
compared exactly, a block of rows at a time. Beyond, a cosine over all pairs costs minutes,
so the vectors are reduced to `REDUCED` principal components, an in-memory Annoy index over
them finds each photo's nearest, and the cosine of each pair found is then computed exactly
from the full vectors.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from annoy import AnnoyIndex

from ..storage.catalogue import FEATURES, Catalogue

EXACT_UP_TO = 12_000
NEAREST = 8
REDUCED = 64
BLOCK = 2048
_TREES = 10
_SAMPLE = 8192  # rows the principal components are learned from

Ids = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]
Pairs = list[tuple[int, int, float]]
Radii = dict[int, float]  # photo id: the cosine of the farthest of its nearest
# Given the principal components' mean and basis and the built Annoy index of the reduced
# vectors (rows as in `ids`; searched already, so it may unload it), keeps them for later
# searches (reduced_space.py).
KeepSpace = Callable[[Matrix, Matrix, AnnoyIndex], None]


def library_vectors(catalogue: Catalogue, model_id: str) -> tuple[Ids, Matrix]:
    """Every photo's image vector (L2-normalised rows) and the photo ids of the rows: float32
    up to `EXACT_UP_TO` photos, float16 beyond (100k 1280-d vectors: 256 MB, not 512)."""
    count = catalogue.count_vectors(model_id, FEATURES)
    ids = np.zeros(count, np.int64)
    matrix: Matrix | None = None
    n = 0
    for _, photo_id, vector in catalogue.iter_vectors(model_id, FEATURES):
        if matrix is None:
            matrix = np.zeros((count, vector.shape[0]), np.float32 if count <= EXACT_UP_TO else np.float16)
        if n >= count or vector.shape[0] != matrix.shape[1]:
            continue
        ids[n] = photo_id
        matrix[n] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        n += 1
    if matrix is None:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    return ids[:n], matrix[:n]


def close_pairs(ids: Ids, matrix: Matrix, threshold: float) -> Pairs:
    """(photo a, photo b, cosine), each pair once, for the pairs at `threshold` or closer."""
    return nearest_pairs(ids, matrix, threshold)[0]


def nearest_pairs(ids: Ids, matrix: Matrix, threshold: float,
                  keep_space: KeepSpace | None = None) -> tuple[Pairs, Radii]:
    """`close_pairs`, and each photo's radius: the cosine of the farthest of its `NEAREST`
    (-1 when it has fewer), so that a photo added later is known to be among its nearest
    when at least that close (incremental.py). Beyond `EXACT_UP_TO` photos, `keep_space`
    receives the reduced space searched."""
    if len(ids) < 2:
        return [], {int(pid): -1.0 for pid in ids.tolist()}
    if len(ids) <= EXACT_UP_TO:
        return _exact(ids, matrix, threshold)
    return _approximate(ids, matrix, threshold, keep_space)


def _exact(ids: Ids, matrix: Matrix, threshold: float) -> tuple[Pairs, Radii]:
    found: dict[tuple[int, int], float] = {}
    radii: Radii = {}
    nearest = min(NEAREST + 1, len(ids))  # + 1: a photo is its own nearest
    for start in range(0, len(ids), BLOCK):
        block = matrix[start : start + BLOCK] @ matrix.T
        best = np.argpartition(-block, nearest - 1, axis=1)[:, :nearest]
        for r, row in enumerate(best.tolist()):
            a = start + r
            others = [c for c in row if c != a][:NEAREST]
            radii[int(ids[a])] = float(min(block[r, c] for c in others)) if len(others) == NEAREST else -1.0
            for c in others:
                if block[r, c] >= threshold:
                    found[(min(a, c), max(a, c))] = float(block[r, c])
    return [(int(ids[a]), int(ids[c]), cosine) for (a, c), cosine in found.items()], radii


def _approximate(ids: Ids, matrix: Matrix, threshold: float,
                 keep_space: KeepSpace | None = None) -> tuple[Pairs, Radii]:
    reduced, mean, basis = _principal(matrix)
    index = AnnoyIndex(reduced.shape[1], "angular")
    for row, vector in enumerate(reduced):
        index.add_item(row, vector.tolist())
    index.build(_TREES, n_jobs=-1)
    del reduced
    nearest = np.full((len(ids), NEAREST), -1, np.int64)
    for row in range(len(ids)):
        found = [other for other in index.get_nns_by_item(row, NEAREST + 1) if other != row][:NEAREST]  # + 1: itself
        nearest[row, : len(found)] = found
    if keep_space is not None:
        keep_space(mean, basis, index)
    index.unload()
    cosines = np.full(nearest.shape, -1.0, np.float32)
    step = BLOCK // 2  # 1,024 rows x 8 neighbours x 1,280 floats: 42 MB at a time
    for start in range(0, len(ids), step):
        block = nearest[start : start + step]
        rows = matrix[start : start + step].astype(np.float32)
        others = matrix[np.maximum(block, 0)].astype(np.float32)
        cosines[start : start + step] = np.where(block >= 0, np.einsum("id,ijd->ij", rows, others), -1.0)
    radii = np.where((nearest >= 0).all(axis=1), cosines.min(axis=1), -1.0)
    pairs: dict[tuple[int, int], float] = {}
    for a, j in zip(*np.nonzero((cosines >= threshold) & (nearest >= 0)), strict=True):
        c = int(nearest[a, j])
        pairs[(min(int(a), c), max(int(a), c))] = float(cosines[a, j])
    return ([(int(ids[a]), int(ids[c]), cosine) for (a, c), cosine in pairs.items()],
            dict(zip(ids.tolist(), radii.tolist(), strict=True)))


def _principal(matrix: Matrix) -> tuple[Matrix, Matrix, Matrix]:
    """The rows in `REDUCED` principal components, and the components' mean and basis."""
    rng = np.random.default_rng(0)
    sample = matrix[rng.choice(len(matrix), min(_SAMPLE, len(matrix)), replace=False)].astype(np.float32)
    mean = sample.mean(axis=0)
    centred = sample - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)  # the covariance's eigenvectors: 10x faster than an SVD
    basis = np.ascontiguousarray(vectors[:, ::-1][:, :REDUCED], np.float32)
    out = np.zeros((len(matrix), basis.shape[1]), np.float32)  # fewer when the vectors have fewer dimensions
    for start in range(0, len(matrix), BLOCK * 8):
        out[start : start + BLOCK * 8] = (matrix[start : start + BLOCK * 8].astype(np.float32) - mean) @ basis
    return out, mean, basis
