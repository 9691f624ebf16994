"""Where the faces of photos are read: in worker processes, because dlib holds the GIL while it
detects and describes faces (two threads run little faster than one), or on threads in this
process when processes cannot start (a bundle without `freeze_support`, a locked-down system)
or a worker dies.

Workers are spawned (never forked: the caller holds SQLite connections and Qt threads), each
loads the models once (models.py keeps them per thread) and holds ~120 MB; they start on the
first photo and stop when `close` is called, the in-flight photos finishing first.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ..errors import ImageUnreadable
from ..photos.face_regions import FaceRegion, read_face_regions
from .detect import FoundFace
from .models import thread_models
from .reader import UPSAMPLE, read_faces

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhotoFaces:
    """What was read from one photo: its faces (None: not read, `problem` says why) and the face
    regions another tool named in its XMP."""

    faces: list[FoundFace] | None
    regions: list[FaceRegion] = field(default_factory=list)
    problem: str = ""


def read_photo_faces(path: str, long_side: int, upsample: int = UPSAMPLE) -> PhotoFaces:
    """The faces of one photo; never raises for a bad photo (run in a worker or a thread)."""
    try:
        found = read_faces(path, long_side, upsample)
    except ImageUnreadable as exc:
        return PhotoFaces(None, problem=exc.reason)
    except (MemoryError, RuntimeError) as exc:  # dlib's own errors are RuntimeErrors
        return PhotoFaces(None, problem=f"the face reader failed ({exc})")
    return PhotoFaces(found, read_face_regions(path) if found else [])


def _load_models() -> None:
    """A worker's first task: the models, so a missing one breaks the pool before any photo."""
    thread_models()


class FaceReaders:
    """A pool reading photos' faces: `workers` processes when `processes`, else threads; falls back
    to threads for good when the processes cannot start or die."""

    def __init__(self, workers: int, long_side: int, processes: bool, upsample: int = UPSAMPLE) -> None:
        self.workers = workers
        self.long_side = long_side
        self.upsample = upsample
        self.processes = processes
        self._pool: Executor | None = None

    def submit(self, path: str) -> Future[PhotoFaces]:
        try:  # a process pool starts its workers on the first photos
            return self._started().submit(read_photo_faces, path, self.long_side, self.upsample)
        except (OSError, BrokenProcessPool) as exc:
            if not self.processes:
                raise
            self._fall_back(exc)
            return self.submit(path)

    def result(self, path: str, future: Future[PhotoFaces]) -> PhotoFaces:
        """The future's answer; the photo is read again on a thread when the workers died."""
        try:
            return future.result()
        except BrokenProcessPool as exc:
            if self.processes:
                self._fall_back(exc)
            return self.submit(path).result()

    def _fall_back(self, problem: Exception) -> None:
        log.warning("Face workers cannot run (%s); reading faces in this process", problem)
        self.close()
        self.processes = False

    def close(self) -> None:
        """Stop the pool: photos not started are dropped, the ones being read finish."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _started(self) -> Executor:
        if self._pool is None:
            self._pool = self._start_processes() if self.processes else None
            if self._pool is None:
                self.processes = False
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="faces")
        return self._pool

    def _start_processes(self) -> Executor | None:
        try:
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_load_models)
        except (OSError, ValueError, NotImplementedError) as exc:
            log.warning("Face workers cannot start (%s); reading faces in this process", exc)
            return None
