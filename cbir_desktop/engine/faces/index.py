"""The face index: every face's descriptor in one file, searched exactly (128 floats a face:
100k faces are 51 MB and a query is one matrix product), so it needs no Annoy.

Like the photo indexes (vectors/index.py) it is derived from the catalogue and recorded there
(`derived`: face count, highest face id, file size) only once written whole. A file that is
missing, unrecorded, damaged or behind the catalogue is never trusted: searches then read the
descriptors from the catalogue, and the next faces step (or heal) rebuilds it.
"""

from __future__ import annotations

import logging
import threading
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..files import replacing
from ..storage.catalogue import Catalogue
from ..storage.face_rows import DESCRIPTOR_DIM, face_descriptors, faces_state

log = logging.getLogger(__name__)

INDEX_FILE = "faces/descriptors.npz"
RECORD = "index/faces"  # its record in the catalogue's `derived`


class FaceIndex:
    """Nearest faces by descriptor distance, for one library."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / INDEX_FILE
        self.problem = ""  # why the file cannot be used, once checked
        self._lock = threading.Lock()
        self._loaded: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None = None
        self._stamp = (-1, -1)  # (face count, file mtime) of what `_loaded` holds

    def rebuild(self, catalogue: Catalogue) -> int:
        """Write the file from the catalogue, swap it in and record it; returns faces indexed."""
        ids, matrix = face_descriptors(catalogue)
        count, last = faces_state(catalogue)
        with self._lock:
            with replacing(self.path) as tmp:
                with tmp.open("wb") as handle:
                    np.savez(handle, ids=ids, descriptors=matrix)
                size = tmp.stat().st_size
            catalogue.record_derived(RECORD, last, {"count": count, "size": size})
            self._loaded, self.problem = (ids, matrix), ""
            self._stamp = (count, self.path.stat().st_mtime_ns)
        return count

    def is_stale(self, catalogue: Catalogue) -> bool:
        """True when the file is missing, damaged, unrecorded or does not cover every face."""
        return self._checked(catalogue) is None

    def nearest(self, catalogue: Catalogue, descriptor: npt.NDArray[np.float32], k: int = 10
                ) -> list[tuple[int, float]]:
        """The `k` faces closest to `descriptor`: (face id, Euclidean distance), nearest first."""
        found = self._checked(catalogue)
        ids, matrix = found if found is not None else face_descriptors(catalogue)
        if not len(ids):
            return []
        distances = np.linalg.norm(matrix - np.asarray(descriptor, dtype=np.float32)[None, :], axis=1)
        order = np.argsort(distances, kind="stable")[:k]
        return [(int(ids[i]), float(distances[i])) for i in order]

    def _checked(self, catalogue: Catalogue) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None:
        """The file's (ids, descriptors) when it checks out against the catalogue's record and
        faces; None (with `problem` said) otherwise."""
        with self._lock:
            record = catalogue.derived(RECORD)
            count, last = faces_state(catalogue)
            if record is None:
                self.problem = "it was never built" if not self.path.exists() else "it was not recorded as complete"
                return None
            built_last, meta = record
            if (int(str(meta.get("count", -1))), built_last) != (count, last):
                self.problem = "it is behind the catalogue"
                return None
            try:
                stat = self.path.stat()  # a file changed under us is read (and checked) again
                if stat.st_size != int(str(meta.get("size", -1))):
                    raise ValueError("its size differs from the record")
                if self._loaded is None or self._stamp != (count, stat.st_mtime_ns):
                    self._loaded, self._stamp = _read(self.path, count), (count, stat.st_mtime_ns)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                self.problem = f"{self.path} is damaged or missing ({exc})"
                log.warning("%s; reading faces from the catalogue until it is rebuilt", self.problem)
                self._loaded = None
                return None
            self.problem = ""
            return self._loaded


def _read(path: Path, count: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    with np.load(path, allow_pickle=False) as data:
        ids = np.asarray(data["ids"], dtype=np.int64)
        matrix = np.asarray(data["descriptors"], dtype=np.float32)
    if ids.shape != (count,) or matrix.shape != (count, DESCRIPTOR_DIM) or not np.isfinite(matrix).all():
        raise ValueError("its shape or values do not match the record")
    return ids, matrix
