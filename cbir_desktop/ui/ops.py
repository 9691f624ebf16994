"""Every background operation the window starts, in one place.

Screens ask for an operation with callbacks; the engine is never called on the GUI
thread. Rule for the callables run here: no widget access inside them (a `QImage`
is fine off the GUI thread, a `QPixmap` or any widget is not).

Two ways to run work:

- `run_in_background`: one call, once (adding a folder, saving tag edits).
- `SerialOp`: one kind of work that runs one at a time and coalesces requests
  (indexing, learning, searches, the tags of the selected photo, thumbnails).
"""

from __future__ import annotations

import os
import queue
import threading
import time
import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
from superqt.utils import FunctionWorker, GeneratorWorker, WorkerBase, create_worker

from ..engine.api import Library, filter_terms, parse_query, sort_hits
from ..engine.errors import NotInLibrary
from ..engine.types import (
    DuplicateGroup,
    Facets,
    Failure,
    Filters,
    GroupedHits,
    IndexProgress,
    IndexReport,
    ModelInfo,
    PersonFace,
    PersonGroup,
    PhotoFace,
    PhotoMetadata,
    SearchHit,
    TrashReport,
)
from .images import face_image, photo_image
from .trash_restore import Restore, restore_from_trash

__all__ = [
    "FaceDeletion",
    "DuplicatesProgress",
    "FolderRemoval",
    "IndexRun",
    "LibraryPage",
    "LibrarySettings",
    "PreviewPhoto",
    "SerialOp",
    "add_folder",
    "await_all",
    "browse",
    "completions",
    "delete_face_data",
    "face_data_size",
    "face_images",
    "facets",
    "find_duplicates",
    "index_library",
    "library_settings",
    "load_image",
    "merge_people",
    "person_like",
    "person_photos",
    "preview_photo",
    "remove_folder",
    "restore_photos",
    "review_suggestions",
    "run_in_background",
    "search",
    "set_face_recognition",
    "set_image_expansion",
    "set_pairs_as_one",
    "set_small_faces",
    "set_text_reading",
    "thumbnail_images",
    "trash_photos",
]

Callback = Callable[[Any], None]
_warned: dict[Any, Any] = {}  # warnings registry: a warning from a worker shows once per place


def _rewarn(args: tuple[Any, ...]) -> None:
    """A warning raised in a worker, raised again on the GUI thread (superqt only forwards it)."""
    message, category, filename, lineno = args[:4]
    warnings.warn_explicit(message, category, filename, lineno, registry=_warned)


def run_in_background(
    func: Callable[..., Any],
    *args: Any,
    on_result: Callback | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    **kwargs: Any,
) -> None:
    """Run `func(*args, **kwargs)` once in the thread pool; callbacks run in the GUI thread.

    An error goes to `on_error` only; without one it is raised again on the GUI thread
    (the uncaught-error hook logs and shows it).
    """
    worker = create_worker(func, *args, _start_thread=False, _ignore_errors=on_error is not None, **kwargs)
    if on_result is not None:
        worker.returned.connect(on_result)
    if on_error is not None:
        worker.errored.connect(on_error)
    worker.warned.connect(_rewarn)
    worker.start()  # registers the worker so await_workers() can stop it at quit


class SerialOp(QObject):
    """One kind of background work, run one at a time.

    - `request(*args, **kwargs)` runs `func(*args, **kwargs)` in a superqt worker. While
      a run is in flight the request waits, and runs once after it with the latest
      arguments: a newer request replaces a waiting one.
    - With `drop_superseded` (queries), the result or error of a run that a newer
      request superseded is dropped, so only the newest answer is shown. With
      `quit_superseded` (generators), a newer request also stops the running one at
      its next yield.
    - A generator `func` reports progress through `on_progress` and can be paused.
      With `cancellable`, each run gets its own `cancel=threading.Event()` keyword,
      which the engine checks; `cancel()` sets it and drops the waiting request.
    - Callbacks run on the GUI thread. An error goes to `on_error` only; without one it
      is raised again on the GUI thread. `finished` is emitted when a run ends and no
      request waits. `func` must not touch widgets (it runs in a worker thread).
    """

    finished = Signal()  # the last run ended and none waits: the operation is idle

    def __init__(
        self,
        parent: QObject | None,
        func: Callable[..., Any],
        *,
        on_result: Callback | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callback | None = None,
        drop_superseded: bool = False,
        quit_superseded: bool = False,
        cancellable: bool = False,
    ) -> None:
        super().__init__(parent)
        self._func = func
        self._on_result = on_result
        self._on_error = on_error
        self._on_progress = on_progress
        self._drop_superseded = drop_superseded
        self._quit_superseded = quit_superseded
        self._cancellable = cancellable
        self._worker: FunctionWorker[Any] | GeneratorWorker[Any, Any, Any] | None = None
        self._waiting: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._requests = 0  # requests are numbered: a run knows whether a newer one came
        self._cancel = threading.Event()  # the running run's (a fresh one per run)
        self._closed = False

    # -- state ----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """A run is in flight (started, or about to start in the pool)."""
        return self._worker is not None

    @property
    def pending(self) -> bool:
        """A request waits for the running one to end."""
        return self._waiting is not None

    @property
    def is_paused(self) -> bool:
        return isinstance(self._worker, GeneratorWorker) and self._worker.is_paused

    # -- requests -------------------------------------------------------------------
    def request(self, *args: Any, **kwargs: Any) -> None:
        """Run now, or once after the running run with these (the latest) arguments."""
        if self._closed:
            return
        self._requests += 1
        self._waiting = (args, kwargs)
        if self._worker is None:
            self._start_waiting()
        elif self._quit_superseded:
            self._worker.quit()

    def cancel_pending(self) -> None:
        """Forget the waiting request (the running run goes on)."""
        self._waiting = None

    def discard(self) -> None:
        """Forget the waiting request, and drop the running run's answer (`drop_superseded`)."""
        self._waiting = None
        self._requests += 1  # the running run is superseded by nothing

    def cancel(self) -> None:
        """Forget the waiting request and ask the running run to stop (its cancel event)."""
        self._waiting = None
        self._cancel.set()
        if self.is_paused:
            self.resume()  # a paused generator must run on to see the cancel

    def interrupt(self) -> None:
        """Ask the running run to stop (its cancel event), keeping the waiting request: work
        that resumes where it stopped gives way to a newer request, which starts at once."""
        self._cancel.set()

    def close(self) -> None:
        """`cancel()`, and refuse later requests (the window is closing)."""
        self._closed = True
        self.cancel()

    def toggle_pause(self) -> None:
        """Pause the running generator between yields, or resume it."""
        if isinstance(self._worker, GeneratorWorker):
            self._worker.toggle_pause()

    def resume(self) -> None:
        if isinstance(self._worker, GeneratorWorker):
            self._worker.resume()

    # -- runs -----------------------------------------------------------------------
    def _start_waiting(self) -> None:
        assert self._waiting is not None
        args, kwargs = self._waiting
        self._waiting = None
        run = self._requests
        if self._cancellable:
            self._cancel = threading.Event()
            kwargs = {**kwargs, "cancel": self._cancel}
        worker = create_worker(self._func, *args, _start_thread=False,
                               _ignore_errors=self._on_error is not None, **kwargs)
        worker.returned.connect(lambda result: self._on_returned(run, result))
        worker.errored.connect(lambda exc: self._on_errored(run, exc))
        worker.warned.connect(_rewarn)
        if isinstance(worker, GeneratorWorker):
            worker.yielded.connect(self._on_yielded)
            worker.paused.connect(self._on_paused)
            # In the worker's thread, as it stops: the generator's `finally` runs now (indexing
            # lets go of the library's write turn), not whenever the garbage collector gets to it.
            worker.aborted.connect(partial(_close_generator, worker), Qt.ConnectionType.DirectConnection)
        worker.finished.connect(self._on_worker_finished)
        self._worker = worker
        worker.start()  # registers the worker so await_workers() can stop it at quit

    def _superseded(self, run: int) -> bool:
        return self._drop_superseded and run != self._requests

    def _on_returned(self, run: int, result: Any) -> None:
        if self._on_result is not None and not self._superseded(run):
            self._on_result(result)

    def _on_errored(self, run: int, exc: BaseException) -> None:
        if self._on_error is not None and not self._superseded(run):
            self._on_error(exc)

    def _on_yielded(self, value: Any) -> None:
        if self._on_progress is not None:
            self._on_progress(value)

    def _on_paused(self, _: None = None) -> None:
        if self._cancel.is_set():  # cancelled while the pause was on its way
            self.resume()

    def _on_worker_finished(self, _: None = None) -> None:
        self._worker = None
        if self._waiting is not None:
            self._start_waiting()
        else:
            self.finished.emit()


def _close_generator(worker: GeneratorWorker) -> None:
    """Close the generator an aborted worker stopped driving (superqt leaves it suspended)."""
    generator = getattr(worker, "_gen", None)
    if generator is not None:
        generator.close()


def await_all(msecs: int) -> None:
    """Ask every worker to quit and wait for them (at quit)."""
    WorkerBase.await_workers(msecs=msecs)


# -- the background callables (no widget access in here) ---------------------------
@dataclass(frozen=True)
class IndexRun:
    """What one indexing run did, and the library's model once it ended."""

    report: IndexReport
    model_id: str


def index_library(library: Library, model_id: str | None,
                  cancel: threading.Event) -> Generator[IndexProgress, None, IndexRun | None]:
    """Reconcile every watched folder with the catalogue (None: no folder to reconcile).

    With `model_id`, index for that model and, once complete, switch the library to
    it: searches keep using the current model's index until then.
    """
    if not library.folders():
        return None
    report = yield from library.iter_index(None, cancel=cancel, model_id=model_id)
    if model_id and model_id != library.model_id and not report.cancelled:
        library.set_model(model_id)
    return IndexRun(report, library.model_id)


def add_folder(library: Library, folder: str) -> list[str]:
    """Remember `folder`; returns the watched folders."""
    library.add_folder(folder)
    return library.folders()


@dataclass(frozen=True)
class FolderRemoval:
    """What removing a folder did, and what every view shows after it."""

    folder: str
    removed: int  # photos dropped from the library
    folders: list[str]  # the watched folders left
    skipped: list[Failure]  # the files indexing skipped, those below the folder gone


def remove_folder(library: Library, folder: str) -> FolderRemoval:
    """Forget `folder` and its photos (files untouched; the user's tag decisions are kept)."""
    removed = library.remove_folder(folder)
    status = library.status(check=False)
    return FolderRemoval(folder, removed, status.folders, status.failed)


@dataclass(frozen=True)
class LibraryPage:
    """One page of the library view: `limit` photos from `offset` of `folder` (None: the whole
    library), in groups `by` month taken, place or folder (`sections`; `hits` are their photos)."""

    folder: str | None
    offset: int
    limit: int
    hits: list[SearchHit]
    by: str = "month"
    sections: list[GroupedHits] = field(default_factory=list)

    @property
    def more(self) -> bool:
        """Whether a page after this one may hold photos (this one is full)."""
        return len(self.hits) == self.limit


def browse(library: Library, folder: str | None, offset: int, limit: int, by: str = "month") -> LibraryPage:
    """A page of the library's photos in groups `by` month (newest first), place or folder, all
    or below `folder`."""
    sections = library.grouped(by, Filters(folders=(folder,)) if folder else None, offset, limit)
    return LibraryPage(folder, offset, limit, [hit for section in sections for hit in section.hits], by, sections)


def completions(library: Library, prefix: str, k: int) -> tuple[str, list[str]]:
    """Words starting with `prefix`, with the prefix they answer."""
    return prefix, library.completions(prefix, k)


@dataclass(frozen=True)
class SearchAnswer:
    """A search's best `k` hits, with what was asked."""

    query: str
    by_image: bool
    k: int
    hits: list[SearchHit]
    filters: tuple[str, ...] = ()  # the query's key:value filters, as typed back
    listing: bool = False  # filters and no words: the photos they allow, newest taken first


def search(library: Library, query: str, k: int, by_image: bool, sort: str = "relevance",
           photo_filters: tuple[str, ...] = ()) -> SearchAnswer:
    """Photos like the image file `query` (`by_image`; narrowed by the `photo_filters` terms), or
    matching the words in it, narrowed by its `key:value` filters ("beach place:lisbon"), in
    `sort` order ("relevance" or "date", `sort_hits`); filters alone list their photos, newest
    taken first."""
    if by_image:
        filters = parse_query(" ".join(photo_filters)).filters
        hits = library.search_image(query, k, filters=filters)
        return SearchAnswer(query, by_image, k, sort_hits(hits, sort), tuple(filter_terms(filters)))
    typed = parse_query(query)
    terms = tuple(filter_terms(typed.filters))
    if not typed.text:
        return SearchAnswer(query, by_image, k, library.filtered(typed.filters, 0, k), terms, listing=True)
    hits = library.search_text(typed.text, k, filters=typed.filters)
    return SearchAnswer(query, by_image, k, sort_hits(hits, sort), terms)


@dataclass(frozen=True)
class FacetsAnswer:
    """What the library holds for the Filter pickers, counted for the filters `terms`."""

    terms: tuple[str, ...]
    facets: Facets


def facets(library: Library, terms: tuple[str, ...]) -> FacetsAnswer:
    """The pickers' values and counts, narrowed by the query's filter terms ("place:Lisbon")."""
    return FacetsAnswer(terms, library.facets(parse_query(" ".join(terms)).filters))


@dataclass(frozen=True)
class PhotoInfo:
    """A photo's metadata, with the path it answers."""

    path: str
    metadata: PhotoMetadata
    raw_path: str | None = None  # the RAW beside this JPEG, when it has one
    faces: tuple[PhotoFace, ...] = ()  # who is in it (none while face recognition is off)


def photo_info(library: Library, path: str) -> PhotoInfo:
    """What the library knows of a photo's own metadata (for the Info panel), its RAW and its faces."""
    return PhotoInfo(path, library.metadata(path), library.raw_companion(path), _faces(library, path))


def _faces(library: Library, path: str) -> tuple[PhotoFace, ...]:
    """The faces stored for `path`; none while face recognition is off (off means off, even for
    faces found before) or when the photo is not in the library."""
    if not library.face_recognition:
        return ()
    try:
        return tuple(library.faces(path))
    except NotInLibrary:
        return ()


@dataclass(frozen=True)
class PreviewPhoto:
    """What the preview shows: the photo upright, its faces, and whether face recognition is on."""

    path: str
    image: QImage
    faces: tuple[PhotoFace, ...] = ()
    faces_on: bool = True


def preview_photo(library: Library, path: str, max_side: int) -> PreviewPhoto:
    """A photo for the preview, decoded upright at most `max_side` pixels, with its stored faces."""
    return PreviewPhoto(path, photo_image(path, max_side), _faces(library, path), library.face_recognition)


@dataclass(frozen=True)
class FaceDeletion:
    """What deleting the face data forgot."""

    faces: int
    people: int


def face_data_size(library: Library) -> tuple[int, int]:
    """(faces, named people) the library holds: said before they are deleted."""
    return library.face_data_size()


def delete_face_data(library: Library) -> FaceDeletion:
    """Forget every face and person of the library (photos and tags stay)."""
    _, people = library.face_data_size()
    return FaceDeletion(library.delete_face_data(), people)


def set_face_recognition(library: Library, on: bool) -> bool:
    """Turn face recognition on or off; returns the setting as now stored."""
    library.set_face_recognition(on)
    return library.face_recognition


@dataclass(frozen=True)
class LibrarySettings:
    """What the Settings dialog shows of the library: its models, and whether pairs show as one."""

    models: list[ModelInfo]
    pairs_as_one: bool
    faces_on: bool = True  # face recognition
    small_faces: bool = False  # faces looked for down to 1/30 of a photo's side (slower)
    text_on: bool = True  # indexing reads text in photos
    expansion_on: bool = True  # image search expands over each photo's nearest (query expansion)


def library_settings(library: Library) -> LibrarySettings:
    """The library's side of the Settings dialog."""
    return LibrarySettings(library.models(), library.pairs_as_one, library.face_recognition,
                           library.face_detail == "small", text_on=library.text_reading,
                           expansion_on=library.image_expansion)


def set_text_reading(library: Library, on: bool) -> bool:
    """Read text in photos (or not) from the next indexing run; returns the setting as stored."""
    library.set_text_reading(on)
    return library.text_reading


def set_image_expansion(library: Library, on: bool) -> bool:
    """Widen image searches through each photo's nearest (or not); returns the setting as stored."""
    library.set_image_expansion(on)
    return library.image_expansion


def set_small_faces(library: Library, on: bool) -> bool:
    """Look for small faces (or not) from the next indexing run; returns the setting as stored."""
    library.set_face_detail("small" if on else "standard")
    return library.face_detail == "small"


def set_pairs_as_one(library: Library, on: bool) -> bool:
    """Turn RAW+JPEG pairing on or off; returns the setting as now stored."""
    library.set_pairs_as_one(on)
    return library.pairs_as_one


def thumbnail_images(library: Library, cache: Path, paths: list[str],
                     px: int = 0) -> Generator[tuple[str, QImage, int], None, None]:
    """(path, QImage, px) per photo, the image at most `px` device pixels wide and high (0: as
    cached), so the GUI thread only wraps it; a QImage is safe off the GUI thread, a QPixmap is not.
    A cached thumbnail that no longer reads (a damaged cache file) is made again once."""
    for path in paths:
        try:
            image = QImage(str(library.thumbnail(cache, path)))
            if image.isNull():
                image = QImage(str(library.thumbnail(cache, path, remake=True)))
        except Exception:  # noqa: BLE001 - a missing thumbnail is just a grey box
            continue
        if image.isNull():
            continue
        if px and max(image.width(), image.height()) > px:
            image = image.scaled(px, px, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        yield path, image, px


def load_image(path: str, max_side: int) -> QImage:
    """Read a photo as a QImage (any format the library indexes, upright), at most `max_side`
    pixels wide and high when it is set."""
    return photo_image(path, max_side)


# -- people (the People panel and its dialogs) ---------------------------------------
def face_images(faces: list[PersonFace], px: int) -> Generator[tuple[int, QImage], None, None]:
    """(face id, QImage) per face: a `px`-pixel square around it, cut from the upright photo. A
    photo that no longer reads is left out (its entry keeps a plain square)."""
    for face in faces:
        try:
            yield face.face_id, face_image(face.path, face.box, px)
        except Exception:  # noqa: BLE001 - a face that cannot be shown is just a grey box
            continue


def person_photos(library: Library, group: PersonGroup, k: int) -> SearchAnswer:
    """The photos of an unnamed group of faces (or of a person, by id), listed as a search's
    answer; the query is what the status line calls it."""
    hits = library.person_photos(group.id)[:k]
    return SearchAnswer(group.name or "Unnamed", False, k, hits, listing=True)


def person_like(library: Library, path: str, k: int) -> SearchAnswer:
    """The photos whose faces are nearest the main face of the photo at `path` ("More of this
    person"), nearest first; the query is what the status line calls it."""
    hits = library.search_person_like(path, k)
    return SearchAnswer(f"the person in {os.path.basename(path)}", False, k, hits, listing=True)


def merge_people(library: Library, keep: str, others: list[str], name: str = "") -> PersonGroup:
    """Make each of `others` part of `keep` (named `name` first, when given), one after the
    other; returns what `keep` became (its id may change: the merged one is followed)."""
    merged = library.name_group(keep, name) if name else None
    for other in others:
        merged = library.merge_people(merged.id if merged is not None else keep, other)
    assert merged is not None, "merge_people needs two entries"
    return merged


@dataclass(frozen=True)
class Review:
    """What one review of a person's suggestions decided."""

    person: str
    confirmed: int
    rejected: int


def review_suggestions(library: Library, person: str, confirm: list[int], reject: list[int]) -> Review:
    """Confirm the suggested faces `confirm` as `person`'s and say "not them" for `reject`."""
    confirmed = library.confirm_suggestions(person, confirm) if confirm else 0
    rejected = library.reject_suggestions(person, reject) if reject else 0
    return Review(person, confirmed, rejected)


# -- duplicates (the Duplicates window) ----------------------------------------------
@dataclass(frozen=True)
class DuplicatesProgress:
    """Photos read so far by a duplicate search, for the status line."""

    done: int
    total: int
    rate: float  # photos a second
    eta_s: float | None


class _Cancelled(Exception):
    pass


def find_duplicates(library: Library, level: str, window_s: float | None,
                    cancel: threading.Event) -> Generator[DuplicatesProgress, None, list[DuplicateGroup] | None]:
    """The groups at `level` (None: cancelled). The engine call blocks, so it runs in a thread
    of its own; its progress comes back through a queue and goes out as yields. Cancelling
    stops it at its next progress report (every few hundred photos read)."""
    reports: queue.Queue[tuple[int, int]] = queue.Queue()
    answer: list[Any] = []

    def progressed(done: int, total: int) -> None:
        reports.put((done, total))
        if cancel.is_set():
            raise _Cancelled

    def run() -> None:
        try:
            answer.append(library.duplicates(level, window_s, progress=progressed))
        except BaseException as exc:  # noqa: BLE001 - raised again in the worker below
            answer.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=run, name="duplicates", daemon=True)
    thread.start()
    while thread.is_alive() or not reports.empty():
        try:
            done, total = reports.get(timeout=0.1)
        except queue.Empty:
            continue
        rate = done / max(time.monotonic() - started, 1e-3)
        yield DuplicatesProgress(done, total, rate, (total - done) / rate if rate else None)
    thread.join()
    result = answer[0] if answer else None
    if isinstance(result, _Cancelled) or cancel.is_set():
        return None
    if isinstance(result, BaseException):
        raise result
    return result


def trash_photos(library: Library, paths: list[str]) -> TrashReport:
    """Move `paths` to the system trash and out of the library."""
    return library.trash_photos(paths)


def restore_photos(paths: list[str]) -> Restore:
    """Put trashed photos back where they were (the window reindexes their folders next)."""
    return restore_from_trash(paths)
