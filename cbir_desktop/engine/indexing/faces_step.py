"""The faces step: after the image model, find the faces of every photo not yet read by the
current face reader, and store them with their descriptors.

It runs once the photos' vectors and indexes are stored, so the first searches never wait for
it. Photos are read on a small look-ahead of threads (decoding releases the GIL) and stored
`FACES_BATCH` photos a transaction: a cancel or a crash loses one batch, and the next run reads
only what `faces_read` does not hold yet. A photo that cannot be decoded, or in which dlib
fails, is recorded with 0 faces and never stops the run.

People: a face region another tool wrote in the photo's XMP (faces/matching.py: the detected face
it overlaps best) names that face ('xmp'); a region over no detected face is not a person here
(there is no face to search by) and stays in the sidecar, kept when the library writes it. A
photo read again (a new reader) keeps its named faces by the same overlap. Once faces arrived,
the unnamed ones are grouped again and the suggestions worked out again (faces/people.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ..errors import ImageUnreadable
from ..faces.detect import FoundFace
from ..faces.index import FaceIndex
from ..faces.matching import match_boxes
from ..faces.people import regroup, suggest
from ..faces.reader import DETECT_SIDE, READER_VERSION, read_faces
from ..photos.face_regions import FaceRegion, read_face_regions
from ..storage.catalogue import Catalogue, prefix_range
from ..storage.face_rows import NewFace, photos_needing_faces, store_faces
from ..storage.people_rows import add_person, name_faces, named_faces_of
from ..types import IndexProgress

log = logging.getLogger(__name__)

PHASE = "finding faces"
FACES_BATCH = 16  # photos a transaction stores


@dataclass
class FacesReport:
    photos: int = 0  # photos read in this run
    faces: int = 0  # faces they held
    unreadable: int = 0  # photos recorded with no faces because they could not be read
    cancelled: bool = False


def find_faces_step(
    catalogue: Catalogue,
    folders: Sequence[str],
    face_index: FaceIndex,
    cancel: threading.Event,
    threads: int | None = None,
    long_side: int = DETECT_SIDE,
) -> Generator[IndexProgress, None, FacesReport]:
    """Read the faces of the photos under `folders` (all photos when empty) that the current
    reader has not read, yielding progress; rebuilds the face index when done."""
    report = FacesReport()
    ranges = [prefix_range(os.path.abspath(folder)) for folder in folders]
    todo = photos_needing_faces(catalogue, READER_VERSION, ranges)
    if todo:
        yield from _read_all(catalogue, todo, cancel, threads or min(2, os.cpu_count() or 1), long_side, report)
        with catalogue.transaction("faces"):
            suggest(catalogue)
            regroup(catalogue)
    if not report.cancelled and face_index.is_stale(catalogue):
        face_index.rebuild(catalogue)
    return report


def _read_all(catalogue: Catalogue, todo: list[tuple[int, str]], cancel: threading.Event, threads: int,
              long_side: int, report: FacesReport) -> Generator[IndexProgress, None, None]:
    total, start = len(todo), time.monotonic()
    yield IndexProgress(PHASE, 0, total)

    def read(path: str) -> _Read:
        try:
            found: list[FoundFace] | None = read_faces(path, long_side)
        except ImageUnreadable:
            return None, []
        except (MemoryError, RuntimeError) as exc:  # dlib's own errors are RuntimeErrors
            log.warning("No faces read from %s: %s", path, exc)
            return None, []
        return found, read_face_regions(path) if found else []

    with ThreadPoolExecutor(threads, thread_name_prefix="faces") as pool:
        pending: deque[tuple[int, str, Future[_Read]]] = deque()
        queue = iter(todo)
        batch: list[tuple[int, str, _Read]] = []
        while True:
            while len(pending) < threads * 2 and not cancel.is_set():
                item = next(queue, None)
                if item is None:
                    break
                pending.append((item[0], item[1], pool.submit(read, item[1])))
            if not pending:
                break
            photo_id, path, future = pending.popleft()
            batch.append((photo_id, path, future.result()))
            if len(batch) >= FACES_BATCH or not pending or cancel.is_set():
                _store(catalogue, batch, report)
                batch = []
            done = report.photos + len(batch)
            elapsed = time.monotonic() - start
            rate = done / elapsed if elapsed > 0 else 0.0
            eta = (total - done) / rate if rate > 0 else None
            yield IndexProgress(PHASE, done, total, rate, eta, path)
            if cancel.is_set():
                if batch:
                    _store(catalogue, batch, report)
                for _, _, waiting in pending:
                    waiting.cancel()
                break
    report.cancelled = report.photos < total


_Read = tuple[list[FoundFace] | None, list[FaceRegion]]  # faces (None: unreadable), the file's named regions


def _store(catalogue: Catalogue, read: list[tuple[int, str, _Read]], report: FacesReport) -> None:
    with catalogue.transaction("faces"):
        for photo_id, _, (found, regions) in read:
            faces = [NewFace(f.box, f.score, f.landmarks, f.descriptor) for f in found or ()]
            named_before = named_faces_of(catalogue, photo_id)
            ids = store_faces(catalogue, photo_id, faces, READER_VERSION)
            _keep_names(catalogue, [f.box for f in faces], ids, named_before, regions)
            report.photos += 1
            report.faces += len(faces)
            report.unreadable += found is None


def _keep_names(catalogue: Catalogue, boxes: list[tuple[float, float, float, float]], ids: list[int],
                before: list[tuple[tuple[float, float, float, float], int, str]], regions: list[FaceRegion]) -> None:
    """Name the photo's new faces as they were named before it was read again, else as its XMP
    face regions name them."""
    taken: set[int] = set()
    for b, f in match_boxes(boxes, [box for box, _, _ in before]).items():
        name_faces(catalogue, [ids[f]], before[b][1], before[b][2])
        taken.add(f)
    free = [f for f in range(len(ids)) if f not in taken]
    for r, f in match_boxes([boxes[f] for f in free], [region.box for region in regions]).items():
        name_faces(catalogue, [ids[free[f]]], add_person(catalogue, regions[r].name), "xmp")
