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
    if len(ids) < 2:
        return []
    if len(ids) <= EXACT_UP_TO:
        return _exact(ids, matrix, threshold)
    return _approximate(ids, matrix, threshold)


def _exact(ids: Ids, matrix: Matrix, threshold: float) -> Pairs:
    found: dict[tuple[int, int], float] = {}
    nearest = min(NEAREST + 1, len(ids))  # + 1: a photo is its own nearest
    for start in range(0, len(ids), BLOCK):
        block = matrix[start : start + BLOCK] @ matrix.T
        best = np.argpartition(-block, nearest - 1, axis=1)[:, :nearest]
        for r, row in enumerate(best.tolist()):
            a = start + r
            for c in row:
                if c != a and block[r, c] >= threshold:
                    found[(min(a, c), max(a, c))] = float(block[r, c])
    return [(int(ids[a]), int(ids[c]), cosine) for (a, c), cosine in found.items()]


def _approximate(ids: Ids, matrix: Matrix, threshold: float) -> Pairs:
    reduced = _principal(matrix)
    index = AnnoyIndex(reduced.shape[1], "angular")
    for row, vector in enumerate(reduced):
        index.add_item(row, vector.tolist())
    index.build(_TREES, n_jobs=-1)
    seen: set[tuple[int, int]] = set()
    for row in range(len(ids)):
        for other in index.get_nns_by_item(row, NEAREST + 1):  # + 1: itself
            if other != row:
                seen.add((min(row, other), max(row, other)))
    if not seen:
        return []
    left, right = (np.fromiter((p[i] for p in seen), np.int64, len(seen)) for i in (0, 1))
    pairs: Pairs = []
    for start in range(0, len(left), BLOCK * 4):  # a few MB at a time, not both sides of every pair at once
        a, b = left[start : start + BLOCK * 4], right[start : start + BLOCK * 4]
        cosines = np.einsum("ij,ij->i", matrix[a].astype(np.float32), matrix[b].astype(np.float32))
        pairs.extend((int(ids[a[i]]), int(ids[b[i]]), float(cosines[i])) for i in np.nonzero(cosines >= threshold)[0])
    return pairs


def _principal(matrix: Matrix) -> Matrix:
    rng = np.random.default_rng(0)
    sample = matrix[rng.choice(len(matrix), min(_SAMPLE, len(matrix)), replace=False)].astype(np.float32)
    mean = sample.mean(axis=0)
    centred = sample - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)  # the covariance's eigenvectors: 10x faster than an SVD
    basis = np.ascontiguousarray(vectors[:, ::-1][:, :REDUCED], np.float32)
    out = np.zeros((len(matrix), REDUCED), np.float32)
    for start in range(0, len(matrix), BLOCK * 8):
        out[start : start + BLOCK * 8] = (matrix[start : start + BLOCK * 8].astype(np.float32) - mean) @ basis
    return out
