"""Candidate pairs by colour: each photo with the photo whose colours are closest to its own.

A tighter crop of a photo keeps its colour distribution almost exactly, while its image vector
moves (the network sees the subject bigger): on Caltech-101's 435 face crops the original is
the crop's nearest by colour histogram 90% of the time, its nearest by image vector 66%. So
each photo's nearest by colour (the histogram kept at indexing, `photos.colour`) joins the
candidates, for the crop check, when the two are also alike in content: image vectors at
least `VECTOR_COSINE` alike, colours at least `COLOUR_COSINE`.
"""

from __future__ import annotations

import numpy as np

from ..storage.catalogue import Catalogue
from .neighbours import EXACT_UP_TO, Ids, Matrix, Pairs, close_pairs

COLOUR_COSINE = 0.85  # Caltech-101's crop pairs: 0.89 and up in 95 of 100
VECTOR_COSINE = 0.6  # the same crop pairs: 0.77 and up in 95 of 100; other subjects far lower


def colour_pairs(catalogue: Catalogue, ids: Ids, matrix: Matrix) -> Pairs:
    """(photo a, photo b, image-vector cosine) for each photo and its nearest by colour, where
    both are alike enough; `ids` and `matrix` as neighbours.library_vectors gives them."""
    colours = catalogue.colours_of(ids.tolist())
    rows = [r for r, pid in enumerate(ids.tolist()) if pid in colours]
    if len(rows) < 2:
        return []
    histograms = np.zeros((len(rows), len(colours[int(ids[rows[0]])])),
                          np.float32 if len(rows) <= EXACT_UP_TO else np.float16)
    for n, r in enumerate(rows):
        h = colours[int(ids[r])]
        histograms[n] = h / max(float(np.linalg.norm(h)), 1e-12)
    best: dict[int, tuple[float, int]] = {}  # row in `rows` -> (colour cosine, the other's row)
    for a, b, cosine in close_pairs(np.arange(len(rows), dtype=np.int64), histograms, COLOUR_COSINE):
        for me, other in ((a, b), (b, a)):
            if cosine > best.get(me, (-1.0, -1))[0]:
                best[me] = (cosine, other)
    found: dict[tuple[int, int], float] = {}
    for me, (_, other) in best.items():
        ra, rb = rows[me], rows[other]
        vector_cosine = float(matrix[ra].astype(np.float32) @ matrix[rb].astype(np.float32))
        if vector_cosine >= VECTOR_COSINE:
            a, b = int(ids[ra]), int(ids[rb])
            found[(min(a, b), max(a, b))] = vector_cosine
    return [(a, b, cosine) for (a, b), cosine in found.items()]
