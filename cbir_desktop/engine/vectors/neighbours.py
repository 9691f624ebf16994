"""The neighbour graph of a model's features and the augmented vectors built from it.

Database-side augmentation (DBA): each photo's searched vector is the mean of its own
features and those of its `GRAPH_K` nearest photos, weighted by similarity^`ALPHA`, so a
class's photos pull together (Caltech-101, Lite0: image mAP 0.78 -> 0.87 with query
expansion, bench/quality.py). The lists live in the catalogue's `neighbours` table and
the augmented vectors as the vector kind `AUGMENTED`, per model, so they survive restarts.

An update touches only what changed: photos with features but no augmented vector (new
or re-embedded ones) get their nearest found; a photo that now comes closer than another's
farthest neighbour enters that list; a photo whose list names a photo that is gone or
re-embedded has its list found again. Every photo whose list changed gets a new
augmented vector. The result equals a full build (`rebuild_neighbours`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..storage.catalogue import FEATURES, Catalogue

AUGMENTED = "augmented"  # kind of vector: features averaged with their nearest photos'
GRAPH_K = 10
ALPHA = 3.0
SETTING = "image_expansion"  # "off": no augmentation, no query expansion, for a library
CHUNK = 4096  # catalogue vectors compared per step, with QUERY_BLOCK photos searched at a
QUERY_BLOCK = 2048  # time: 32 MB of similarities, whatever the library's size

Lists = dict[int, list[tuple[int, float]]]


def augment(own: npt.NDArray[np.float32], neighbours: npt.NDArray[np.float32],
            similarities: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A unit vector: `own` plus its neighbours weighted by similarity^ALPHA."""
    weights = np.clip(similarities, 0.0, None) ** ALPHA
    mixed = own / max(float(np.linalg.norm(own)), 1e-12) + weights @ _unit_rows(neighbours)
    result: npt.NDArray[np.float32] = (mixed / max(float(np.linalg.norm(mixed)), 1e-12)).astype(np.float32)
    return result


def update_neighbours(catalogue: Catalogue, model_id: str) -> int:
    """Bring the graph and augmented vectors of `model_id` up to its features; returns the
    number of photos whose augmented vector was written (0: nothing had changed)."""
    fresh = set(catalogue.photos_missing_kind(model_id, AUGMENTED)) | _without_list(catalogue, model_id)
    if not fresh and not _any_neighbour_gone(catalogue, model_id):
        return 0  # a rescan that changed nothing reads no lists
    lists = _read_lists(catalogue, model_id)
    with_features = set(catalogue.photo_ids_with_vectors(model_id))
    for photo_id in [p for p in lists if p not in with_features]:
        del lists[photo_id]
    broken = {p for p, items in lists.items() if any(n in fresh or n not in with_features for n, _ in items)}
    if not fresh and not broken:
        return 0
    searched = fresh | broken
    found, gained = _search(catalogue, model_id, sorted(searched), sorted(fresh), lists)
    changed = searched | gained
    for photo_id in searched:
        lists[photo_id] = found[photo_id]
    _write(catalogue, model_id, {p: lists[p] for p in changed})
    return len(changed)


def expansion_on(catalogue: Catalogue) -> bool:
    """Whether this library augments and expands image searches (on unless turned off)."""
    return catalogue.get_setting(SETTING, "on") != "off"


def rebuild_neighbours(catalogue: Catalogue, model_id: str) -> int:
    """Forget the graph and augmented vectors of `model_id` and build them again whole."""
    with catalogue.transaction("neighbours"):
        catalogue.db.execute("DELETE FROM neighbours WHERE model_id = ?", (model_id,))
        catalogue.delete_kind(model_id, AUGMENTED)
    return update_neighbours(catalogue, model_id)


def neighbour_lists(catalogue: Catalogue, model_id: str) -> Lists:
    """Every stored list of `model_id`: photo -> [(neighbour, similarity)], nearest first."""
    return _read_lists(catalogue, model_id)


def _search(catalogue: Catalogue, model_id: str, searched: list[int], fresh: list[int],
            lists: Lists) -> tuple[Lists, set[int]]:
    """One pass over every feature vector: the nearest of each `searched` photo, and the
    unsearched photos a `fresh` one now belongs to the nearest of (their lists merged here)."""
    queries = _unit_rows(_stack(catalogue.vectors_of(searched, model_id, FEATURES), searched))
    fresh_rows = np.searchsorted(np.asarray(searched), np.asarray(fresh, dtype=np.int64))
    searched_set = set(searched)
    searched_ids = np.asarray(searched, dtype=np.int64)
    best_sims = np.full((len(searched), GRAPH_K), -np.inf, np.float32)
    best_ids = np.full((len(searched), GRAPH_K), -1, np.int64)
    gained: set[int] = set()
    ids: list[int] = []
    rows: list[npt.NDArray[np.float32]] = []

    def step() -> None:
        chunk_ids = np.asarray(ids, dtype=np.int64)
        chunk = _unit_rows(np.stack(rows))
        for start in range(0, len(searched), QUERY_BLOCK):
            block = slice(start, start + QUERY_BLOCK)
            sims = queries[block] @ chunk.T
            sims[searched_ids[block][:, None] == chunk_ids[None, :]] = -np.inf  # never oneself
            _merge(best_sims[block], best_ids[block], sims, chunk_ids)
        others = [i for i, photo_id in enumerate(ids) if photo_id not in searched_set]
        if len(fresh) and others:  # fresh photos are searched, so these never compare one with itself
            _gain(lists, gained, [ids[i] for i in others], queries[fresh_rows] @ chunk[others].T, fresh)
        ids.clear()
        rows.clear()

    for _, photo_id, vector in catalogue.iter_vectors(model_id, FEATURES):
        ids.append(photo_id)
        rows.append(vector)
        if len(ids) >= CHUNK:
            step()
    if ids:
        step()
    found = {photo_id: [(int(n), float(s)) for n, s in zip(best_ids[i], best_sims[i], strict=True) if n >= 0]
             for i, photo_id in enumerate(searched)}
    return found, gained


def _gain(lists: Lists, gained: set[int], ids: list[int], fresh_sims: npt.NDArray[np.float32],
          fresh: list[int]) -> None:
    """Merge fresh photos into the lists of the unsearched photos `ids` they now belong to
    (a full build searches every photo: nothing to merge, no second product computed)."""
    farthest = np.array([_farthest(lists.get(p, [])) for p in ids], np.float32)
    for column in np.nonzero((fresh_sims > farthest[None, :]).any(axis=0))[0]:
        photo_id = ids[int(column)]
        top = np.argsort(-fresh_sims[:, column], kind="stable")[:GRAPH_K]
        candidates = [(fresh[int(i)], float(fresh_sims[i, column])) for i in top]
        lists[photo_id] = _nearest(lists.get(photo_id, []) + candidates)
        gained.add(photo_id)


def _farthest(items: list[tuple[int, float]]) -> float:
    """The similarity a photo must beat to enter this list."""
    return -np.inf if len(items) < GRAPH_K else min(s for _, s in items)


def _merge(best_sims: npt.NDArray[np.float32], best_ids: npt.NDArray[np.int64],
           sims: npt.NDArray[np.float32], chunk_ids: npt.NDArray[np.int64]) -> None:
    """Keep each row's GRAPH_K highest similarities of the old best and this chunk, in place."""
    all_sims = np.concatenate([best_sims, sims], axis=1)
    all_ids = np.concatenate([best_ids, np.broadcast_to(chunk_ids, sims.shape)], axis=1)
    top = np.argpartition(-all_sims, GRAPH_K - 1, axis=1)[:, :GRAPH_K]  # best has GRAPH_K columns: more than K
    order = np.take_along_axis(top, np.argsort(-np.take_along_axis(all_sims, top, axis=1), axis=1, kind="stable"),
                               axis=1)
    best_sims[:] = np.take_along_axis(all_sims, order, axis=1)
    best_ids[:] = np.take_along_axis(all_ids, order, axis=1)
    best_ids[~np.isfinite(best_sims)] = -1


def _nearest(items: list[tuple[int, float]]) -> list[tuple[int, float]]:
    return sorted(items, key=lambda item: (-item[1], item[0]))[:GRAPH_K]


def _write(catalogue: Catalogue, model_id: str, changed: Lists) -> None:
    """Store the changed lists and their photos' augmented vectors in one transaction."""
    wanted = sorted(set(changed) | {n for items in changed.values() for n, _ in items})
    features = catalogue.vectors_of(wanted, model_id, FEATURES)
    augmented: dict[int, npt.NDArray[np.float32]] = {}
    for photo_id, items in changed.items():
        items = [(n, s) for n, s in items if n in features]
        if photo_id not in features:
            continue
        neighbours = _stack(features, [n for n, _ in items]) if items else np.zeros((0, features[photo_id].shape[0]),
                                                                                   np.float32)
        augmented[photo_id] = augment(features[photo_id], neighbours, np.array([s for _, s in items], np.float32))
    with catalogue.transaction("neighbours"):
        catalogue.db.executemany("DELETE FROM neighbours WHERE model_id = ? AND photo_id = ?",
                                 [(model_id, p) for p in changed])
        catalogue.db.executemany(
            "INSERT INTO neighbours(model_id, photo_id, neighbour_id, similarity) VALUES (?, ?, ?, ?)",
            [(model_id, p, n, s) for p, items in changed.items() if p in augmented for n, s in items])
        catalogue.store_kind(model_id, AUGMENTED, augmented)


def _read_lists(catalogue: Catalogue, model_id: str) -> Lists:
    lists: Lists = {}
    for photo_id, neighbour_id, similarity in catalogue.db.execute(
            "SELECT photo_id, neighbour_id, similarity FROM neighbours WHERE model_id = ?", (model_id,)):
        lists.setdefault(photo_id, []).append((neighbour_id, similarity))
    return {p: _nearest(items) for p, items in lists.items()}


def _without_list(catalogue: Catalogue, model_id: str) -> set[int]:
    """Photos with an augmented vector but no stored list (a catalogue that lost its table):
    found again like new ones, so no list is ever merged into from nothing."""
    if catalogue.count_vectors(model_id, AUGMENTED) < 2:
        return set()  # a lone photo has no neighbours to list
    return {int(r[0]) for r in catalogue.db.execute(
        "SELECT v.photo_id FROM vectors v WHERE v.model_id = ? AND v.kind = ? AND NOT EXISTS "
        "(SELECT 1 FROM neighbours n WHERE n.model_id = v.model_id AND n.photo_id = v.photo_id)",
        (model_id, AUGMENTED))}


def _any_neighbour_gone(catalogue: Catalogue, model_id: str) -> bool:
    """Whether a list names a photo without an augmented vector (removed or re-embedded)."""
    return catalogue.db.execute(
        "SELECT 1 FROM neighbours n WHERE n.model_id = ? AND NOT EXISTS (SELECT 1 FROM vectors v "
        "WHERE v.photo_id = n.neighbour_id AND v.model_id = n.model_id AND v.kind = ?) LIMIT 1",
        (model_id, AUGMENTED)).fetchone() is not None


def _stack(vectors: dict[int, npt.NDArray[np.float32]], ids: list[int]) -> npt.NDArray[np.float32]:
    if not ids:
        return np.zeros((0, 1), np.float32)
    return np.stack([vectors[i] for i in ids]).astype(np.float32)


def _unit_rows(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True) if matrix.size else np.ones((matrix.shape[0], 1))
    result: npt.NDArray[np.float32] = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return result
