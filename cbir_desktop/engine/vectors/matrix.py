"""One kind of vector for every photo, held in memory to score a filter's photos exactly.

A search narrowed by a filter (a place, a year, a camera) must rank every photo the
filter allows, however few: Annoy answers only for the whole library, and fetching
enough of it to cover a 10% filter cost 41 ms and missed one in ten of the true top 10
(bench/filtered.py). Scoring the filter's rows of a float32 matrix is exact and quick:
100,000 300-d word vectors (120 MB) score in 0.2 ms for 1% of them (gathered rows) to
3-4 ms for all (one product, then the filter's scores picked). float16 would halve the
memory but converting rows costs 25-50 ms at 50-100%, so the matrix is float32 and only
kept while it fits `budget` bytes (callers fall back to the index beyond it).

The matrix follows the catalogue: vectors written after it was read (a higher `seq`)
are added or replace their photo's row on the next search; when the catalogue holds
fewer vectors than the matrix (photos removed), it is read again whole.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from ..storage.catalogue import Catalogue

__all__ = ["VectorMatrix", "as_id_array"]

Ids = npt.NDArray[np.int64]
# A filter keeping less than this share of the photos gathers its rows before the product;
# a broader one multiplies the whole matrix (cheaper than copying most of it).
GATHER_BELOW = 0.2


class VectorMatrix:
    """Every vector of one (model, kind), rows by photo, read lazily and kept current."""

    def __init__(self, model_id: str, kind: str, dim: int, budget: int) -> None:
        self.model_id, self.kind, self.dim, self.budget = model_id, kind, dim, budget
        self._seq = 0
        self._ids: Ids = np.zeros(0, np.int64)  # row -> photo id
        self._rows: Ids = np.zeros(0, np.int64)  # photo id -> row, or -1
        self._matrix: npt.NDArray[np.float32] = np.zeros((0, dim), np.float32)
        self._fits = False  # whether the vectors fit the budget, as of the last look
        self._looked: set[tuple[int, int, int]] = set()  # (connection, its change marker) since then
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return int(self._matrix.nbytes + self._rows.nbytes + self._ids.nbytes)

    def current(self, catalogue: Catalogue) -> bool:
        """Bring the matrix up to the catalogue; False when its vectors do not fit the budget.
        Costs microseconds when nothing was written since this connection last looked."""
        marker = (id(catalogue), *catalogue.change_marker())
        with self._lock:
            if marker in self._looked:
                return self._fits
            latest = catalogue.max_seq(self.model_id, self.kind)
            count = catalogue.count_vectors(self.model_id, self.kind)
            if count * self.dim * 4 > self.budget:
                self._clear()
                self._fits = False
            elif latest != self._seq or count != len(self._ids) or not self._fits:
                if latest < self._seq or count < len(self._ids) or not self._fits:
                    self._clear()  # vectors were removed: read again whole
                self._read_after(catalogue)
                if len(self._ids) > count:  # removed and added since the last look
                    self._clear()
                    self._read_after(catalogue)
                self._fits = True
            else:
                self._looked.add(marker)  # nothing changed: another connection's first look
                return self._fits
            self._looked = {marker}
            return self._fits

    def best(self, query: npt.NDArray[np.float32], within: Ids, k: int) -> list[tuple[int, float]]:
        """The k photos of `within` most like the (unit) query, best first, exactly; photos
        without a vector are left out. Call `current` first."""
        with self._lock:
            ids, rows, matrix = self._ids, self._rows, self._matrix
        within = within[(within >= 0) & (within < len(rows))]
        picked = rows[within]
        picked = picked[picked >= 0]
        if not picked.size:
            return []
        if picked.size < GATHER_BELOW * len(ids):
            scores = matrix[picked] @ query
        else:
            scores = (matrix @ query)[picked]
        top = min(k, picked.size)
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.lexsort((ids[picked[best]], -scores[best]))]  # by score, ties by photo id
        return [(int(ids[picked[i]]), float(scores[i])) for i in best]

    def vectors_of(self, photo_ids: Ids) -> dict[int, npt.NDArray[np.float32]]:
        """The held vectors of these photos (absent: none held). Call `current` first."""
        with self._lock:
            rows, matrix = self._rows, self._matrix
        found: dict[int, npt.NDArray[np.float32]] = {}
        for pid in photo_ids.tolist():
            row = int(rows[pid]) if 0 <= pid < len(rows) else -1
            if row >= 0:
                found[pid] = matrix[row]
        return found

    def _clear(self) -> None:
        self._seq = 0
        self._ids = np.zeros(0, np.int64)
        self._rows = np.zeros(0, np.int64)
        self._matrix = np.zeros((0, self.dim), np.float32)

    def _read_after(self, catalogue: Catalogue) -> None:
        """Add the vectors written after `_seq`, replacing rows of photos that had one."""
        last, new_ids, new_rows = self._seq, [], []
        replaced: dict[int, npt.NDArray[np.float32]] = {}
        known = self._rows
        for seq, photo_id, vector in catalogue.iter_vectors(self.model_id, self.kind, self._seq):
            last = seq
            if vector.shape[0] != self.dim:
                continue
            if photo_id < len(known) and known[photo_id] >= 0:
                replaced[photo_id] = vector
            else:
                new_ids.append(photo_id)
                new_rows.append(vector)
        if new_ids:  # a photo re-embedded twice since the last read keeps its newest vector
            order = {pid: i for i, pid in enumerate(new_ids)}
            ids = np.fromiter(order, np.int64, len(order))
            block = np.vstack([new_rows[i] for i in order.values()])
            self._matrix = np.vstack([self._matrix, block]) if len(self._ids) else block
            self._ids = np.concatenate([self._ids, ids])
            rows = np.full(int(self._ids.max()) + 1, -1, np.int64)
            rows[self._ids] = np.arange(len(self._ids))
            self._rows = rows
        for photo_id, vector in replaced.items():
            self._matrix[self._rows[photo_id]] = vector
        self._seq = max(last, self._seq)


def as_id_array(ids: object) -> Ids:
    """Photo ids as an int64 array (from a set, a list or an array)."""
    if isinstance(ids, np.ndarray):
        return ids.astype(np.int64, copy=False)
    if isinstance(ids, (set, frozenset)):
        return np.fromiter(ids, np.int64, len(ids))
    return np.asarray(list(ids), dtype=np.int64)  # type: ignore[call-overload]
