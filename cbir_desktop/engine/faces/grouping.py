"""Plain grouping of face descriptors: faces closer than `distance` join one group (single
linkage, so a chain of close faces is one group). The baseline the people panel builds on."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .neighbours import close_pairs

SAME_PERSON = 0.5  # descriptor distance; dlib's model was trained so that one person is within 0.6


def group_faces(descriptors: npt.NDArray[np.float32], distance: float = SAME_PERSON) -> list[int]:
    """A group number for each row of `descriptors` (float32 [n, 128]); 0 is the largest group."""
    count = len(descriptors)
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    squares = (descriptors.astype(np.float32) ** 2).sum(axis=1)
    for first in range(0, count, 1024):  # distances a block of rows at a time
        block = descriptors[first:first + 1024]
        apart = squares[first:first + 1024, None] + squares[None, :] - 2.0 * block @ descriptors.T
        for i, j in zip(*np.nonzero(apart < distance * distance), strict=True):
            a, b = root(first + int(i)), root(int(j))
            if a != b:
                parent[a] = b
    roots = [root(i) for i in range(count)]
    sizes: dict[int, int] = {}
    for r in roots:
        sizes[r] = sizes.get(r, 0) + 1
    number = {r: n for n, r in enumerate(sorted(sizes, key=lambda r: (-sizes[r], r)))}
    return [number[r] for r in roots]


GROUP_DISTANCE = 0.55  # automatic groups: chinese whispers over the faces closer than this


def cluster_faces(descriptors: npt.NDArray[np.float32], distance: float = GROUP_DISTANCE) -> list[int]:
    """A group number for each row of `descriptors` (float32 [n, 128]), by dlib's chinese whispers
    over the graph of faces closer than `distance`; 0 is the largest group.

    Unlike single linkage (`group_faces`), one chance link between two people does not join them:
    on faces_lfw12 both keep pairwise precision 1.0 up to 0.55, but at 0.6 single linkage falls to
    0.43 while chinese whispers stays at 1.0 (tests/e2e/test_people_lfw.py measures the default).
    The graph holds each face's nearest close faces, found without comparing all pairs in a
    large library (faces/neighbours.py), so grouping 100k faces takes seconds, not hours."""
    count = len(descriptors)
    if count == 0:
        return []  # before dlib is needed: a library without faces groups without it
    import dlib

    first, second = close_pairs(np.asarray(descriptors, dtype=np.float32), distance)
    every = np.arange(count, dtype=np.int64)
    keys = np.sort(np.concatenate([every * count + every, first * count + second]))  # row by row, as dlib reads
    edges = list(zip((keys // count).tolist(), (keys % count).tolist(), strict=True))
    labels = [int(label) for label in dlib.chinese_whispers(edges)]
    sizes: dict[int, int] = {}
    for label in labels:
        sizes[label] = sizes.get(label, 0) + 1
    number = {label: n for n, label in enumerate(sorted(sizes, key=lambda x: (-sizes[x], x)))}
    return [number[label] for label in labels]
