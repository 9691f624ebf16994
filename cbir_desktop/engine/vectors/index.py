"""Approximate nearest-neighbour search with Annoy, kept honest by the catalogue.

Annoy cannot add items after `build()`, so the index file covers the vectors up
to a catalogue `seq` (`built_seq`); vectors written since then (the remainder)
are searched exactly in memory, so a new photo is searchable at once. Hits whose
vector changed or vanished since the build are dropped. The file is rebuilt into
a temporary file, swapped in (`files.replacing`), and only then recorded in the
catalogue (`derived`: built_seq, size, item count). Before Annoy maps a file, its
size must match that record and its structure must check out (`annoy_file`), so a
damaged file never crashes the process. A missing, unrecorded, stale or damaged
file is never rebuilt by a search: the search answers exactly from the catalogue
and the next indexing run (or heal) rebuilds it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from annoy import AnnoyIndex

from ..files import replacing
from ..storage.catalogue import Catalogue
from .annoy_file import check_annoy_file
from .matrix import VectorMatrix, as_id_array

log = logging.getLogger(__name__)

N_TREES = 16
# Nodes inspected per query: recall@10 ~0.99 on 8.7k real Lite0 vectors at 5000.
MIN_SEARCH_K = 5000
# Below this many vectors, exact search is as fast as Annoy and always right. The
# crash-safety tests lower it (CBIR_ANNOY_MIN_ITEMS) so a tiny library has Annoy files.
EXACT_BELOW = int(os.environ.get("CBIR_ANNOY_MIN_ITEMS", "3000"))
# A filtered search scores every photo of the filter exactly from the vectors held in
# memory (matrix.py) while they fit MATRIX_BUDGET bytes (100k 300-d word vectors: 120 MB).
# Beyond it, it compares every photo of the filter read from the catalogue when there are
# at most EXACT_WITHIN of them; more go through the index, fetching OVER_FETCH times what
# the filter's share of the library suggests, and twice that again until k are found.
MATRIX_BUDGET = int(os.environ.get("CBIR_MATRIX_BUDGET_MB", "160")) * 2**20
EXACT_WITHIN = 2_000
OVER_FETCH = 2.0


@dataclass
class _Remainder:
    seq: int
    ids: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.float32]


class VectorIndex:
    """The Annoy index of one (model, kind) pair of a library."""

    def __init__(self, folder: Path, model_id: str, kind: str, dim: int) -> None:
        self.folder = Path(folder) / _safe(model_id)
        self.model_id = model_id
        self.kind = kind
        self.dim = dim
        self.ann_path = self.folder / f"{kind}.ann"
        self.meta_path = self.folder / f"{kind}.json"
        self.name = f"index/{self.folder.name}/{kind}"  # its record in the catalogue's `derived`
        self.problem = ""  # why the file on disk cannot be used, once loaded
        self._annoy: AnnoyIndex | None = None
        self._built_seq = 0
        self._loaded = False
        self._remainder: _Remainder | None = None
        self._matrix = VectorMatrix(model_id, kind, dim, MATRIX_BUDGET)
        self._lock = threading.RLock()

    # -- building -------------------------------------------------------------
    def rebuild(self, catalogue: Catalogue, n_trees: int = N_TREES) -> int:
        """Build the file from the catalogue, swap it in and record it; returns items indexed."""
        built_seq = catalogue.max_seq(self.model_id, self.kind)
        index = AnnoyIndex(self.dim, "angular")
        count = 0
        for _, photo_id, vector in catalogue.iter_vectors(self.model_id, self.kind):
            if vector.shape[0] != self.dim:  # never mix dimensions (seed-system crash)
                continue
            index.add_item(photo_id, vector.tolist())  # a list: 30% faster than an array
            count += 1
        if count < EXACT_BELOW:  # the remainder's exact search covers everything
            count, built_seq = 0, 0
        if count:
            index.build(n_trees, n_jobs=-1)  # every core: 100k 300-d vectors in 2.8 s, not 5.4
        meta: dict[str, object] = {"count": count, "dim": self.dim, "n_trees": n_trees, "size": 0,
                                   "n_items": index.get_n_items() if count else 0}
        with self._lock:  # searches wait only for the save and the swap, not the build
            self._close()  # Windows cannot replace a memory-mapped file
            if count:
                with replacing(self.ann_path) as tmp:
                    index.save(str(tmp))
                    meta["size"] = tmp.stat().st_size
                index.unload()
            else:
                self.ann_path.unlink(missing_ok=True)
            self.meta_path.unlink(missing_ok=True)  # written by versions before the catalogue kept it
            catalogue.record_derived(self.name, built_seq, meta)
            self._loaded = False
        return count

    def is_stale(self, catalogue: Catalogue) -> bool:
        """True when the file is damaged or unrecorded, or a rebuild would cover vectors it lacks."""
        self._ensure_loaded(catalogue)
        if self.problem:
            return True
        unbuilt = catalogue.count_vectors(self.model_id, self.kind, self._built_seq)
        return unbuilt > 0 and (self._built_seq > 0 or unbuilt >= EXACT_BELOW)

    # -- searching --------------------------------------------------------------
    def search(
        self, catalogue: Catalogue, query: npt.NDArray[np.float32], k: int,
        search_k: int | None = None, within: Collection[int] | None = None,
    ) -> list[tuple[int, float]]:
        """Return up to k (photo_id, cosine) pairs, best first; only photos `within` when given
        (a filter's photos): exactly when they are few, else from the index with enough
        over-fetch that a narrow filter never returns fewer results than exist."""
        if query.shape[0] != self.dim:
            raise ValueError(f"query has {query.shape[0]} dims, index {self.model_id} has {self.dim}")
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        if within is not None:
            if self._matrix.current(catalogue):
                return self._matrix.best(query.astype(np.float32, copy=False), as_id_array(within), k)
            within = set(as_id_array(within).tolist())  # Python ints: SQLite binds no numpy ones
            if len(within) <= EXACT_WITHIN:
                return self._exact_within(catalogue, query, k, within)
        with self._lock:
            self._ensure_loaded(catalogue)
            annoy, built_seq = self._annoy, self._built_seq
            remainder = self._load_remainder(catalogue, built_seq)
        allowed = None if within is None else (within if isinstance(within, (set, frozenset)) else set(within))
        scored: dict[int, float] = {}
        if annoy is not None:
            total = annoy.get_n_items()
            want = k + 16
            if allowed is not None:  # the filter keeps about len/total of what the index returns
                want = min(total, int(want * OVER_FETCH * total / max(len(allowed), 1)))
            while True:
                found = self._from_annoy(catalogue, annoy, built_seq, query, want, search_k, allowed)
                if allowed is None or len(found) >= k or want >= total:
                    break
                want = min(total, want * 2)
            scored.update(found)
        if remainder.ids.size:
            keep = np.ones(len(remainder.ids), bool) if allowed is None else np.fromiter(
                (int(pid) in allowed for pid in remainder.ids), bool, len(remainder.ids))
            sims = np.where(keep, remainder.matrix @ query, -np.inf)
            for i in np.argsort(-sims)[:k]:
                if keep[i]:
                    scored[int(remainder.ids[i])] = float(sims[i])
        return sorted(scored.items(), key=lambda item: -item[1])[:k]

    def _from_annoy(self, catalogue: Catalogue, annoy: AnnoyIndex, built_seq: int, query: npt.NDArray[np.float32],
                    want: int, search_k: int | None, allowed: Collection[int] | None) -> dict[int, float]:
        """The index's `want` nearest, less those whose vector changed since it was built (and
        those not `allowed`)."""
        ids, distances = annoy.get_nns_by_vector(
            query.tolist(), want, search_k=search_k or max(MIN_SEARCH_K, want * N_TREES), include_distances=True,
        )
        if allowed is not None:
            kept = [(pid, d) for pid, d in zip(ids, distances, strict=True) if pid in allowed]
            ids, distances = [pid for pid, _ in kept], [d for _, d in kept]
        current = catalogue.seqs_of(self.model_id, self.kind, ids)
        scored: dict[int, float] = {}
        for photo_id, distance in zip(ids, distances, strict=True):
            seq = current.get(photo_id)
            if seq is not None and seq <= built_seq:  # still the vector we indexed
                scored[photo_id] = 1.0 - distance * distance / 2.0
        return scored

    def _exact_within(self, catalogue: Catalogue, query: npt.NDArray[np.float32], k: int,
                      within: Collection[int]) -> list[tuple[int, float]]:
        """Every one of a few photos compared with the query: exact, and fast when they are few."""
        vectors = catalogue.vectors_of(list(within), self.model_id, self.kind)
        ids = [pid for pid, vector in vectors.items() if vector.shape[0] == self.dim]
        if not ids:
            return []
        sims = np.stack([vectors[pid] for pid in ids]) @ query
        order = np.argsort(-sims, kind="stable")[:k]
        return [(ids[i], float(sims[i])) for i in order]

    def vectors_of(self, catalogue: Catalogue, photo_ids: Collection[int]) -> dict[int, npt.NDArray[np.float32]]:
        """These photos' vectors: from memory when a filtered search has them there, else
        from the catalogue."""
        if self._matrix.nbytes and self._matrix.current(catalogue):
            return self._matrix.vectors_of(as_id_array(photo_ids))
        return catalogue.vectors_of(list(photo_ids), self.model_id, self.kind)

    # -- internals ----------------------------------------------------------------
    def _ensure_loaded(self, catalogue: Catalogue) -> None:
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            self._annoy, self._built_seq, self.problem = None, 0, ""
            record = catalogue.derived(self.name)
            if record is None:  # never built, or a build that did not finish
                if self.ann_path.exists():
                    self.problem = f"{self.ann_path.name} was not recorded as complete"
                return
            built_seq, meta = record
            if not meta.get("count"):
                return
            try:
                index = self._checked_load(catalogue, built_seq, meta)
            except FileNotFoundError:
                self.problem = f"{self.ann_path} is missing"
                log.warning("%s; searching exactly until it is rebuilt", self.problem)
                return
            except (OSError, ValueError, KeyError, TypeError) as exc:
                # Searching never writes: the exact remainder answers meanwhile (every vector
                # is "not yet built"), `is_stale` says so, and the next indexing run rebuilds.
                self.problem = f"{self.ann_path} is damaged ({exc})"
                log.warning("%s; searching exactly until it is rebuilt", self.problem)
                return
            self._annoy, self._built_seq = index, built_seq

    def _checked_load(self, catalogue: Catalogue, built_seq: int, meta: dict[str, Any]) -> AnnoyIndex:
        """Map the file only after its size, structure and a few vectors check out."""
        if meta["dim"] != self.dim:
            raise ValueError(f"built for {meta['dim']} dimensions, not {self.dim}")
        if self.ann_path.stat().st_size != meta["size"]:
            raise ValueError("its size differs from the record")
        check_annoy_file(self.ann_path, self.dim, int(meta["n_items"]))
        index = AnnoyIndex(self.dim, "angular")
        index.load(str(self.ann_path))  # memory-mapped, so loading is instant
        if not self._spot_check(index, catalogue, built_seq):
            index.unload()
            raise ValueError("its vectors do not match the catalogue")
        return index

    def _spot_check(self, index: AnnoyIndex, catalogue: Catalogue, built_seq: int) -> bool:
        """Compare a few stored vectors with the catalogue: catches damaged vector bytes."""
        checked = 0
        for seq, photo_id, vector in catalogue.iter_vectors(self.model_id, self.kind):
            if checked >= 3 or seq > built_seq:
                break
            if photo_id >= index.get_n_items():
                return False
            stored = np.asarray(index.get_item_vector(photo_id), dtype=np.float32)
            if stored.shape != vector.shape or not np.allclose(stored, vector, atol=1e-4):
                return False
            checked += 1
        return True

    def _load_remainder(self, catalogue: Catalogue, built_seq: int) -> _Remainder:
        latest = catalogue.max_seq(self.model_id, self.kind)
        cached = self._remainder
        if cached is not None and cached.seq == latest:
            return cached
        after = built_seq if self._annoy is not None else 0
        ids: list[int] = []
        rows: list[npt.NDArray[np.float32]] = []
        for _, photo_id, vector in catalogue.iter_vectors(self.model_id, self.kind, after):
            if vector.shape[0] == self.dim:
                ids.append(photo_id)
                rows.append(vector)
        matrix = np.vstack(rows) if rows else np.zeros((0, self.dim), np.float32)
        self._remainder = _Remainder(latest, np.asarray(ids, dtype=np.int64), matrix)
        return self._remainder

    def _close(self) -> None:
        if self._annoy is not None:
            self._annoy.unload()
        self._annoy = None
        self._remainder = None

    def close(self) -> None:
        with self._lock:
            self._close()
            self._loaded = False
            self._matrix = VectorMatrix(self.model_id, self.kind, self.dim, MATRIX_BUDGET)


def _safe(model_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in model_id)
