"""The full pass's search space kept on disk (neighbours.py beyond `EXACT_UP_TO` photos), so
that an incremental update searches new photos the way the full pass searched everyone: in the
principal components' space (a 64-d Annoy query costs a fraction of the library index's
1,280-d one), each pair's cosine then taken from the full vectors (float16, memory-mapped).

Four files in the library's index folder for the model: the Annoy index over the reduced
vectors, the full vectors, and a record (the principal components' mean and basis, each row's
photo id, the catalogue `seq` the vectors go up to, and how the photos were searched) written
last, so a space cut short by an interruption is never used. Vectors written since (`seq`
beyond the record's) are not in it: the caller searches those exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from annoy import AnnoyIndex

from ..files import replacing

_ANNOY = "duplicates-reduced.ann"
_VECTORS = "duplicates-vectors.npy"
_RECORD = "duplicates-space.npz"


@dataclass
class ReducedSpace:
    """The full pass's space: rows (photo `ids`) in `index` (reduced) and `matrix` (full)."""

    mean: npt.NDArray[np.float32]
    basis: npt.NDArray[np.float32]
    index: AnnoyIndex
    ids: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.float16]
    built_seq: int

    def reduce(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """`vectors` (L2-normalised rows) in the principal components' space."""
        reduced: npt.NDArray[np.float32] = np.asarray((vectors - self.mean) @ self.basis, np.float32)
        return reduced

    def close(self) -> None:
        self.index.unload()


def forget_space(folder: Path) -> None:
    """Drop a kept space (a full pass that did not reduce, or one about to replace it)."""
    for name in (_RECORD, _ANNOY, _VECTORS):
        (folder / name).unlink(missing_ok=True)


def keep_space(folder: Path, searched_with: str, built_seq: int, ids: npt.NDArray[np.int64],
               matrix: npt.NDArray[np.floating], mean: npt.NDArray[np.float32], basis: npt.NDArray[np.float32],
               index: AnnoyIndex) -> None:
    """Write the space (the record last): `ids` and their full vectors (`matrix` rows),
    searched in the principal components (`mean`, `basis`) through the built `index`, unloaded
    once saved."""
    forget_space(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with replacing(folder / _VECTORS) as tmp, tmp.open("wb") as out:
        np.save(out, matrix.astype(np.float16, copy=False))
    with replacing(folder / _ANNOY) as tmp:
        index.save(str(tmp))
        index.unload()  # saving maps the file: Windows would not let it be renamed
    with replacing(folder / _RECORD) as tmp, tmp.open("wb") as out:
        np.savez(out, mean=mean, basis=basis, ids=ids, built_seq=np.int64(built_seq),
                 searched_with=np.str_(searched_with), rows=np.int64(len(ids)),
                 annoy_size=np.int64((folder / _ANNOY).stat().st_size))


def load_space(folder: Path, searched_with: str) -> ReducedSpace | None:
    """The kept space if it was made the way `searched_with` names and its files check out."""
    try:
        with np.load(folder / _RECORD) as record:
            if str(record["searched_with"]) != searched_with:
                return None
            mean, basis, ids = record["mean"], record["basis"], record["ids"]
            rows, built_seq, size = int(record["rows"]), int(record["built_seq"]), int(record["annoy_size"])
        matrix = np.load(folder / _VECTORS, mmap_mode="r")
        if len(ids) != rows or matrix.shape[0] != rows or (folder / _ANNOY).stat().st_size != size:
            return None
        index = AnnoyIndex(basis.shape[1], "angular")
        index.load(str(folder / _ANNOY))  # memory-mapped
        if index.get_n_items() != rows:
            index.unload()
            return None
    except (OSError, ValueError, KeyError):  # missing or damaged: the caller searches another way
        return None
    return ReducedSpace(mean.astype(np.float32), basis.astype(np.float32), index, ids.astype(np.int64), matrix,
                        built_seq)
