"""Pairs of close faces without comparing all pairs: the graph automatic groups are built on.

Up to EXACT_UP_TO faces every pair is compared (in blocks). Above, the faces are first put in
cells around coarse centres (a few rounds of k-means on a sample), each face in its PROBES
nearest cells, and only faces sharing a cell are compared: with cells of about CELL_FACES faces
the work grows linearly with the faces instead of with their square. A face keeps at most
NEAREST close neighbours, so one person with thousands of faces does not make millions of edges.
bench/people.py measures both; faces closer than the grouping distance are near one another in
descriptor space, so they share a cell (the recall of close pairs is in its table).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["EXACT_UP_TO", "close_pairs", "nearest_within"]

EXACT_UP_TO = 12_000  # faces compared all with all; above this, within cells
CELL_FACES = 1_000  # faces a cell holds on average
PROBES = 2  # cells each face is put in
NEAREST = 20  # close neighbours a face keeps at most
BLOCK = 1024  # rows of distances worked out at once

Pairs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


def close_pairs(matrix: npt.NDArray[np.float32], distance: float) -> Pairs:
    """(i, j) arrays, i < j, of the faces (rows of `matrix`) closer than `distance`, each face's
    NEAREST closest at most (a pair is kept when either face keeps it)."""
    count = len(matrix)
    if count <= EXACT_UP_TO:
        cells = [np.arange(count, dtype=np.int64)]
    else:
        cells = _cells(matrix)
    firsts, seconds = [], []
    for members in cells:
        rows, cols = _pairs_within(matrix[members], distance)
        firsts.append(members[rows])
        seconds.append(members[cols])
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    low, high = np.minimum(first, second), np.maximum(first, second)
    keys = np.unique(low[low != high] * count + high[low != high])
    return keys // count, keys % count


def nearest_within(faces: npt.NDArray[np.float32], others: npt.NDArray[np.float32],
                   distance: float) -> npt.NDArray[np.int64]:
    """For each of `faces`, the row of the nearest of `others` closer than `distance` (-1: none):
    exact up to EXACT_UP_TO² pairs; above, each face looks in its PROBES nearest cells of `others`."""
    out = np.full(len(faces), -1, dtype=np.int64)
    if not len(others) or not len(faces):
        return out
    if len(faces) * len(others) <= EXACT_UP_TO * EXACT_UP_TO:
        return _nearest_exact(faces, others, distance)
    centres = _centres(others)
    homes = _probe(others, centres, 1)
    looks = _probe(faces, centres, PROBES)
    best = np.full(len(faces), np.inf, dtype=np.float32)
    for home, look in zip(homes, looks, strict=True):
        if not len(home) or not len(look):
            continue
        part = others[home]
        squares = (part ** 2).sum(axis=1)
        for first in range(0, len(look), BLOCK):
            rows = look[first:first + BLOCK]
            apart = _squared(faces[rows], part, squares)
            nearest = np.argmin(apart, axis=1)
            value = apart[np.arange(len(rows)), nearest]
            better = (value < best[rows]) & (value < distance * distance)
            best[rows[better]] = value[better]
            out[rows[better]] = home[nearest[better]]
    return out


def _nearest_exact(faces: npt.NDArray[np.float32], others: npt.NDArray[np.float32],
                   distance: float) -> npt.NDArray[np.int64]:
    out = np.full(len(faces), -1, dtype=np.int64)
    squares = (others ** 2).sum(axis=1)
    for first in range(0, len(faces), BLOCK):
        apart = _squared(faces[first:first + BLOCK], others, squares)
        best = np.argmin(apart, axis=1)
        close = apart[np.arange(len(best)), best] < distance * distance
        out[first:first + BLOCK] = np.where(close, best, -1)
    return out


def _owners(matrix: npt.NDArray[np.float32], centres: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
    """The nearest centre of each row."""
    squares = (centres ** 2).sum(axis=1)
    return np.concatenate([np.argmin(_squared(matrix[first:first + BLOCK], centres, squares), axis=1)
                           for first in range(0, len(matrix), BLOCK)]).astype(np.int64)


def _pairs_within(matrix: npt.NDArray[np.float32], distance: float) -> Pairs:
    """Close pairs (local rows) among `matrix`, each row's NEAREST at most, self pairs included."""
    squares = (matrix ** 2).sum(axis=1)
    firsts, seconds = [], []
    for first in range(0, len(matrix), BLOCK):
        apart = _squared(matrix[first:first + BLOCK], matrix, squares)
        close = apart < distance * distance
        crowded = np.nonzero(close.sum(axis=1) > NEAREST)[0]
        if len(crowded):  # keep only the NEAREST closest of the faces with more
            cut = np.partition(apart[crowded], NEAREST - 1, axis=1)[:, NEAREST - 1:NEAREST]
            close[crowded] &= apart[crowded] <= cut
        rows, cols = np.nonzero(close)
        firsts.append(rows.astype(np.int64) + first)
        seconds.append(cols.astype(np.int64))
    return np.concatenate(firsts), np.concatenate(seconds)


def _squared(block: npt.NDArray[np.float32], others: npt.NDArray[np.float32],
             squares: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Squared distances of each row of `block` to each row of `others` (in place: one array)."""
    apart: npt.NDArray[np.float32] = block @ others.T
    apart *= -2.0
    apart += (block ** 2).sum(axis=1)[:, None]
    apart += squares[None, :]
    return apart


def _cells(matrix: npt.NDArray[np.float32]) -> list[npt.NDArray[np.int64]]:
    """The faces of each cell, each face in its PROBES nearest cells (so two close faces on
    either side of a border still meet)."""
    return _probe(matrix, _centres(matrix), PROBES)


def _centres(matrix: npt.NDArray[np.float32], rounds: int = 4) -> npt.NDArray[np.float32]:
    """About one centre per CELL_FACES rows: k-means on a fixed-seed sample."""
    count = len(matrix)
    cells = max(PROBES + 1, count // CELL_FACES)
    random = np.random.default_rng(13)
    sample = matrix[random.choice(count, size=min(count, cells * 40), replace=False)]
    centres: npt.NDArray[np.float32] = sample[random.choice(len(sample), size=min(cells, len(sample)),
                                                          replace=False)].copy()
    for _ in range(rounds):
        nearest = _owners(sample, centres)
        for c in range(len(centres)):
            members = sample[nearest == c]
            if len(members):
                centres[c] = members.mean(axis=0)
    return centres


def _probe(matrix: npt.NDArray[np.float32], centres: npt.NDArray[np.float32], probes: int
           ) -> list[npt.NDArray[np.int64]]:
    """The rows of `matrix` in each cell, each row in its `probes` nearest cells."""
    probes = min(probes, len(centres))
    squares = (centres ** 2).sum(axis=1)
    owners = np.concatenate([np.argpartition(_squared(matrix[first:first + BLOCK], centres, squares), probes - 1,
                                             axis=1)[:, :probes] for first in range(0, len(matrix), BLOCK)])
    order = np.argsort(owners.ravel(), kind="stable")
    bounds = np.searchsorted(owners.ravel()[order], np.arange(len(centres) + 1))
    rows = (order // probes).astype(np.int64)
    return [rows[bounds[c]:bounds[c + 1]] for c in range(len(centres))]
