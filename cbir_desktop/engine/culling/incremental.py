"""Candidate pairs for the "same" level, searched again only for the photos that need it.

A full pass (neighbours.py) compares every photo with every other: 25-30 s at 100,000 photos.
It records each photo as searched (for its current vector, with the model and search settings)
with its radius, the cosine of the farthest of its `NEAREST`. Next time, when at most
`INCREMENTAL_UP_TO` of the library is new or changed, only those photos are searched: their
nearest among all photos in the space the full pass searched (kept on disk beyond an exact
search: reduced_space.py; 64-d queries, several times cheaper than the image index's) and,
exactly, among the vectors written since; without a kept space, through the library's image
index (its Annoy file and an exact search beside it), 4 x `NEAREST` deep, so that a new photo also
becomes a candidate of an old photo whose radius it falls within. Old pairs are not searched
again: those found the same are read back (their verdicts still valid: checked in SQL), and the
kept pairs of the photos the new ones joined count for which new pairs the crop check may run on.
The full pass also pairs each photo with its nearest by colour (colour_pairs.py) for the crop
check; the incremental one does not (yet): a crop among new photos of an old photo whose vector
moved too far is found at the next full pass.

The pairs then equal a full pass's within the index's approximation, but for one difference:
an old pair that new photos push out of a photo's nearest (or out of its nearest for the crop
check) keeps its verdict until the next full pass, and old photos' radii are not narrowed. A
full pass runs when nothing was recorded, the model, the search settings or the checks changed,
or many photos are new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import numpy.typing as npt

from ..storage.catalogue import FEATURES, Catalogue
from ..storage.pair_verdicts import (
    PairVerdict,
    Searched,
    forget_pairs,
    outdated,
    pair_cosines,
    record_searched,
    searched_photos,
    settled_same,
    unsearched,
    vector_seqs,
    verdicts_of,
)
from ..vectors.index import VectorIndex
from .colour_pairs import colour_pairs
from .neighbours import NEAREST, Pairs, library_vectors, nearest_pairs
from .reduced_space import ReducedSpace, forget_space, keep_space, load_space
from .verdicts import checks_version

INCREMENTAL_UP_TO = 0.2  # share of the library new or changed beyond which a full pass is faster
_DEEP = 4  # how many times `NEAREST` a new photo's search reaches
# Nodes the index inspects per new photo: its 9 nearest agree with an exhaustive search at
# 0.996 at 1,000 (0.999 at 2,000; 1.000 at 5,000, the default) at 100k photos, 2.2 ms a photo
# against 4.4 (bench/duplicates.py's library); the full pass is cruder still (64 components).
SEARCH_K = 1000

IndexFor = Callable[[int], VectorIndex]  # the library's image index for vectors of this many dimensions
Pair = tuple[int, int]


@dataclass(frozen=True)
class Candidates:
    """The candidate pairs (a < b) to decide and their kept verdicts. Incrementally also: the
    kept pairs found the same that nothing new touches (`settled`, not decided again), and the
    other kept pairs of the photos the new ones joined (`counted`: their cosines decide which
    pairs the crop check may run on)."""

    pairs: Pairs
    kept: dict[Pair, PairVerdict]
    settled: dict[Pair, str] = field(default_factory=dict)
    counted: Pairs = field(default_factory=list)
    searched: int = 0  # photos whose nearest were searched in this call
    incremental: bool = False
    by_colour: frozenset[Pair] = frozenset()  # pairs of a photo and its nearest by colour (colour_pairs.py)
    renewed: frozenset[int] = frozenset()  # incrementally: the photos searched again (new or changed vectors)


def searched_with(model_id: str, threshold: float) -> str:
    """What a photo's recorded search depends on: the model and the search settings."""
    return f"{model_id} nearest={NEAREST} cosine>={threshold}"


def same_candidates(catalogue: Catalogue, model_id: str, threshold: float, index_for: IndexFor | None,
                    keep: bool, settle: bool = True) -> Candidates:
    """The candidate pairs at `threshold`, incrementally when the record allows; `keep` False
    (a read-only library) records nothing. `settle` False: the caller knows the kept pairs
    found the same (`settled` is left empty: reading them took 1-2 s at 100,000 photos)."""
    how = searched_with(model_id, threshold)
    new, searched = unsearched(catalogue, model_id, how)
    if (index_for is None or not searched or len(new) > INCREMENTAL_UP_TO * (searched + len(new))
            or outdated(catalogue, checks_version())):  # new checks decide every pair again
        return _full(catalogue, model_id, threshold, how, keep, index_for)
    return _incremental(catalogue, model_id, threshold, how, new, index_for, keep, settle)


def _full(catalogue: Catalogue, model_id: str, threshold: float, how: str, keep: bool,
          index_for: IndexFor | None = None) -> Candidates:
    seqs = vector_seqs(catalogue, model_id)
    ids, matrix = library_vectors(catalogue, model_id)
    folder = index_for(matrix.shape[1]).folder if keep and index_for is not None and len(ids) else None
    if folder is not None:
        forget_space(folder)  # only a space this pass searched in may be kept
    keeper = None if folder is None else partial(keep_space, folder, how, max(seqs.values(), default=0), ids, matrix)
    found, radii = nearest_pairs(ids, matrix, threshold, keep_space=keeper)
    del keeper
    listed = {(min(a, b), max(a, b)): cosine for a, b, cosine in found}
    colour_found = colour_pairs(catalogue, ids, matrix)  # (a < b): crops whose vectors moved
    del matrix  # 256 MB at 100k photos
    for a, b, cosine in colour_found:
        listed.setdefault((a, b), cosine)
    by_colour = frozenset((a, b) for a, b, _ in colour_found)
    pairs = [(a, b, cosine) for (a, b), cosine in listed.items()]
    kept = {(v.a, v.b): v for v in verdicts_of(catalogue)}
    if keep:
        wanted = {(a, b) for a, b, _ in pairs}
        with catalogue.transaction("neighbours searched"):
            forget_pairs(catalogue, [pair for pair in kept if pair not in wanted])
            record_searched(catalogue, how, {pid: Searched(seqs[pid], radius) for pid, radius in radii.items()
                                             if pid in seqs}, replace_all=True)
    return Candidates(pairs, kept, searched=len(ids), by_colour=by_colour)


def _incremental(catalogue: Catalogue, model_id: str, threshold: float, how: str, new: dict[int, int],
                 index_for: IndexFor, keep: bool, settle: bool) -> Candidates:
    vectors = catalogue.vectors_of(sorted(new), model_id, FEATURES)
    dims = next(iter(vectors.values())).shape[0] if vectors else 0
    space = load_space(index_for(dims).folder, how) if dims else None
    if space is not None:
        try:
            found, radii = _nearest_in_space(catalogue, model_id, how, space, vectors)
        finally:
            space.close()
        radii = {pid: searched for pid, searched in radii.items() if pid not in new}
    else:
        found = {pid: _nearest_in_index(catalogue, index_for, pid, vectors[pid]) for pid in vectors}
        radii = searched_photos(catalogue, how, {other for hits in found.values() for other, _ in hits} - set(new))
    pairs: dict[Pair, float] = {}
    recorded: dict[int, Searched] = {}
    for pid, hits in found.items():
        recorded[pid] = Searched(new[pid], hits[NEAREST - 1][1] if len(hits) >= NEAREST else -1.0)
        for rank, (other, cosine) in enumerate(hits):
            theirs = radii.get(other)
            among_theirs = theirs is not None and cosine >= theirs.radius  # it joins an old photo's nearest
            if cosine >= threshold and (rank < NEAREST or among_theirs):
                pairs[(min(pid, other), max(pid, other))] = cosine
    kept = {(v.a, v.b): v for v in verdicts_of(catalogue, new)}  # every candidate pair touches a new photo
    joined = {p for pair in pairs for p in pair} - set(new)
    counted = [(a, b, cosine) for a, b, cosine in pair_cosines(catalogue, joined) if a not in new and b not in new]
    if keep:
        with catalogue.transaction("neighbours searched"):
            forget_pairs(catalogue, [pair for pair in kept if pair not in pairs and (pair[0] in new or pair[1] in new)])
            record_searched(catalogue, how, recorded)
    return Candidates([(a, b, cosine) for (a, b), cosine in pairs.items()], kept,
                      settled_same(catalogue, checks_version(), new) if settle else {}, counted, len(recorded), True,
                      renewed=frozenset(new))


def _nearest_in_index(catalogue: Catalogue, index_for: IndexFor, pid: int,
                      vector: npt.NDArray[np.float32]) -> list[tuple[int, float]]:
    """A new photo's nearest through the library's image index (no kept space: a library
    searched exactly, or one opened read-only), on one thread: two shared the catalogue and
    ran no faster."""
    query = vector.astype(np.float32)
    hits = index_for(query.shape[0]).search(catalogue, query, NEAREST * _DEEP + 1, search_k=SEARCH_K)
    return [(other, cosine) for other, cosine in hits if other != pid]


def _nearest_in_space(catalogue: Catalogue, model_id: str, how: str, space: ReducedSpace,
                      vectors: dict[int, npt.NDArray[np.float32]]
                      ) -> tuple[dict[int, list[tuple[int, float]]], dict[int, Searched]]:
    """Each new photo's `NEAREST` x `_DEEP` nearest, best first: in the full pass's space (the
    photos still searched there for the vector it holds) and, exactly, among the vectors
    written since; and the search record of the photos found in the space. Matrix products
    run over all new photos at once: a thousand small ones took seconds on a busy machine."""
    later_ids, later = _written_since(catalogue, model_id, space.built_seq, space.matrix.shape[1])
    rows = {int(pid): row for row, pid in enumerate(later_ids.tolist())}
    depth = NEAREST * _DEEP
    pids = list(vectors)
    queries = np.stack([vectors[pid] for pid in pids]).astype(np.float32)
    queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    reduced = space.reduce(queries).tolist()
    hits = [space.index.get_nns_by_vector(r, depth + 1, search_k=SEARCH_K) for r in reduced]  # rows in the space
    current = searched_photos(catalogue, how, {int(space.ids[row]) for found in hits for row in found})
    scored: list[dict[int, float]] = []
    for n, pid in enumerate(pids):
        valid = [row for row in hits[n] if (other := int(space.ids[row])) != pid and other in current
                 and other not in rows]  # a photo gone or searched for another vector: not here
        cosines = np.einsum("ij,j->i", space.matrix[valid].astype(np.float32), queries[n]) if valid else []
        scored.append(dict(zip(space.ids[valid].tolist(), np.asarray(cosines).tolist(), strict=True)))
    for start in range(0, len(pids) if len(later_ids) else 0, 256):
        sims = later @ queries[start : start + 256].T  # written since x these new photos
        best = np.argsort(-sims, axis=0)[: depth + 1]
        for column in range(sims.shape[1]):
            pid = pids[start + column]
            scored[start + column].update((int(later_ids[row]), float(sims[row, column]))
                                          for row in best[:, column].tolist() if int(later_ids[row]) != pid)
    found_all = {pid: sorted(hits_of.items(), key=lambda hit: -hit[1])[:depth]
                 for pid, hits_of in zip(pids, scored, strict=True)}
    written_later = {other for found in found_all.values() for other, _ in found if other in rows}
    current.update(searched_photos(catalogue, how, written_later))  # photos searched incrementally before
    return found_all, current


def _written_since(catalogue: Catalogue, model_id: str, seq: int, dims: int
                   ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The photos whose image vector (of `dims`) was written after `seq`, and those vectors
    (L2-normalised rows)."""
    ids: list[int] = []
    rows: list[npt.NDArray[np.float32]] = []
    for _, photo_id, vector in catalogue.iter_vectors(model_id, FEATURES, seq):
        if vector.shape[0] != dims:
            continue
        ids.append(photo_id)
        rows.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    return np.asarray(ids, np.int64), np.vstack(rows).astype(np.float32)
