"""The faces step on worker processes (dlib holds the GIL, so the step reads photos in spawned
processes): the same faces as in this process, a cancel mid-step resumes, a photo that cannot
be decoded in a worker is skipped with its reason, and where processes cannot start the photos
are read in this process."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
from collections.abc import Generator
from multiprocessing import spawn
from pathlib import Path

import numpy as np
from test_faces import lfw_photos

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.faces.reader import READER_VERSION
from cbir_desktop.engine.indexing.faces_step import FacesReport, find_faces_step
from cbir_desktop.engine.storage.face_rows import count_faces_read, face_descriptors, faces_of
from cbir_desktop.engine.types import IndexProgress

GROUPS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_groups"


def face_photos(folder: Path) -> list[Path]:
    """Four LFW crops and two group photos (several faces each) under plain names."""
    photos = lfw_photos(folder, 4)
    for name in ("two_people.jpg", "kit_with_rose.jpg"):
        photos.append(Path(shutil.copy(GROUPS / name, folder / f"group_{name}")))
    return photos


def run_step(library: Library, folder: Path, processes: bool,
             cancel: threading.Event | None = None) -> Generator[IndexProgress, None, FacesReport]:
    return find_faces_step(library.catalogue, [str(folder)], library._handles.face_index(),
                           cancel or threading.Event(), processes=processes)


def finish(step: Generator[IndexProgress, None, FacesReport]) -> FacesReport:
    while True:
        try:
            next(step)
        except StopIteration as stop:
            return stop.value


def stored_faces(library: Library) -> dict[str, list[tuple[tuple[float, ...], np.ndarray]]]:
    paths = dict(library.catalogue.photo_paths())
    found = faces_of(library.catalogue, list(paths))
    ids, matrix = face_descriptors(library.catalogue)
    descriptor = {int(face_id): row for face_id, row in zip(ids, matrix, strict=True)}
    return {Path(paths[photo_id]).name: [(tuple(face.box), descriptor[face.id]) for face in faces]
            for photo_id, faces in found.items()}


def test_worker_processes_find_the_faces_this_process_finds(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    face_photos(photos)
    results = {}
    for processes in (False, True):
        with open_library(tmp_path / f"library_{processes}") as library:
            library.index([photos], faces=False)
            report = finish(run_step(library, photos, processes))
            assert report.photos == 6 and report.processes is processes and not report.skipped
            results[processes] = stored_faces(library)
    threads, workers = results[False], results[True]
    assert threads.keys() == workers.keys() and len(threads) == 6
    assert len(threads["group_two_people.jpg"]) >= 2 and len(threads["group_kit_with_rose.jpg"]) >= 2
    for name, faces in threads.items():
        assert len(workers[name]) == len(faces), name
        for (box, descriptor), (worker_box, worker_descriptor) in zip(faces, workers[name], strict=True):
            assert np.allclose(box, worker_box, atol=1e-6) and np.allclose(descriptor, worker_descriptor, atol=1e-5)


def test_a_faces_step_cancelled_on_workers_resumes_with_the_photos_it_had_not_read(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    lfw_photos(photos, 10)
    cancel = threading.Event()
    with open_library(tmp_path / "library") as library:
        library.index([photos], faces=False)
        step = run_step(library, photos, True, cancel)
        for progress in step:
            if progress.done >= 2:
                cancel.set()
        read_first, _ = count_faces_read(library.catalogue, READER_VERSION)
        assert 2 <= read_first < 10
        report = finish(run_step(library, photos, True))
        assert report.photos == 10 - read_first and not report.cancelled and report.processes
        read, faces = count_faces_read(library.catalogue, READER_VERSION)
        assert read == 10 and faces >= 10


def test_a_photo_a_worker_cannot_decode_is_skipped_with_its_reason(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    paths = lfw_photos(photos, 3)
    with open_library(tmp_path / "library") as library:
        library.index([photos], faces=False)
        paths[1].write_bytes(paths[1].read_bytes()[:600])  # cut short after it was indexed
        report = finish(run_step(library, photos, True))
        assert report.processes and report.photos == 3 and report.unreadable == 1
        assert [(Path(path).name, bool(reason)) for path, reason in report.skipped] == [(paths[1].name, True)]
        assert "truncated" in report.skipped[0][1] or "damaged" in report.skipped[0][1]
        assert library.faces(paths[0]) and library.faces(paths[2])
        assert count_faces_read(library.catalogue, READER_VERSION)[0] == 3  # not read again next run


def test_where_worker_processes_cannot_start_the_photos_are_read_in_this_process(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    lfw_photos(photos, 3)
    with open_library(tmp_path / "library") as library:
        library.index([photos], faces=False)
        python = spawn.get_executable()
        multiprocessing.set_executable(str(tmp_path / "no-python-here"))  # as a locked-down system would
        try:
            report = finish(run_step(library, photos, True))
        finally:
            multiprocessing.set_executable(os.fspath(python))
        assert not report.processes and report.photos == 3 and report.faces >= 3 and not report.skipped
