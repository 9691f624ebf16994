"""The one engine API that both the `cbir` CLI and the desktop window call.

A `Library` is a folder holding `catalogue.sqlite` (the source of truth),
`index/<model>/` (Annoy files rebuilt from it) and `learned/` (what text search
learned from the library's labels). Its methods are short verbs that delegate to
the engine's rooms (see README "Architecture"). They block and may be called from
any thread: each thread gets its own SQLite connection, and models load lazily on
first use. Long work (`iter_index`) is a generator that yields progress and checks
a cancel event between batches. Searching never writes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Generator, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt

from .culling.finder import find_duplicates
from .culling.memory import DuplicatesMemory
from .culling.series import DEFAULT_WINDOW_S
from .culling.stacks import burst_stacks, stacked_rows, stacks_by_path
from .culling.trash import trash_photos
from .culling.xmp_reject import mark_rejected, undo_rejected, with_xmp_rejects
from .errors import (
    CatalogueDamaged,
    EngineError,
    FolderNotFound,
    LibraryBusy,
    LibraryNotFound,
    LibraryReadOnly,
    NotInLibrary,
    sentences,
)
from .faces.crops import face_crop
from .faces.grouping import GROUP_DISTANCE
from .faces.matching import match_boxes
from .faces.people import settle, watch
from .faces.reader import FACE_DETAILS, STANDARD, read_faces
from .handles import CATALOGUE_FILE, MODELS_FOLDER, LibraryHandles
from .healing import heal, problems
from .indexing.colours_step import describe_colours_step
from .indexing.faces_step import find_faces_step
from .indexing.indexer import index_folders
from .indexing.ocr_step import first_pass_for, read_text_step
from .learning.learned import term_key
from .learning.learner import Learner
from .models.embedder import Embedder
from .models.importer import import_model
from .models.manifest import Manifest, load_manifest
from .paths import folder_hierarchy
from .photos.colour_terms import DESCRIPTION_SIZE
from .photos.decode import display_image
from .photos.face_regions import FaceRegion, read_face_regions, write_face_regions
from .photos.formats import PHOTO_EXTENSIONS
from .photos.formats import is_photo_name as _is_photo_name
from .photos.metadata import read_metadata
from .photos.sidecars import write_keywords
from .photos.thumbnails import thumbnail
from .search.colour_words import rank_by_colour, rank_coloured, split_colour_words
from .search.expansion import expansion_ready, rank_expanded
from .search.image import embed_file, rank_by_image
from .search.metadata_words import HeldNameWords, NamedPhotos, name_respelling, rank_named
from .search.pairs import PAIRS_SETTING, fetch_size, pair_scored, with_raw_paths
from .search.people_words import PeoplePhotos, find_people
from .search.query import filter_term, filter_terms, parse_query
from .search.relevance import EXPANDED, IMAGE, RELEVANT_FROM, STRONG_FROM, relevance_band, scored_relevance
from .search.results import SORTS, hits_for, photo_tags, sort_hits
from .search.text import TextRanking, rank_by_text, require_words, similar_words
from .storage import people_rows
from .storage.backups import BACKUP_FOLDER, back_up, newest_backup_age
from .storage.catalogue import FEATURES, Catalogue
from .storage.colour_rows import colour_descriptions
from .storage.face_rows import count_face_data, delete_face_data, faces_of
from .storage.facets import facets
from .storage.grouping import GROUPINGS, group_counts, grouped_rows, in_groups
from .storage.repair import RepairReport, repair_catalogue
from .storage.text_rows import TextMatch, search_photo_text
from .storage.writer_lock import WriterLock, WriteTurn
from .types import (
    DUPLICATE_LEVELS,
    BurstStack,
    Device,
    DuplicateGroup,
    Facets,
    Filters,
    GroupedHits,
    IndexProgress,
    IndexReport,
    LibraryStatus,
    ModelInfo,
    PersonFace,
    PersonGroup,
    PhotoFace,
    PhotoMetadata,
    SearchHit,
    TagChange,
    TagEdit,
    TagScore,
    TrainingReport,
    TrashReport,
    WordHit,
    XmpRejectReport,
    XmpUndoReport,
)
from .vectors.index import VectorIndex
from .vectors.neighbours import AUGMENTED, expansion_on, rebuild_neighbours
from .vectors.neighbours import SETTING as EXPANSION_SETTING
from .words.hierarchy import WordHierarchy
from .words.space import WordSpace
from .words.vectors import WordVectors

__all__ = ["Library", "open_library", "repair_library", "default_library_dir", "list_models", "is_photo_name",
           "PHOTO_EXTENSIONS", "photo_pixels", "read_photo_metadata", "find_photo_faces",
           "face_pixels",
           "RepairReport", "RELEVANT_FROM", "STRONG_FROM", "relevance_band", "parse_query", "filter_terms",
           "GROUPINGS", "filter_term", "SORTS", "sort_hits", "DUPLICATE_LEVELS",
           "stacked_rows", "stacks_by_path"]

log = logging.getLogger(__name__)

MODEL_SETTING = "model"
BACKUP_STAMP_SETTING = "backed_up_work"  # what the user's work looked like at the last backup
LOCK_POLL_S = 0.5
FACES_SETTING = "faces"  # "off": face recognition turned off for this library
TEXT_SETTING = "text in photos"  # "off": the OCR step does not read text in photos
TEXT_SOURCE = "text in photo"  # a search hit's `source` when the photo's text matched
FACE_DETAIL_SETTING = "face detail"  # "small": look for smaller faces (slower); see faces/reader.py
SERIES_WINDOW_SETTING = "series_window_s"  # seconds between two shots of one series (duplicates)
COLOUR_POOL = 1000  # an object's best photos that colour words re-rank ("red car": the 1,000 best cars)
PathLike = str | os.PathLike[str]


def default_library_dir() -> Path:
    """`CBIR_LIBRARY` if set, else the platform's user data folder."""
    env = os.environ.get("CBIR_LIBRARY")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("cbir-desktop", appauthor=False)) / "library"


def open_library(root: PathLike | None = None, create: bool = True, model_id: str | None = None,
                 threads: int | None = None, word_vectors: PathLike | None = None) -> Library:
    """Open (or create) the library in `root`; `create=False` refuses a missing one.

    `word_vectors` names a GloVe text file to use instead of the shipped vectors
    (default: `$CBIR_WORD_VECTORS`, else the shipped ones).
    """
    path = _library_path(root)
    catalogue = path / CATALOGUE_FILE
    if not catalogue.is_file():
        if not create:
            raise LibraryNotFound(f"No library at {path}; run `cbir index FOLDER` to create one.")
        with sentences(str(catalogue)):
            path.mkdir(parents=True, exist_ok=True)
    elif catalogue.stat().st_size == 0 and (path / BACKUP_FOLDER).is_dir():
        # SQLite would take an empty file for a new library and the user's work would vanish.
        raise CatalogueDamaged(str(catalogue), "the file is empty")
    with sentences(str(catalogue)):
        return Library(path, model_id=model_id, threads=threads, word_vectors=word_vectors)


def repair_library(root: PathLike | None = None) -> RepairReport:
    """Restore a damaged catalogue from its backups and what is still readable in it, or, if it
    is sound, mark every derived file for rebuilding; the next indexing run rebuilds the rest."""
    path = _library_path(root)
    if not (path / CATALOGUE_FILE).exists():
        raise LibraryNotFound(f"No library at {path}; nothing to repair.")
    lock = WriterLock(path)
    with sentences(str(path / CATALOGUE_FILE)):
        if not lock.try_acquire("repairing"):
            raise LibraryBusy(f"The library is being changed by {lock.holder()}; repair it when that is done.")
        try:
            return repair_catalogue(path / CATALOGUE_FILE, path / BACKUP_FOLDER)
        finally:
            lock.release()


def _library_path(root: PathLike | None) -> Path:
    path = Path(root).expanduser() if root is not None else default_library_dir()
    if path.exists() and not path.is_dir():
        raise LibraryNotFound(f"{path} is a file, not a library folder; name a folder with --library.")
    return path


def is_photo_name(path: str) -> bool:
    """True when `path` has the name of a photo format (`PHOTO_EXTENSIONS`): the library indexes
    it, or lists it as skipped with the reason (a format whose decoder is not installed)."""
    return _is_photo_name(path)


def photo_pixels(path: PathLike, max_side: int = 0) -> npt.NDArray[np.uint8]:
    """The photo at `path` as the window shows it: upright RGB pixels (height, width, 3), at most
    `max_side` wide and high (0: full size), decoded as the index and the thumbnails are, so
    HEIC and RAW files show too. Blocking: call from a worker. Raises `ImageUnreadable`."""
    return np.asarray(display_image(os.fspath(path), max_side), dtype=np.uint8)


def face_pixels(path: PathLike, box: tuple[float, float, float, float], side: int) -> npt.NDArray[np.uint8]:
    """A face to show: a square (side, side, 3) of upright RGB pixels around `box` (x, y, w, h as
    fractions of the upright photo, as `PersonFace.box`), with some room around it. Blocking:
    call from a worker. Raises `ImageUnreadable`."""
    return face_crop(os.fspath(path), box, side)


def read_photo_metadata(path: PathLike) -> PhotoMetadata:
    """What an image file's own metadata says, read from the file now (blocking; any file,
    in a library or not). Raises `EngineError` only when the file cannot be opened at all."""
    full = os.path.abspath(os.fspath(path))
    with sentences(full):
        os.stat(full)  # a missing file is a sentence, not metadata full of notes
    return read_metadata(full)


def find_photo_faces(path: PathLike) -> list[PhotoFace]:
    """The faces in any photo file, found now as the faces step finds them (blocking; nothing
    is stored). Raises `ImageUnreadable`."""
    return [PhotoFace(face.box, face.score) for face in read_faces(os.path.abspath(os.fspath(path)))]


def list_models(library: PathLike | None = None, devices: bool = False) -> list[ModelInfo]:
    """The shipped models and those imported into `library`; `devices` loads each to say what runs it."""
    manifest = load_manifest()
    if library is not None:
        manifest = manifest.with_library_models(Path(library) / MODELS_FOLDER)
    return _model_infos(manifest, devices)


class Library:
    """A photo library: folders, catalogue, per-model vector indexes, learning, search."""

    def __init__(self, root: Path, model_id: str | None = None, threads: int | None = None,
                 word_vectors: PathLike | None = None) -> None:
        self.root = Path(root)
        self._handles = LibraryHandles(self.root, threads, word_vectors)
        self.learner = Learner(self._handles)
        self._writer = WriterLock(self.root)
        # One writer thread at a time in this process too (the file lock is the process's):
        # re-entrant, so learning inside an indexing run goes along.
        self._write_turn = WriteTurn()
        self._held_names = HeldNameWords()  # place, camera and lens names as search words
        self._duplicates = DuplicatesMemory()  # the last groups found: asked again, only what changed is redone
        stored = self.catalogue.get_setting(MODEL_SETTING)
        if model_id is None and stored is not None and stored not in self.manifest.models:
            log.warning("The library's model %s is not available (removed, or its import list is damaged); "
                        "using %s", stored, self.manifest.default_model)
            stored = None
        self.model_id = self.manifest.model(model_id or stored).id

    @property
    def read_only(self) -> str:
        """Why this library cannot be changed ("" when it can): searching still works."""
        return self._handles.read_only

    def _check_writable(self) -> None:
        if self.read_only:
            raise LibraryReadOnly(f"The library is read-only ({self.read_only}): searching works, "
                                  "but indexing and editing tags are off.")

    # -- handles --------------------------------------------------------------------
    @property
    def manifest(self) -> Manifest:
        return self._handles.manifest

    @property
    def catalogue(self) -> Catalogue:
        """This thread's catalogue connection."""
        return self._handles.catalogue

    def embedder(self, model_id: str | None = None) -> Embedder:
        return self._handles.embedder(model_id or self.model_id)

    def vector_index(self, model_id: str, kind: str, dim: int) -> VectorIndex:
        return self._handles.vector_index(model_id, kind, dim)

    def word_space(self) -> WordSpace:
        """The word space in use (shipped vectors or the user's GloVe file), loaded once."""
        return self._handles.word_space()

    def words(self) -> WordVectors:
        return self.word_space().words

    def word_hierarchy(self, model_id: str | None = None) -> WordHierarchy | None:
        """The WordNet word -> ImageNet classes map text search uses with this model and word
        space (None: the model has no ImageNet head the map belongs to, so words score by
        their projection only)."""
        return self._handles.word_hierarchy(self.embedder(model_id), self.word_space())

    def set_model(self, model_id: str) -> None:
        """Make `model_id` the library's model for indexing and search (persisted)."""
        self.model_id = self.manifest.model(model_id).id
        if not self.read_only:
            self.catalogue.set_setting(MODEL_SETTING, self.model_id)

    def close(self) -> None:
        self._handles.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- folders and indexing ------------------------------------------------------------
    def folders(self) -> list[str]:
        return self.catalogue.folders()

    def add_folder(self, folder: PathLike) -> str:
        path = os.path.abspath(os.fspath(folder))
        if not os.path.isdir(path):
            raise FolderNotFound(f"{path} is not a folder.")
        self._check_writable()
        with self._sentences():
            self.catalogue.add_folder(path)
        return path

    def remove_folder(self, folder: PathLike) -> int:
        """Stop watching a folder and drop its photos from the library (files untouched);
        returns how many were dropped. The user's tags and rejections are kept by content:
        adding the folder again (or a copy of a photo elsewhere) brings them back."""
        self._check_writable()
        with self._writing("removing a folder"), self._sentences():  # not under a learning run's feet
            return self.catalogue.remove_folder(os.path.abspath(os.fspath(folder)))

    def folder_photo_count(self, folder: PathLike) -> int:
        """How many photos `remove_folder(folder)` would drop (folders below it included)."""
        with self._sentences():
            return self.catalogue.count_photos_under(os.path.abspath(os.fspath(folder)))

    def iter_index(self, folders: Iterable[PathLike] | None = None, cancel: threading.Event | None = None,
                   model_id: str | None = None, batch_size: int | None = None, faces: bool = True,
                   text: bool = True) -> Generator[IndexProgress, None, IndexReport]:
        """Index `folders` (default: all remembered ones; new ones are remembered), yielding
        progress, then bring learned vectors up to date, then (unless `faces` is False or face
        recognition is off) find the faces of the photos not yet read, then (unless `text` is False
        or reading text is off) read the text of the photos not yet read; photos held before colour
        words existed get their colours described first (indexing/colours_step.py). Runs in its
        own catalogue connection, so it can run in a worker thread while searches run elsewhere. Takes the library's
        writer lock (waiting, with "waiting" progress, while another process holds it) and
        first heals derived state a crash or damage left unsound."""
        self._check_writable()
        cancel = cancel or threading.Event()
        targets = [self.add_folder(f) for f in folders] if folders else self.folders()
        embedder = self.embedder(model_id)
        with self._sentences():
            if not (yield from self._wait_for_writer("indexing", cancel)):
                return IndexReport(cancelled=True)
            try:  # released in `finally`: a generator closed early lets go too
                healed = heal(self._handles, self.learner, embedder)
                if healed:
                    yield IndexProgress("healed", 0, 0, path="; ".join(healed))
                report = yield from index_folders(self._handles, targets, embedder, cancel, batch_size)
                report.healed = healed
                if not report.cancelled:
                    described = yield from describe_colours_step(self._handles.catalogue, targets, cancel)
                    report.colours_described, report.cancelled = described.photos, described.cancelled
                if not report.cancelled:
                    self.learner.catch_up(embedder)
                    if faces and self.face_recognition:
                        found = yield from find_faces_step(self._handles.catalogue, targets,
                                                           self._handles.face_index(), cancel,
                                                           detail=FACE_DETAILS[self.face_detail])
                        report.faces_photos, report.faces_found = found.photos, found.faces
                        report.cancelled = found.cancelled
                    if not report.cancelled and text and self.text_reading:
                        read = yield from read_text_step(self._handles.catalogue, targets, cancel,
                                                         first_pass=first_pass_for(self._handles, embedder))
                        report.text_photos, report.text_found = read.photos, read.with_text
                        report.cancelled = read.cancelled
                    self._back_up_if_changed()
            finally:
                self._writer.release()
                self._write_turn.release()
        return report

    def _wait_for_writer(self, what: str, cancel: threading.Event) -> Generator[IndexProgress, None, bool]:
        """Take this process's write turn, then the writer lock, yielding "waiting" progress
        (naming the holder) while either is taken; False (holding neither) when cancelled."""
        while not self._write_turn.acquire(timeout=LOCK_POLL_S):
            yield IndexProgress("waiting", 0, 0, path="another task of this program (learning, removing a folder)")
            if cancel.is_set():
                return False
        try:
            while not self._writer.try_acquire(what):
                yield IndexProgress("waiting", 0, 0, path=self._writer.holder())
                if cancel.wait(LOCK_POLL_S):
                    self._write_turn.release()
                    return False
        except BaseException:  # closed while waiting
            self._write_turn.release()
            raise
        return True

    def _writing(self, what: str) -> _Writing:
        """`with self._writing("learning"):` holds the writer lock, waiting for it if need be."""
        return _Writing(self, what)

    def _back_up_if_changed(self) -> None:
        """Back up the user's work when it changed since the last backup (or there is none)."""
        cat = self.catalogue
        stamp = cat.work_stamp()
        folder = self.root / BACKUP_FOLDER
        if cat.get_setting(BACKUP_STAMP_SETTING) == stamp and newest_backup_age(folder) is not None:
            return
        back_up(self.root / CATALOGUE_FILE, folder)
        cat.set_setting(BACKUP_STAMP_SETTING, stamp)

    def _sentences(self) -> AbstractContextManager[None]:
        return sentences(str(self.root / CATALOGUE_FILE))

    def index(self, folders: Iterable[PathLike] | None = None, cancel: threading.Event | None = None,
              model_id: str | None = None, batch_size: int | None = None, faces: bool = True,
              text: bool = True) -> IndexReport:
        """Index to completion without progress (tests, scripts)."""
        gen = self.iter_index(folders, cancel, model_id, batch_size, faces, text)
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                report: IndexReport = stop.value
                return report

    def train_words(self, model_id: str | None = None, only_photos: set[int] | None = None) -> TrainingReport:
        """Learn text search from folder names and the user's tags (blocking: run it in a worker)."""
        self._check_writable()
        with self._writing("learning"), self._sentences():
            report = self.learner.train(self.embedder(model_id), only_photos)
            self._back_up_if_changed()  # learning follows tag edits: keep them safe too
            return report

    # -- search -------------------------------------------------------------------------
    def search_image(self, path: PathLike, k: int = 20, model_id: str | None = None,
                     filters: Filters | None = None) -> list[SearchHit]:
        """Photos that look like the image file at `path` (in the library or not), best first,
        each with its calibrated `relevance` (the query photo itself: 1.0); only those
        `filters` allow, when given."""
        embedder = self.embedder(model_id)
        with self._sentences():
            within = self._within(filters)
            if within is not None and not len(within):
                return []
            query = embed_file(self.catalogue, embedder, os.fspath(path))
            index = self.vector_index(embedder.id, FEATURES, embedder.spec.feature_dim)
            kind = EXPANDED if expansion_ready(self.catalogue, embedder.id) else IMAGE
            if kind == EXPANDED:
                augmented = self.vector_index(embedder.id, AUGMENTED, embedder.spec.feature_dim)
                scored = rank_expanded(self.catalogue, index, augmented, query, self._fetch(k), within)
            else:
                scored = rank_by_image(self.catalogue, index, query, self._fetch(k), within)
            return self._hits(embedder, scored, scored_relevance(kind, scored, query.photo_id), within, k)

    def search_text(self, text: str, k: int = 20, model_id: str | None = None,
                    filters: Filters | None = None) -> list[SearchHit]:
        """Photos matching a word or phrase (zero-shot, blended with what the library learned),
        best first, each with its calibrated `relevance`; only those `filters` allow, when given.
        Photos from a place, camera or lens the text names come first (`_search_named`)."""
        in_text = self._text_matches(text, k, filters)
        try:
            named = self._search_people(text, k, model_id, filters)
            if named is None:
                named = self._search_named(text, k, model_id, filters)
            if named is None:
                with self._sentences():
                    within = self._within(filters)
                    if within is not None and not len(within):
                        return []
                    named = self._search_coloured(text, k, self.embedder(model_id), within)
                    if named is None:
                        named = self._search_text(text, k, self.embedder(model_id), within)
        except EngineError:
            if not in_text:  # a word the model does not know may still be written in a photo
                raise
            named = []
        return self._with_text_hits(in_text, named, k, model_id)

    # -- text in photos (the OCR step, engine/ocr/) ------------------------------------------
    @property
    def text_reading(self) -> bool:
        """Whether indexing reads the text in this library's photos: on unless turned off. The
        step runs after the photos are searchable, on a thread at the lowest priority, and a
        window's new photos stop it (it resumes after them), so it never delays indexing."""
        return self.catalogue.get_setting(TEXT_SETTING, "on") == "on"

    def set_text_reading(self, on: bool) -> None:
        """Turn reading text in photos on or off (the text read so far stays searchable)."""
        self._check_writable()
        with self._sentences():
            self.catalogue.set_setting(TEXT_SETTING, "on" if on else "off")

    def _text_matches(self, text: str, k: int, filters: Filters | None) -> list[TextMatch]:
        """The photos whose recognised text holds the query's words, best first, within `filters`."""
        with self._sentences():
            found = search_photo_text(self.catalogue, text, self._fetch(k))
            within = self._within(filters)
            if within is not None:
                allowed = set(within.tolist())
                found = [match for match in found if match.photo_id in allowed]
            return found[:k]

    def _with_text_hits(self, in_text: list[TextMatch], hits: list[SearchHit], k: int,
                        model_id: str | None) -> list[SearchHit]:
        """`hits` with the text-in-photo matches first (the words are written in them: the
        surest answer), each marked with its source and snippet; a photo in both is shown once."""
        if not in_text:
            return hits
        with self._sentences():
            by_id = {hit.photo_id: hit for hit in hits}
            missing = [(m.photo_id, 1.0) for m in in_text if m.photo_id not in by_id]
            by_id.update({hit.photo_id: hit for hit in self._hits(self.embedder(model_id), missing)})
        first = [replace(by_id[m.photo_id], source=TEXT_SOURCE, snippet=m.snippet, relevance=1.0)
                 for m in in_text if m.photo_id in by_id]
        taken = {hit.photo_id for hit in first}
        return (first + [hit for hit in hits if hit.photo_id not in taken])[:k]

    def filtered(self, filters: Filters, offset: int = 0, limit: int = 200,
                 model_id: str | None = None) -> list[SearchHit]:
        """The photos `filters` allow, newest taken first: `limit` of them from `offset` (a
        search with filters and no content lists these)."""
        with self._sentences():
            ids = self.catalogue.filtered_photos(filters, offset, limit, hide_paired_raws=self.pairs_as_one)
            return self._hits(self.embedder(model_id), [(pid, 0.0) for pid in ids], listing=True)

    def grouped(self, by: str = "month", filters: Filters | None = None, offset: int = 0,
                limit: int | None = 200, model_id: str | None = None) -> list[GroupedHits]:
        """The library's photos (those `filters` allow, when given) in groups, for the library
        view: `by` "month" taken (newest first), "place" (country, then town) or "folder"; the
        photos with no date or place in a last group. `limit` photos (None: all) from `offset`,
        each group with its whole count; a group split over two pages is in both. Blocking."""
        if by not in GROUPINGS:
            raise EngineError(f"Photos group by {', '.join(GROUPINGS)}, not {by!r}.")
        filters = filters or Filters()
        with self._sentences():
            rows = grouped_rows(self.catalogue, by, filters, offset, limit)
            groups = group_counts(self.catalogue, by, filters, list(dict.fromkeys(row.key for row in rows)))
            hits = self._hits(self.embedder(model_id), [(row.photo_id, 0.0) for row in rows])
            return in_groups(rows, groups, hits)

    def facets(self, filters: Filters | None = None) -> Facets:
        """What the library holds for filter pickers (years and months, places, cameras, lenses,
        file types, GPS), counted over the photos `filters` allow, each kind without its own
        filter. Blocking (bench/facets.py, 100,000 photos: about 0.1 s, 0.25 s with a place or
        camera filter matching half of them); read-only: never takes the writer lock."""
        with self._sentences():
            return facets(self.catalogue, filters)

    def _within(self, filters: Filters | None) -> npt.NDArray[np.int64] | None:
        """The ids of the photos `filters` allow (None: no filter, all of them)."""
        if filters is None or filters.empty:
            return None
        return self.catalogue.filter_ids(filters)

    def _search_text(self, text: str, k: int, embedder: Embedder,
                     within: Collection[int] | None = None) -> list[SearchHit]:
        ranking = self._text_ranking(text, self._fetch(k), embedder, within)
        return self._hits(embedder, ranking.scored, scored_relevance(ranking.kind, ranking.scored), within, k)

    def _text_ranking(self, text: str, k: int, embedder: Embedder,
                      within: Collection[int] | None = None) -> TextRanking:
        require_words(embedder)
        space = self.word_space()
        if not space.shipped and not self.catalogue.count_vectors(embedder.id, space.kind):
            raise EngineError(f"Photos are not in the word space of {self._handles.word_vectors_file} yet; "
                              "run `cbir index` once with these word vectors.")
        learned = self.learner.state(embedder, space)
        zero = self.vector_index(embedder.id, space.kind, space.words.dim)
        mine = self.vector_index(embedder.id, learned.kind, space.words.dim) if learned else None
        hierarchy = self._handles.word_hierarchy(embedder, space)
        return rank_by_text(self.catalogue, embedder.id, space, text, k, zero, learned, mine, within, hierarchy)

    # -- colour words (search/colour_words.py) ----------------------------------------------
    def _search_coloured(self, text: str, k: int, embedder: Embedder,
                         within: Collection[int] | None = None) -> list[SearchHit] | None:
        """`search_text`'s answer when `text` holds colour words: photos of those colours, or
        with a thing named too ("red car"), its best photos re-ranked by both at once; None
        when it holds none."""
        query = split_colour_words(text, {name.lower() for name in embedder.labels()})
        if not query.colours or self._is_own_term(text, embedder):
            return None  # a folder or tag called "Red" is the user's own word: learned search answers it
        if not query.rest:
            ids, descriptions = colour_descriptions(self.catalogue, DESCRIPTION_SIZE, within)
            scored = rank_by_colour(ids, descriptions, query.colours, self._fetch(k))
            return self._hits(embedder, scored, [round(score, 4) for _, score in scored], within, k)
        ranking = self._text_ranking(query.rest, max(COLOUR_POOL, self._fetch(k)), embedder, within)
        ids, descriptions = colour_descriptions(self.catalogue, DESCRIPTION_SIZE, [pid for pid, _ in ranking.scored])
        scored, relevance = rank_coloured(ranking.scored, scored_relevance(ranking.kind, ranking.scored),
                                          ids, descriptions, query.colours, self._fetch(k))
        return self._hits(embedder, scored, relevance, within, k)

    def _is_own_term(self, text: str, embedder: Embedder) -> bool:
        """Whether `text` is one of the library's own learned terms (folder names, confirmed tags)."""
        if not embedder.word_dim:
            return False
        space = self.word_space()
        learned = self.learner.state(embedder, space)
        return learned is not None and term_key(text, space.words.__contains__) in learned.terms.position

    # -- place, camera and lens names as search words (search/metadata_words.py) -----------
    def _search_named(self, text: str, k: int, model_id: str | None,
                      filters: Filters | None) -> list[SearchHit] | None:
        """`search_text`'s answer when `text` names places, cameras or lenses the library holds:
        their photos first, then the ordinary results (`rank_named` says how); None when it
        names none: the ordinary search answers."""
        embedder = self.embedder(model_id)
        with self._sentences():
            vocabulary = self._held_names.vocabulary(self.catalogue, self.words())
            query = vocabulary.find(text)
            if query is None:
                respelt = name_respelling(vocabulary, self.words(), text)
                if respelt is not None:  # "lisbn": its held name among the suggestions
                    raise respelt
                return None
            found = self._within(filters)
            within = None if found is None else set(found.tolist())  # looked up photo by photo
            if within is not None and not within:
                return []
            ranked = rank_named(
                query, NamedPhotos(self.catalogue, query), text, k, within,
                lambda words, n, inside: self._search_text(words, n, embedder, inside),
                lambda scored: self._hits(embedder, scored))
            # None: the filters leave none of the named photos; searched here, not filtered twice.
            return ranked if ranked is not None else self._search_text(text, k, embedder, within)

    def similar_words(self, word: str, k: int = 10) -> list[WordHit]:
        """Words near `word`'s meaning, for the chips under the search bar; people's names in it
        are left out (the words near "Anna" are other first names, not more of Anna)."""
        with self._sentences():
            people = find_people(self.catalogue, word)
        if people is not None:
            word = people.rest
            if not word.strip():
                return []
        return similar_words(self.words(), word, k)

    def completions(self, prefix: str, k: int = 10) -> list[str]:
        """Words and the library's place and camera names starting with `prefix`: names first
        (up to half of `k`, more when words are few), then words."""
        with self._sentences():
            names = self._held_names.vocabulary(self.catalogue, self.words()).completions(prefix, k)
        words = self.words().completions(prefix, k)
        taken = {name.lower() for name in names}
        words = [word for word in words if word not in taken]
        first = names[:max(k // 2, k - len(words))]
        return (first + words + names[len(first):])[:k]

    def browse(self, folder: PathLike | None = None, offset: int = 0, limit: int = 200,
               model_id: str | None = None) -> list[SearchHit]:
        """The library's photos newest first (by the file's time), or those below `folder`
        (its subfolders' too): `limit` of them from `offset`, with their tags as search hits
        have them and score 0. Blocking; page through a large library rather than read it whole."""
        with self._sentences():
            below = os.path.abspath(os.fspath(folder)) if folder is not None else None
            ids = self.catalogue.newest_photos(below, offset, limit, hide_paired_raws=self.pairs_as_one)
            return self._hits(self.embedder(model_id), [(pid, 0.0) for pid in ids], listing=True)

    def photo_hits(self, ids_scores: Sequence[tuple[int, float]], model_id: str | None = None) -> list[SearchHit]:
        """Hits (with their current tags) for photos already shown: refreshes tags after edits
        (their relevance is 1.0: keep the shown hits' own)."""
        return self._hits(self.embedder(model_id), ids_scores, listing=True)

    def _hits(self, embedder: Embedder, scored: Sequence[tuple[int, float]],
              relevance: Sequence[float] | None = None, within: Collection[int] | None = None,
              k: int | None = None, listing: bool = False) -> list[SearchHit]:
        """Hits for (photo_id, score) best first; with pairing on, each RAW+JPEG pair once (see
        search/pairs.py), cut to `k`; a `listing` has left its paired RAWs out already."""
        raw_paths: dict[int, str] = {}
        if self.pairs_as_one:
            paired = pair_scored(self.catalogue, scored, relevance, within, k, merge=not listing)
            scored, relevance, raw_paths = paired.scored, paired.relevance, paired.raw_paths
        ids = [pid for pid, _ in scored]
        tags = photo_tags(self.catalogue, embedder.id, ids, self.learner.tags(embedder, ids))
        return with_raw_paths(hits_for(self.catalogue, scored[:k], tags, relevance), raw_paths)

    # -- RAW+JPEG pairs ----------------------------------------------------------------------
    @property
    def pairs_as_one(self) -> bool:
        """Whether a RAW and the JPEG beside it (same folder, same stem) show as one photo, the
        JPEG naming its RAW (`SearchHit.raw_path`), in every result list; on unless turned off."""
        return self.catalogue.get_setting(PAIRS_SETTING, "on") != "off"

    def set_pairs_as_one(self, on: bool) -> None:
        """Turn RAW+JPEG pairing on or off for this library (kept in its catalogue)."""
        self._check_writable()
        with self._sentences():
            self.catalogue.set_setting(PAIRS_SETTING, "on" if on else "off")

    @property
    def image_expansion(self) -> bool:
        """Whether image search expands the query over its nearest photos and searches vectors
        augmented by each photo's nearest (vectors/neighbours.py); on unless turned off."""
        return expansion_on(self.catalogue)

    def set_image_expansion(self, on: bool) -> None:
        """Turn query expansion and augmentation on or off for this library; turned on, the
        next indexing run (or `rebuild_neighbours`) brings the neighbour graph up to date."""
        self._check_writable()
        with self._sentences():
            self.catalogue.set_setting(EXPANSION_SETTING, "on" if on else "off")

    def rebuild_neighbours(self, model_id: str | None = None) -> int:
        """Build the neighbour graph and augmented vectors of a model again whole (blocking);
        returns the photos augmented."""
        self._check_writable()
        embedder = self.embedder(model_id)
        with self._writing("neighbours"), self._sentences():
            count = rebuild_neighbours(self.catalogue, embedder.id)
            self.vector_index(embedder.id, AUGMENTED, embedder.spec.feature_dim).rebuild(self.catalogue)
            return count

    # -- duplicates -------------------------------------------------------------------------
    def duplicates(self, level: str = "same", window_s: float | None = None, model_id: str | None = None,
                   progress: Callable[[int, int], None] | None = None) -> list[DuplicateGroup]:
        """Groups of duplicates at `level` (one of `DUPLICATE_LEVELS`: "exact" copies, the
        "same" photo in other sizes and edits, a "series" of shots taken within `window_s`
        seconds, default `series_window`), largest first, each with its suggested keeper first.
        Blocking: the first call reads the pixels of the photos with a close neighbour
        (`progress(done, total)`) and keeps what it read and decided for the next, which then
        searches only the photos indexed since. This library keeps its last groups: asked again
        with nothing written since, it returns them; at "same" it rebuilds only the groups of
        photos new, changed or gone. Members whose XMP sidecar already rates them rejected say
        so (`rejected_in_xmp`, read again on every call)."""
        if level not in DUPLICATE_LEVELS:
            raise EngineError(f"Unknown duplicate level {level!r}: use one of {', '.join(DUPLICATE_LEVELS)}.")
        model = model_id or self.model_id
        with self._sentences():
            groups = find_duplicates(self.catalogue, model, level,
                                     self.series_window if window_s is None else window_s,
                                     keep_signatures=not self.read_only, progress=progress,
                                     index_for=partial(self.vector_index, model, FEATURES), memory=self._duplicates)
        return with_xmp_rejects(groups)

    def burst_stacks(self, window_s: float | None = None, model_id: str | None = None) -> list[BurstStack]:
        """The library's bursts (series of shots, within `window_s` seconds, default
        `series_window`), each with its top photo (the sharpest) and its shots in the order
        taken, for the library view to stack. Blocking but cheap: it reads the vectors of only
        the photos shot close in time by one camera, and the pixels of only burst shots not read before."""
        with self._sentences():
            return burst_stacks(self.catalogue, model_id or self.model_id,
                                self.series_window if window_s is None else window_s,
                                keep_signatures=not self.read_only)

    @property
    def series_window(self) -> float:
        """Seconds within which two shots of one camera can be of one series (default 30: the
        Canon HDR pair of neardup is 26 s apart)."""
        try:
            return float(self.catalogue.get_setting(SERIES_WINDOW_SETTING) or DEFAULT_WINDOW_S)
        except ValueError:
            return DEFAULT_WINDOW_S

    def set_series_window(self, seconds: float) -> None:
        """Keep the series time window in this library's catalogue."""
        self._check_writable()
        if not seconds > 0:
            raise EngineError("The series time window must be more than 0 seconds.")
        with self._sentences():
            self.catalogue.set_setting(SERIES_WINDOW_SETTING, repr(float(seconds)))

    def trash_photos(self, paths: Sequence[PathLike]) -> TrashReport:
        """Move these photos to the system trash (recoverable; never a permanent delete) and
        out of the library, as when a file disappears; those that cannot be moved stay, and
        are listed with the reason."""
        self._check_writable()
        with self._writing("moving photos to the trash"), self._sentences():
            return trash_photos(self.catalogue, [os.fspath(p) for p in paths])

    def mark_rejected_in_xmp(self, paths: Sequence[PathLike]) -> XmpRejectReport:
        """Mark these photos rejected for other tools instead of moving them: `xmp:Rating="-1"`
        in each one's XMP sidecar (named as `write_xmp` names it; made when missing, else edited
        keeping all it holds). The photos' bytes and the library do not change. A damaged or
        read-only sidecar is skipped and listed with the reason. Blocking file I/O; the report
        holds what `undo_xmp_reject` needs."""
        return mark_rejected([os.fspath(p) for p in paths])

    def undo_xmp_reject(self, report: XmpRejectReport) -> XmpUndoReport:
        """Put back each sidecar `mark_rejected_in_xmp` wrote: the rating it held, none, or no
        sidecar where it made one that holds nothing else. A rating changed since (in another
        tool) is left as it is and listed with the reason."""
        return undo_rejected(report)

    # -- faces --------------------------------------------------------------------------------
    @property
    def face_recognition(self) -> bool:
        """Whether indexing finds faces in this library's photos; on unless turned off."""
        return self.catalogue.get_setting(FACES_SETTING, "on") != "off"

    def set_face_recognition(self, on: bool) -> None:
        """Turn face recognition on or off for this library (the faces found so far stay:
        `delete_face_data` forgets them)."""
        self._check_writable()
        with self._sentences():
            self.catalogue.set_setting(FACES_SETTING, "on" if on else "off")

    @property
    def face_detail(self) -> str:
        """How closely indexing looks for faces: "standard" (faces from 1/20 of a photo's long
        side) or "small" (from 1/30, about 1.5x slower: group photos)."""
        detail = self.catalogue.get_setting(FACE_DETAIL_SETTING, STANDARD.name)
        return detail if detail in FACE_DETAILS else STANDARD.name

    def set_face_detail(self, detail: str) -> None:
        """Look for faces at `detail` from the next indexing run on: every photo is read again
        at the new detail (names kept: faces match by their boxes)."""
        if detail not in FACE_DETAILS:
            raise EngineError(f"Faces are looked for at {' or '.join(FACE_DETAILS)} detail, not {detail!r}.")
        self._check_writable()
        with self._sentences():
            self.catalogue.set_setting(FACE_DETAIL_SETTING, detail)

    def delete_face_data(self) -> int:
        """Forget every face, person and face decision of this library, and its face index; the
        photos, tags and everything else stay. Returns the faces removed."""
        self._check_writable()
        with self._sentences(), self._writing("deleting face data"):
            removed = delete_face_data(self.catalogue)
            index = self._handles.face_index()
            self.catalogue.forget_derived("index/faces")
            index.path.unlink(missing_ok=True)
            return removed

    def faces(self, path: PathLike) -> list[PhotoFace]:
        """The faces the faces step stored for the library's photo at `path`, best first."""
        photo_id = self._library_photo(path)
        with self._sentences():
            rows = faces_of(self.catalogue, [photo_id]).get(photo_id, [])
        return [PhotoFace(row.box, row.score, row.person, row.person_source == "suggested") for row in rows]

    def face_data_size(self) -> tuple[int, int]:
        """(faces, named people) the library holds: what `delete_face_data` would forget."""
        with self._sentences():
            return count_face_data(self.catalogue)

    # -- people (faces/people.py groups and suggests, storage/people_rows.py keeps) -----------
    # A person is "p<id>" (or their name), an automatic group of unnamed faces "g<number>". Every
    # decision works the suggestions and groups out again (a pass over the face descriptors).
    def people(self, samples: int = 4, min_faces: int = 2) -> list[PersonGroup]:
        """The named people (most faces first), then the unnamed groups of at least `min_faces`
        faces (most faces first), each with up to `samples` faces to show."""
        with self._sentences():
            return [self._group(row.person, row.cluster, row.name, row.faces, samples)
                    for row in people_rows.group_rows(self.catalogue, min_faces)]

    def person_faces(self, ref: str, limit: int = 1000) -> list[PersonFace]:
        """Every face (up to `limit`) of a person ("p2" or a name; confirmed first) or an unnamed
        group ("g3"), best detector score first: the faces to look through and correct."""
        with self._sentences():
            kind, number = self._person_ref(ref)
            person, cluster = (number, None) if kind == "person" else (None, number)
            return [PersonFace(f.face_id, f.path, f.box)
                    for f in people_rows.samples(self.catalogue, person, cluster, limit)]

    def person_photos(self, ref: str, model_id: str | None = None) -> list[SearchHit]:
        """The photos with a face of a person or an unnamed group (as `person_faces`), as results
        to show, in the order of their best face."""
        faces = self.person_faces(ref, limit=1_000_000)
        with self._sentences():
            ids = [row.id for row in (self.catalogue.photo_by_path(face.path) for face in faces) if row is not None]
        scored = [(photo_id, 1.0) for photo_id in dict.fromkeys(ids)]
        return self.photo_hits(scored, model_id)

    def name_group(self, group: str, name: str) -> PersonGroup:
        """Name a group ("g3": its faces become that person's, confirmed) or rename a person ("p2");
        a name someone already has joins them."""
        if not name.strip():
            raise EngineError("A person needs a name.")
        kind, number = self._person_ref(group)
        with self._decision() as cat:
            if kind == "person":
                person = people_rows.rename_person(cat, number, name)
            else:
                person = people_rows.add_person(cat, name)
                people_rows.name_faces(cat, people_rows.group_faces_of(cat, number), person)
        return self._person(person)

    def merge_people(self, keep: str, other: str) -> PersonGroup:
        """Make `other` (a person or group) part of `keep`: a group and a person become the
        person, two people become `keep` (with both's "not him"). Two unnamed groups cannot be
        merged as they are: automatic groups are worked out again after each indexing run, so
        one of them is named first (the window asks for the name)."""
        (kind, number), (other_kind, other_number) = self._person_ref(keep), self._person_ref(other)
        if (kind, number) == (other_kind, other_number):
            raise EngineError(f"{keep} and {other} are the same; name two different people or groups.")
        if kind == "group" and other_kind == "group":
            raise EngineError(f"{keep} and {other} are both unnamed groups; name one first "
                              f"(`cbir people name {keep} NAME`), then merge the other into that person.")
        with self._decision() as cat:
            if kind == "group" or other_kind == "group":
                person, cluster = (other_number, number) if kind == "group" else (number, other_number)
                people_rows.name_faces(cat, people_rows.group_faces_of(cat, cluster), person)
                merged = person
            else:
                people_rows.merge_people(cat, number, other_number)
                merged = number
        return self._person(merged)

    def name_faces(self, face_ids: Sequence[int], name: str) -> PersonGroup:
        """Name single faces (confirmed): the person is added when new."""
        if not name.strip():
            raise EngineError("A person needs a name.")
        with self._decision() as cat:
            self._check_faces(face_ids)
            person = people_rows.add_person(cat, name)
            people_rows.name_faces(cat, face_ids, person)
        return self._person(person)

    def remove_faces(self, face_ids: Sequence[int]) -> int:
        """Take faces away from the person they were given to (confirmed or suggested): "not
        Anna" is remembered, and they are never suggested for her again. Returns how many."""
        with self._decision() as cat:
            self._check_faces(face_ids)
            removed = 0
            for face_id in face_ids:
                person, _ = people_rows.face_person(cat, face_id)
                if person is not None:
                    removed += people_rows.reject(cat, person, [face_id])
        return removed

    def suggestions(self, person: str) -> list[PersonFace]:
        """The faces suggested for a person (close to their faces, never rejected for them)."""
        with self._sentences():
            number = self._named(person)
            return [PersonFace(f.face_id, f.path, f.box) for f in people_rows.suggestions_of(self.catalogue, number)]

    def confirm_suggestions(self, person: str, face_ids: Sequence[int] | None = None) -> int:
        """Confirm suggested faces (default: all of them) as the person's; returns how many."""
        with self._decision() as cat:
            number = self._named(person)
            faces = [f.face_id for f in people_rows.suggestions_of(cat, number)] if face_ids is None else face_ids
            self._check_faces(faces)
            return people_rows.confirm(cat, number, faces)

    def reject_suggestions(self, person: str, face_ids: Sequence[int] | None = None) -> int:
        """"Not them" for suggested faces (default: all): never suggested for the person again."""
        with self._decision() as cat:
            number = self._named(person)
            faces = [f.face_id for f in people_rows.suggestions_of(cat, number)] if face_ids is None else face_ids
            self._check_faces(faces)
            return people_rows.reject(cat, number, faces)

    def search_person_like(self, path: PathLike, k: int = 20, model_id: str | None = None,
                           filters: Filters | None = None, distance: float = 0.6) -> list[SearchHit]:
        """"More of this person": the photos whose faces are nearest the main face (best detector
        score) of the photo at `path` (in the library or not), closer than `distance`, nearest
        first; relevance (`_face_relevance`) is strong for faces as close as one person's faces
        usually are and ends at `distance`. [] when it has no face."""
        full = os.path.abspath(os.fspath(path))
        with self._sentences():
            row = self.catalogue.photo_by_path(full)
            stored = faces_of(self.catalogue, [row.id]).get(row.id, []) if row is not None else []
            if stored:
                descriptor = people_rows.descriptor_of(self.catalogue, stored[0].id)
            else:
                found = read_faces(full)
                if not found:
                    return []
                descriptor = found[0].descriptor
            within = self._within(filters)
            allowed = None if within is None else set(within.tolist())
            nearest = self._handles.face_index().nearest(self.catalogue, descriptor, max(10 * k, 100))
            photo_of = people_rows.photos_of_faces(self.catalogue, [face_id for face_id, _ in nearest])
            scored: dict[int, float] = {}
            for face_id, apart in nearest:
                pid = photo_of.get(face_id)
                if pid is not None and apart < distance and pid not in scored and (allowed is None or pid in allowed):
                    scored[pid] = _face_relevance(apart, distance)
            best = sorted(scored.items(), key=lambda item: -item[1])[:k]
            return self._hits(self.embedder(model_id), best, [score for _, score in best], allowed, k)

    def _search_people(self, text: str, k: int, model_id: str | None,
                       filters: Filters | None) -> list[SearchHit] | None:
        """`search_text`'s answer when `text` names people of the library: their photos (all of
        them in each) first, ranked by the other words or newest first, then the ordinary
        results (`rank_named`); None when it names nobody."""
        embedder = self.embedder(model_id)
        with self._sentences():
            query = find_people(self.catalogue, text)
            if query is None:
                return None
            found = self._within(filters)
            within = None if found is None else set(found.tolist())
            if within is not None and not within:
                return []
            return rank_named(
                query, PeoplePhotos(self.catalogue, query), text, k, within,
                lambda words, n, inside: self._search_text(words, n, embedder, inside),
                lambda scored: self._hits(embedder, scored)) or []

    def _decision(self) -> _Decision:
        """`with self._decision() as cat:` one transaction of the user's decisions about people,
        then suggestions and groups worked out again, under the writer lock."""
        self._check_writable()
        return _Decision(self)

    def _person_ref(self, ref: str) -> tuple[str, int]:
        """("person", id) or ("group", number) for "p12", "g3" or a person's name."""
        text = ref.strip()
        if len(text) > 1 and text[0] in "pPgG" and text[1:].isdigit():
            number = int(text[1:])
            if text[0] in "pP":
                if self.catalogue.db.execute("SELECT 1 FROM people WHERE id = ?", (number,)).fetchone():
                    return "person", number
            elif people_rows.group_faces_of(self.catalogue, number):
                return "group", number
        found = people_rows.person_id(self.catalogue, text)
        if found is None:
            raise EngineError(f"No person or group {ref!r}; `cbir people` lists them (p12 a person, g3 a group).")
        return "person", found

    def _named(self, ref: str) -> int:
        kind, number = self._person_ref(ref)
        if kind != "person":
            raise EngineError(f"{ref} is an unnamed group; name it first.")
        return number

    def _check_faces(self, face_ids: Sequence[int]) -> None:
        for face_id in face_ids:
            try:
                people_rows.face_person(self.catalogue, int(face_id))
            except KeyError:
                raise EngineError(f"No face {face_id} in the library; `cbir people` shows the faces' ids.") from None

    def _group(self, person: int | None, cluster: int | None, name: str | None, count: int,
               samples: int) -> PersonGroup:
        faces = tuple(PersonFace(f.face_id, f.path, f.box)
                      for f in people_rows.samples(self.catalogue, person, cluster, samples))
        if person is None:
            return PersonGroup(f"g{cluster}", None, count, faces)
        suggested = len(people_rows.suggestions_of(self.catalogue, person))
        return PersonGroup(f"p{person}", name, count, faces, suggested)

    def _person(self, person: int) -> PersonGroup:
        with self._sentences():
            for row in people_rows.group_rows(self.catalogue, 1):
                if row.person == person:
                    return self._group(row.person, None, row.name, row.faces, 4)
        return PersonGroup(f"p{person}", None, 0)

    def raw_companion(self, path: PathLike) -> str | None:
        """The RAW file paired with the library's JPEG at `path`, if it has one (pairing on or off)."""
        photo_id = self._library_photo(path)
        with self._sentences():
            raws = [raw for raw, jpeg in self.catalogue.raw_pairs_of([photo_id]) if jpeg == photo_id]
            rows = self.catalogue.photos_by_ids(raws[:1])
        return rows[raws[0]].path if raws and raws[0] in rows else None

    def _fetch(self, k: int) -> int:
        """How many hits to rank for `k` results: more when pairs will be merged."""
        return fetch_size(k) if self.pairs_as_one and self.catalogue.has_raw_pairs() else k

    # -- tags ------------------------------------------------------------------------------
    def tags(self, path: PathLike, k: int = 5, model_id: str | None = None) -> list[TagScore]:
        """Tags of an image file: for a library photo the user's own, the model's classes
        and the library's learned terms, merged; for another file the model's classes."""
        embedder = self.embedder(model_id)
        with self._sentences():
            query = embed_file(self.catalogue, embedder, os.fspath(path))
            if query.photo_id is None:
                return (query.tags or [])[:k]
            ids = [query.photo_id]
            return photo_tags(self.catalogue, embedder.id, ids, self.learner.tags(embedder, ids))[ids[0]][:k]

    def edit_tags(self, paths: Sequence[PathLike], add: Sequence[str] = (), remove: Sequence[str] = ()) -> TagEdit:
        """Confirm or add tags (`add`) and reject tags (`remove`) on library photos (a tag in
        both ends up rejected), in one transaction; each decision is also kept by the photo's
        content. Returns the edit with every tag's previous state, for `undo_tag_edit`."""
        self._check_writable()
        wanted = {t.strip().lower(): True for t in add if t.strip()}
        wanted.update({t.strip().lower(): False for t in remove if t.strip()})
        photos = {os.path.abspath(os.fspath(p)): self._library_photo(p) for p in paths}
        with self._sentences(), self.catalogue.transaction("tags"):
            before = self.catalogue.user_tags_of(list(photos.values()))
            self.catalogue.set_user_tags((pid, tag, ok) for pid in photos.values() for tag, ok in wanted.items())
        return TagEdit(tuple(TagChange(path, tag, before.get(pid, {}).get(tag), ok)
                             for path, pid in photos.items() for tag, ok in wanted.items()))

    def undo_tag_edit(self, edit: TagEdit) -> None:
        """Put every tag `edit` changed back as it was (confirmed, rejected, or not the user's),
        in one transaction; raises `EngineError`, changing nothing, when a photo has left the library."""
        self._set_tag_states([(c.path, c.tag, c.before) for c in edit.changes])

    def redo_tag_edit(self, edit: TagEdit) -> None:
        """Apply an undone `edit` again (same contract as `undo_tag_edit`)."""
        self._set_tag_states([(c.path, c.tag, c.after) for c in edit.changes])

    def _set_tag_states(self, states: Sequence[tuple[str, str, bool | None]]) -> None:
        self._check_writable()
        ids = {path: self._library_photo(path) for path, _, _ in states}
        with self._sentences(), self.catalogue.transaction("tags"):
            self.catalogue.set_user_tags((ids[path], tag, state) for path, tag, state in states)

    def user_tags(self, path: PathLike) -> dict[str, bool]:
        """The user's tags on a photo: tag -> confirmed (True) or rejected (False)."""
        photo_id = self._library_photo(path)
        return self.catalogue.user_tags_of([photo_id]).get(photo_id, {})

    def write_xmp(self, paths: Sequence[PathLike]) -> list[Path]:
        """Write confirmed tags (dc:subject) and folder hierarchies (lr:hierarchicalSubject)
        to XMP sidecars beside the photos, merging with what they hold and removing the tags
        the user rejected; and the names of the photo's confirmed faces as MWG face regions
        with People keywords. The photos' own bytes never change."""
        roots = self.folders()
        written = []
        for path in paths:
            full = os.path.abspath(os.fspath(path))
            mine = self.user_tags(full)
            hierarchy = folder_hierarchy(full, roots)
            with sentences(full):
                written.append(write_keywords(full, [t for t, ok in mine.items() if ok],
                                              [hierarchy] if hierarchy else [],
                                              removed=[t for t, ok in mine.items() if not ok]))
                self._write_face_regions(full)
        return written

    def _write_face_regions(self, path: str) -> None:
        """The photo's confirmed names as MWG face regions in its sidecar (photos whose faces were
        read only). A region the file held over no face found here is kept as it was."""
        row = self.catalogue.photo_by_path(path)
        faces = faces_of(self.catalogue, [row.id]).get(row.id, []) if row is not None else []
        if row is None or not faces or row.width <= 0 or row.height <= 0:
            return
        named = [FaceRegion(face.person, face.box) for face in faces
                 if face.person and face.person_source in people_rows.CONFIRMED]
        held = read_face_regions(path)
        over_faces = match_boxes([face.box for face in faces], [region.box for region in held])
        kept = [region for r, region in enumerate(held) if r not in over_faces]
        write_face_regions(path, [*named, *kept], row.width, row.height)

    def _library_photo(self, path: PathLike) -> int:
        row = self.catalogue.photo_by_path(os.path.abspath(os.fspath(path)))
        if row is None:
            raise NotInLibrary(f"{os.fspath(path)} is not in the library; index its folder first.")
        return row.id

    # -- photo metadata ---------------------------------------------------------------------
    def metadata(self, path: PathLike) -> PhotoMetadata:
        """What a library photo's own metadata says (capture time, camera, exposure, size, GPS,
        place), as stored at indexing time. A photo indexed before metadata was read, whose
        folder has not been indexed since, is read from the file now (searching never writes).
        Raises `NotInLibrary` for a file the library has not indexed (`read_photo_metadata`
        reads any file)."""
        photo_id = self._library_photo(path)
        with self._sentences():
            stored = self.catalogue.metadata_of(photo_id)
        return stored if stored is not None else read_photo_metadata(path)

    # -- status, models, files -------------------------------------------------------------
    def status(self, check: bool = True) -> LibraryStatus:
        """What the library holds; `check` runs SQLite's quick check and the derived-state checks."""
        with self._sentences():
            cat = self.catalogue
            found = (cat.problems() + problems(self._handles, self.learner, self.embedder())) if check else []
            return LibraryStatus(library=str(self.root), photos=cat.count_photos(), indexed=cat.count_indexed(),
                                 folders=cat.folders(), models=list(self.manifest.models), failed=cat.failures(),
                                 problems=found, read_only=self.read_only)

    def models(self, devices: bool = False) -> list[ModelInfo]:
        """The models this library can use; `devices` loads each to say what runs it."""
        return _model_infos(self.manifest, devices)

    def device(self, model_id: str | None = None) -> Device:
        """What runs `model_id` (default: the library's model); loads the model once."""
        return _device(self.embedder(model_id))

    def thumbnail(self, cache_dir: Path, path: str, remake: bool = False) -> Path:
        """A JPEG thumbnail of `path` in `cache_dir`, made on a miss or when `remake` (a damaged
        one); blocking: call from a worker."""
        with sentences(str(cache_dir)):
            return thumbnail(cache_dir, path, remake)

    def import_model(self, file: PathLike, name: str | None = None) -> tuple[str, list[str]]:
        """Check an ONNX model against the contract and add it to this library.

        Returns the new model id and notes (e.g. "no tags"); raises `ModelLoadError`
        naming every way the file does not fit.
        """
        self._check_writable()
        with self._sentences():
            model_id, checked = import_model(self.root / MODELS_FOLDER, self.manifest, Path(file), name)
        self._handles.reload_manifest()
        return model_id, list(checked.notes)


STRONG_FACE_DISTANCE = 0.4  # two faces this close are nearly always one person (dlib's descriptors)


def _face_relevance(apart: float, distance: float) -> float:
    """A face's relevance to another from their distance: strong up to STRONG_FACE_DISTANCE,
    still relevant up to where automatic groups stop (GROUP_DISTANCE), weak beyond, 0 at `distance`."""
    limit = max(distance, GROUP_DISTANCE + 1e-6)
    return float(np.interp(apart, [0.0, STRONG_FACE_DISTANCE, GROUP_DISTANCE, limit],
                           [1.0, STRONG_FROM, RELEVANT_FROM, 0.0]))


class _Decision:
    """A transaction of decisions about people under the writer lock; on success the
    suggestions and automatic groups it touched are worked out again in the same transaction
    (`settle`: only around the people it changed, so it answers fast in a large library)."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.writing = library._writing("naming people")
        self.sentences = library._sentences()

    def __enter__(self) -> Catalogue:
        self.writing.__enter__()
        self.sentences.__enter__()
        self.transaction = self.library.catalogue.transaction("people")
        self.transaction.__enter__()
        watch(self.library.catalogue)
        return self.library.catalogue

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            try:
                if kind is None:
                    settle(self.library.catalogue)
            except BaseException as failed:
                self.transaction.__exit__(type(failed), failed, None)
                raise
            self.transaction.__exit__(kind, exc, tb)
        finally:
            try:
                self.sentences.__exit__(kind, exc, tb)
            finally:
                self.writing.__exit__(kind, exc, tb)


class _Writing:
    """Holds the library's writer lock for a blocking write (learning), waiting while another
    process holds it; nested inside a run that holds it already, it just goes along."""

    def __init__(self, library: Library, what: str) -> None:
        self.writer = library._writer
        self.turn = library._write_turn
        self.what = what
        self.mine = False

    def __enter__(self) -> None:
        self.turn.acquire()  # another thread's write finishes first; this thread's own goes along
        if self.writer.held:
            return
        try:
            if not self.writer.try_acquire(self.what):
                log.warning("Waiting for %s, which is changing this library", self.writer.holder())
                while not self.writer.try_acquire(self.what):
                    time.sleep(LOCK_POLL_S)
        except BaseException:
            self.turn.release()
            raise
        self.mine = True

    def __exit__(self, *exc: object) -> None:
        if self.mine:
            self.writer.release()
        self.turn.release()


def _device(embedder: Embedder) -> Device:
    return Device(embedder.runner.provider, embedder.runner.provider_note)


def _model_infos(manifest: Manifest, devices: bool) -> list[ModelInfo]:
    infos = []
    for spec in manifest.models.values():
        device = _device(Embedder(spec)) if devices else Device("")
        infos.append(ModelInfo(
            id=spec.id, name=spec.name, feature_dim=spec.feature_dim,
            has_tags=spec.logits_name is not None, has_words=spec.projection is not None,
            licence=spec.licence, source=spec.source, file=str(spec.path),
            default=spec.id == manifest.default_model, provider=device.provider, provider_note=device.note,
        ))
    return infos
