"""The faces step: after the image model, find the faces of every photo not yet read by the
current face reader, and store them with their descriptors.

It runs once the photos' vectors and indexes are stored, so the first searches never wait for
it. Photos are read with a small look-ahead on two worker processes (faces/workers.py: dlib
holds the GIL, so threads would not run side by side; threads when processes cannot start, and
for a few photos, where starting workers costs more than it saves) and stored `FACES_BATCH`
photos a transaction: a cancel or a crash loses one batch, and the next run reads only what
`faces_read` does not hold yet. A photo that cannot be decoded, or in which dlib fails, is
recorded with 0 faces and its reason logged, and never stops the run.

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
from concurrent.futures import Future
from dataclasses import dataclass, field

from ..faces.index import FaceIndex
from ..faces.matching import match_boxes
from ..faces.people import regroup, suggest
from ..faces.reader import STANDARD, FaceDetail
from ..faces.workers import FaceReaders, PhotoFaces
from ..photos.face_regions import FaceRegion
from ..storage.catalogue import Catalogue, prefix_range
from ..storage.face_rows import NewFace, photos_needing_faces, store_faces
from ..storage.people_rows import add_person, name_faces, named_faces_of
from ..types import IndexProgress
from .progress import progress_since

log = logging.getLogger(__name__)

PHASE = "finding faces"
FACES_BATCH = 16  # photos a transaction stores
WORKERS = 2  # the cores indexing is sized for
# Fewer photos than this are read in this process: spawning the workers and loading their models
# (1.5-4.5 s, measured on a busy 2-core machine) costs more than the second core saves.
PROCESSES_FROM = 48


@dataclass
class FacesReport:
    photos: int = 0  # photos read in this run
    faces: int = 0  # faces they held
    unreadable: int = 0  # photos recorded with no faces because they could not be read
    cancelled: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of the unreadable ones
    processes: bool = False  # whether worker processes read the photos (to the end)


def find_faces_step(
    catalogue: Catalogue,
    folders: Sequence[str],
    face_index: FaceIndex,
    cancel: threading.Event,
    threads: int | None = None,
    detail: FaceDetail = STANDARD,
    processes: bool | None = None,
) -> Generator[IndexProgress, None, FacesReport]:
    """Read the faces of the photos under `folders` (all photos when empty) that the current
    reader (at `detail`) has not read, yielding progress; rebuilds the face index when done. `threads` readers
    run side by side, in worker processes when `processes` (None: when there are enough photos)."""
    report = FacesReport()
    ranges = [prefix_range(os.path.abspath(folder)) for folder in folders]
    todo = photos_needing_faces(catalogue, detail.reader, ranges)
    if todo:
        workers = threads or min(WORKERS, os.cpu_count() or 1)
        use_processes = len(todo) >= PROCESSES_FROM if processes is None else processes
        readers = FaceReaders(workers, detail.long_side, use_processes, detail.upsample)
        try:
            yield from _read_all(catalogue, todo, cancel, readers, report, detail.reader)
        finally:  # also when the caller drops the generator: the workers stop with the step
            readers.close()
        report.processes = readers.processes
        with catalogue.transaction("faces"):
            suggest(catalogue)
            regroup(catalogue)
    if not report.cancelled and face_index.is_stale(catalogue):
        face_index.rebuild(catalogue)
    return report


def _read_all(catalogue: Catalogue, todo: list[tuple[int, str]], cancel: threading.Event, readers: FaceReaders,
              report: FacesReport, reader: int) -> Generator[IndexProgress, None, None]:
    total, start = len(todo), time.monotonic()
    yield IndexProgress(PHASE, 0, total)
    pending: deque[tuple[int, str, Future[PhotoFaces]]] = deque()
    queue = iter(todo)
    batch: list[tuple[int, str, PhotoFaces]] = []
    while True:
        while len(pending) < readers.workers * 2 and not cancel.is_set():
            item = next(queue, None)
            if item is None:
                break
            pending.append((item[0], item[1], readers.submit(item[1])))
        if not pending:
            break
        photo_id, path, future = pending.popleft()
        batch.append((photo_id, path, readers.result(path, future)))
        if len(batch) >= FACES_BATCH or not pending or cancel.is_set():
            _store(catalogue, batch, report, reader)
            batch = []
        done = report.photos + len(batch)
        yield progress_since(PHASE, done, total, start, path)
        if cancel.is_set():
            if batch:
                _store(catalogue, batch, report, reader)
            for _, _, waiting in pending:
                waiting.cancel()
            break
    report.cancelled = report.photos < total


def _store(catalogue: Catalogue, read: list[tuple[int, str, PhotoFaces]], report: FacesReport,
           reader: int) -> None:
    with catalogue.transaction("faces"):
        for photo_id, path, photo in read:
            found, regions = photo.faces, photo.regions
            if found is None:
                log.warning("No faces read from %s: %s", path, photo.problem)
                report.skipped.append((path, photo.problem))
            faces = [NewFace(f.box, f.score, f.landmarks, f.descriptor) for f in found or ()]
            named_before = named_faces_of(catalogue, photo_id)
            ids = store_faces(catalogue, photo_id, faces, reader)
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
