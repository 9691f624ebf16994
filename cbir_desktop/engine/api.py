"""The one engine API that both the `cbir` CLI and the desktop window call.

A `Library` is a folder holding `catalogue.sqlite` (the source of truth) and
`index/<model>/` (Annoy files rebuilt from it). Methods are blocking and may be
called from any thread: each thread gets its own SQLite connection, and models
load lazily on first use. Long work (`iter_index`) is a generator that yields
progress and checks a cancel event between batches.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .storage.catalogue import FEATURES, WORDS, Catalogue
from .models.embedder import Embedder
from .errors import (
    EngineError,
    FolderNotFound,
    LibraryNotFound,
    ModelLoadError,
    UnknownWord,
)
from .indexing.indexer import plan_index, run_index, vector_kinds
from .learning.labels import root_of
from .learning.learned import (
    MIN_PHOTOS,
    MIN_WORDS,
    NormalEquations,
    TermClassifier,
    TrainingReport,
    choose_terms,
    chunk_targets,
    design_rows,
    learned_tags,
    learned_weight,
    merge_tags,
    own_labels,
    photo_labels,
    targets,
    term_centres,
    term_key,
    text_scores,
    write_meta,
    write_onnx,
)
from .models.manifest import Manifest, load_manifest
from .models.importer import import_model
from .models.runner import OnnxRunner
from .search.image import (
    embed_file,
    hits_for,
    rank_by_image,
    require_words,
    similar_words,
    text_query_vector,
)
from .types import (
    IndexProgress,
    IndexReport,
    LibraryStatus,
    ModelInfo,
    SearchHit,
    TagScore,
    WordHit,
)
from .vectors.index import VectorIndex
from .words.vectors import WordVectors
from .words.space import WordSpace, glove_space, shipped_space
from .photos.sidecars import write_keywords

__all__ = ["Library", "open_library", "default_library_dir", "list_models"]


@dataclass
class _Learned:
    kind: str
    runner: OnnxRunner
    terms: TermClassifier
    label_vectors: np.ndarray
    checked_seq: int = -1


CATALOGUE_FILE = "catalogue.sqlite"
MODELS_FOLDER = "models"  # models the user imported into this library
MODEL_SETTING = "model"
TRAIN_CHUNK = 4096  # photos read, solved and projected at a time while learning


def default_library_dir() -> Path:
    """`CBIR_LIBRARY` if set, else the platform's user data folder."""
    env = os.environ.get("CBIR_LIBRARY")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("cbir-desktop", appauthor=False)) / "library"


def open_library(
    root: str | os.PathLike[str] | None = None,
    create: bool = True,
    model_id: str | None = None,
    threads: int | None = None,
    word_vectors: str | os.PathLike[str] | None = None,
) -> Library:
    """Open (or create) the library in `root`; `create=False` refuses a missing one.

    `word_vectors` names a GloVe text file to use instead of the shipped vectors
    (default: `$CBIR_WORD_VECTORS`, else the shipped ones).
    """
    path = Path(root).expanduser() if root is not None else default_library_dir()
    if not (path / CATALOGUE_FILE).is_file():
        if not create:
            raise LibraryNotFound(f"No library at {path}; run `cbir index FOLDER` to create one.")
        path.mkdir(parents=True, exist_ok=True)
    return Library(path, model_id=model_id, threads=threads, word_vectors=word_vectors)


def _learned_inputs(catalogue: Catalogue, embedder: Embedder, ids: list[int]) -> np.ndarray:
    """The learned models' input rows: image features and the shipped zero-shot word vector."""
    feats = catalogue.vectors_of(ids, embedder.id, FEATURES)
    zero_shot = catalogue.vectors_of(ids, embedder.id, WORDS)
    return design_rows(np.stack([feats[i] for i in ids]), np.stack([zero_shot[i] for i in ids]))


def list_models(manifest: Manifest | None = None) -> list[ModelInfo]:
    manifest = manifest or load_manifest()
    return [
        ModelInfo(
            id=spec.id, name=spec.name, feature_dim=spec.feature_dim,
            has_tags=spec.logits_name is not None, has_words=spec.projection is not None,
            licence=spec.licence, source=spec.source, file=str(spec.path),
            default=spec.id == manifest.default_model,
        )
        for spec in manifest.models.values()
    ]


class Library:
    """A photo library: folders, catalogue, per-model vector indexes, search."""

    def __init__(
        self,
        root: Path,
        model_id: str | None = None,
        threads: int | None = None,
        word_vectors: str | os.PathLike[str] | None = None,
    ) -> None:
        self.root = Path(root)
        self.manifest = load_manifest().with_library_models(self.root / MODELS_FOLDER)
        self.word_vectors_file = word_vectors or os.environ.get("CBIR_WORD_VECTORS") or None
        self._space: WordSpace | None = None
        self._learned_cache: dict[tuple[str, str], _Learned] = {}
        self._space_checked: dict[tuple[str, str], int] = {}
        self._local = threading.local()
        self._lock = threading.Lock()
        self._threads = threads
        self._embedders: dict[str, Embedder] = {}
        self._indexes: dict[tuple[str, str], VectorIndex] = {}
        self._catalogues: list[Catalogue] = []
        stored = self.catalogue.get_setting(MODEL_SETTING)
        self.model_id = self.manifest.model(model_id or stored).id

    # -- plumbing -------------------------------------------------------------
    @property
    def catalogue(self) -> Catalogue:
        """This thread's connection (SQLite connections stay in their thread)."""
        cat = getattr(self._local, "catalogue", None)
        if cat is None:
            cat = Catalogue(self.root / CATALOGUE_FILE)
            self._local.catalogue = cat
            with self._lock:
                self._catalogues.append(cat)
        return cat

    def embedder(self, model_id: str | None = None) -> Embedder:
        spec = self.manifest.model(model_id or self.model_id)
        with self._lock:
            if spec.id not in self._embedders:
                self._embedders[spec.id] = Embedder(spec, self._threads)
            return self._embedders[spec.id]

    def vector_index(self, model_id: str, kind: str, dim: int) -> VectorIndex:
        with self._lock:
            key = (model_id, kind)
            if key not in self._indexes:
                self._indexes[key] = VectorIndex(self.root / "index", model_id, kind, dim)
            return self._indexes[key]

    def _indexes_for(self, embedder: Embedder) -> list[VectorIndex]:
        return [self.vector_index(embedder.id, kind, dim) for kind, dim in vector_kinds(embedder)]

    def word_space(self) -> WordSpace:
        """The word space in use (shipped vectors or the user's GloVe file), loaded once."""
        with self._lock:
            if self._space is None:
                if self.word_vectors_file:
                    self._space = glove_space(self.word_vectors_file, self.root / "word_vectors")
                else:
                    path = self.manifest.word_vectors_path
                    if path is None or not path.is_file():
                        raise ModelLoadError("The word vectors file is missing; reinstall cbir-desktop.")
                    self._space = shipped_space(path)
            return self._space

    def words(self) -> WordVectors:
        """The word vectors of the word space in use."""
        return self.word_space().words

    def _ensure_space_vectors(self, embedder: Embedder, space: WordSpace) -> None:
        """Project photos into a non-shipped word space, once per photo (from stored tags)."""
        cat = self.catalogue
        latest = cat.max_seq(embedder.id, FEATURES)
        if self._space_checked.get((embedder.id, space.id)) == latest:
            return
        def project(chunk: list[int]) -> np.ndarray:
            tags = cat.tags_of(chunk, embedder.id)
            return embedder.project_tags(space, [tags.get(pid, []) for pid in chunk])

        self._project_and_store(embedder, space.kind, cat.photos_missing_kind(embedder.id, space.kind), project)
        index = self.vector_index(embedder.id, space.kind, space.words.dim)
        if index.is_stale(cat):
            index.rebuild(cat)
        self._space_checked[(embedder.id, space.id)] = latest

    def set_model(self, model_id: str) -> None:
        """Make `model_id` the library's model for indexing and search (persisted)."""
        self.model_id = self.manifest.model(model_id).id
        self.catalogue.set_setting(MODEL_SETTING, self.model_id)

    def close(self) -> None:
        with self._lock:
            for index in self._indexes.values():
                index.close()
            for cat in self._catalogues:
                try:
                    cat.close()
                except Exception:  # noqa: BLE001 - closing from another thread
                    pass
            self._catalogues.clear()
        self._local = threading.local()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- folders ----------------------------------------------------------------
    def folders(self) -> list[str]:
        return self.catalogue.folders()

    def add_folder(self, folder: str | os.PathLike[str]) -> str:
        path = os.path.abspath(os.fspath(folder))
        if not os.path.isdir(path):
            raise FolderNotFound(f"{path} is not a folder.")
        self.catalogue.add_folder(path)
        return path

    def remove_folder(self, folder: str | os.PathLike[str]) -> int:
        """Stop watching a folder and drop its photos from the library (files untouched)."""
        return self.catalogue.remove_folder(os.path.abspath(os.fspath(folder)))

    # -- indexing ---------------------------------------------------------------
    def iter_index(
        self,
        folders: Iterable[str | os.PathLike[str]] | None = None,
        cancel: threading.Event | None = None,
        model_id: str | None = None,
        batch_size: int | None = None,
    ) -> Generator[IndexProgress, None, IndexReport]:
        """Index `folders` (default: all remembered ones), yielding progress.

        New folders are remembered. Uses its own catalogue connection, so it can
        run in a worker thread while searches run elsewhere.
        """
        cancel = cancel or threading.Event()
        targets = [self.add_folder(f) for f in folders] if folders else self.folders()
        embedder = self.embedder(model_id)
        catalogue = Catalogue(self.root / CATALOGUE_FILE)
        try:
            yield IndexProgress("scanning", 0, 0)
            plan = plan_index(catalogue, targets, embedder.id, cancel)
            if plan.report.cancelled:
                return plan.report
            return (yield from run_index(
                catalogue, plan, embedder, self._indexes_for(embedder), cancel, batch_size
            ))
        finally:
            catalogue.close()

    def index(self, folders: Iterable[str] | None = None, **kwargs: object) -> IndexReport:
        """Index to completion without progress (tests, scripts)."""
        gen = self.iter_index(folders, **kwargs)  # type: ignore[arg-type]
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]

    # -- search -------------------------------------------------------------------
    def search_image(self, path: str | os.PathLike[str], k: int = 20,
                     model_id: str | None = None) -> list[SearchHit]:
        """Photos that look like the image file at `path` (in the library or not)."""
        embedder = self.embedder(model_id)
        query = embed_file(self.catalogue, embedder, os.fspath(path))
        index = self.vector_index(embedder.id, FEATURES, embedder.spec.feature_dim)
        return self._hits(embedder, rank_by_image(self.catalogue, index, query, k))

    def search_text(self, text: str, k: int = 20, model_id: str | None = None) -> list[SearchHit]:
        """Photos matching a word or phrase: the zero-shot projection, blended with the
        projection learned from the library's own labels once one is trained; a query
        that is one of the library's own terms is re-ranked by that term's classifier."""
        embedder = self.embedder(model_id)
        require_words(embedder)
        space = self.word_space()
        learned = self._learned(embedder, space)
        term = learned.terms.position.get(term_key(text, space.words.__contains__)) if learned else None
        try:
            query: np.ndarray | None = text_query_vector(space.words, text)
        except UnknownWord:
            if term is None:
                raise
            query = None  # a word of the user's own (a folder name) with no vector
        if not space.shipped:
            self._ensure_space_vectors(embedder, space)
        index = self.vector_index(embedder.id, space.kind, space.words.dim)
        weight = learned_weight(query, learned.label_vectors) if learned and query is not None else 0.0
        if query is not None and weight == 0.0 and term is None:
            return self._hits(embedder, index.search(self.catalogue, query, k))
        assert learned is not None
        learned_index = self.vector_index(embedder.id, learned.kind, space.words.dim)
        wanted = max(k * 5, 200)
        centre = learned.terms.prototypes[term] if term is not None else None
        candidates: set[int] = set()
        if query is not None:
            candidates |= {pid for pid, _ in index.search(self.catalogue, query, wanted)}
            candidates |= {pid for pid, _ in learned_index.search(self.catalogue, query, wanted)}
        if centre is not None:
            candidates |= {pid for pid, _ in learned_index.search(self.catalogue, centre, wanted)}
        ids = sorted(candidates)
        zero = self.catalogue.vectors_of(ids, embedder.id, space.kind)
        mine = self.catalogue.vectors_of(ids, embedder.id, learned.kind)
        ids = [pid for pid in ids if pid in zero and pid in mine]
        if not ids:
            return []
        term_scores = learned.terms.scores(self._learned_inputs(embedder, ids), term) if term is not None else None
        scores = text_scores(np.stack([zero[pid] for pid in ids]), np.stack([mine[pid] for pid in ids]),
                             query, weight, centre, term_scores)
        order = np.argsort(-scores, kind="stable")[:k]
        return self._hits(embedder, [(ids[i], float(scores[i])) for i in order])

    # -- the user's own tags -----------------------------------------------------------
    def _library_photo(self, path: str | os.PathLike[str]) -> int:
        row = self.catalogue.photo_by_path(os.path.abspath(os.fspath(path)))
        if row is None:
            raise EngineError(f"{os.fspath(path)} is not in the library; index its folder first.")
        return row.id

    def edit_tags(self, paths: Sequence[str | os.PathLike[str]], add: Sequence[str] = (),
                  remove: Sequence[str] = ()) -> None:
        """Confirm or add tags (`add`) and reject tags (`remove`) on library photos."""
        ids = [self._library_photo(p) for p in paths]
        with self.catalogue.transaction():
            for photo_id in ids:
                for tag in add:
                    self.catalogue.set_user_tag(photo_id, tag.strip().lower(), True)
                for tag in remove:
                    self.catalogue.set_user_tag(photo_id, tag.strip().lower(), False)

    def user_tags(self, path: str | os.PathLike[str]) -> dict[str, bool]:
        """The user's tags on a photo: tag -> confirmed (True) or rejected (False)."""
        photo_id = self._library_photo(path)
        return self.catalogue.user_tags_of([photo_id]).get(photo_id, {})

    def write_xmp(self, paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
        """Write confirmed tags (dc:subject) and folder hierarchies (lr:hierarchicalSubject)
        to XMP sidecars beside the photos, merging with what they hold. Photos untouched."""
        written = []
        roots = self.folders()
        for path in paths:
            full = os.path.abspath(os.fspath(path))
            tags = [t for t, confirmed in self.user_tags(full).items() if confirmed]
            root = root_of(full, roots)
            hierarchy = []
            if root is not None:
                relative = os.path.relpath(os.path.dirname(full), root)
                if relative not in (".", ""):
                    hierarchy.append("|".join(relative.split(os.sep)))
            written.append(write_keywords(full, tags, hierarchy))
        return written

    # -- learning from the library's own labels ----------------------------------------
    def train_words(self, model_id: str | None = None,
                    only_photos: set[int] | None = None) -> TrainingReport:
        """Learn a word projection and a classifier of the library's own terms from folder
        names and the user's tags (blocking: run it in a worker).

        `only_photos` restricts the labelled photos used (evaluation on a split).
        """
        start = time.perf_counter()
        embedder = self.embedder(model_id)
        space = self.word_space()
        cat = self.catalogue
        photos = cat.indexed_paths(embedder.id)
        pool = [(pid, path) for pid, path in photos if only_photos is None or pid in only_photos]
        roots = self.folders()
        known = space.words.__contains__
        labels, terms_of = own_labels(photo_labels(pool, roots, known),
                                      cat.user_tags_of([pid for pid, _ in pool]), known)
        report = TrainingReport(photos=len(labels), words=sorted({w for ws in labels.values() for w in ws}))
        paths = self._learned_paths(embedder, space)
        kind = f"learned:{space.id}"
        if len(labels) < MIN_PHOTOS or len(report.words) < MIN_WORDS:
            report.off_reason = (f"needs at least {MIN_PHOTOS} photos in folders named after what they "
                                 f"show, with {MIN_WORDS}+ different words; found {len(labels)} photos "
                                 f"and {len(report.words)} words")
            for path in paths:
                path.unlink(missing_ok=True)
            with cat.transaction():
                cat.delete_kind(embedder.id, kind)
            self._learned_cache.pop((embedder.id, space.id), None)
            return report
        terms = choose_terms(terms_of)
        position = {t: i for i, t in enumerate(terms)}
        word_ids, word_targets = targets(labels, space.words.vector)
        word_rows = dict(zip(word_ids, word_targets))
        rows = sorted(set(word_rows) | {pid for pid, ts in terms_of.items() if any(t in position for t in ts)})
        equations = NormalEquations(space.words.dim, len(terms))
        for chunk, inputs in self._input_chunks(embedder, rows):
            equations.add(inputs, *chunk_targets(chunk, word_rows, terms_of, position, space.words.dim))
        word_weights, term_weights = equations.solve()
        write_onnx(paths[0], word_weights)
        runner = OnnxRunner(paths[0], 1)
        # Every photo's learned vector is replaced in place, chunk by chunk: searches meanwhile
        # keep answering (the previous model stays loaded until the swap below).
        learned_vectors: dict[int, np.ndarray] = {}
        for chunk, inputs in self._input_chunks(embedder, [pid for pid, _ in photos]):
            projected = dict(zip(chunk, runner.run(["embedding"], {"inputs": inputs})[0]))
            with cat.transaction():
                cat.store_kind(embedder.id, kind, projected)
            learned_vectors.update(projected)
        centres = term_centres(position, terms_of, learned_vectors, space.words.dim)
        TermClassifier(terms, term_weights, centres).save(paths[2])
        report.terms = terms
        report.prototypes = [t for t in terms if space.words.vector(t) is None]
        report.seconds = time.perf_counter() - start
        write_meta(paths[1], report)
        self.vector_index(embedder.id, kind, space.words.dim).rebuild(cat)
        self._learned_cache.pop((embedder.id, space.id), None)
        return report

    def _project_and_store(
        self, embedder: Embedder, kind: str, ids: list[int], project: Callable[[list[int]], np.ndarray]
    ) -> dict[int, np.ndarray]:
        """Compute a kind of vector for photos in chunks, committing each chunk; returns them."""
        done: dict[int, np.ndarray] = {}
        for start in range(0, len(ids), TRAIN_CHUNK):
            chunk = ids[start : start + TRAIN_CHUNK]
            vectors = dict(zip(chunk, project(chunk)))
            with self.catalogue.transaction():
                self.catalogue.store_kind(embedder.id, kind, vectors)
            done.update(vectors)
        return done

    def _learned_inputs(self, embedder: Embedder, ids: list[int]) -> np.ndarray:
        return _learned_inputs(self.catalogue, embedder, ids)

    def _input_chunks(self, embedder: Embedder, ids: list[int]) -> Iterator[tuple[list[int], np.ndarray]]:
        """The learned models' inputs chunk by chunk, the next chunk read (SQLite, in its own
        connection) while the caller computes on this one: 100k photos train ~5 s faster."""
        chunks = [ids[i : i + TRAIN_CHUNK] for i in range(0, len(ids), TRAIN_CHUNK)]
        if not chunks:
            return
        reader = Catalogue(self.root / CATALOGUE_FILE, readonly=True)
        try:
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(_learned_inputs, reader, embedder, chunks[0])
                for n, chunk in enumerate(chunks):
                    inputs = pending.result()
                    if n + 1 < len(chunks):
                        pending = pool.submit(_learned_inputs, reader, embedder, chunks[n + 1])
                    yield chunk, inputs
        finally:
            reader.close()

    def _learned_paths(self, embedder: Embedder, space: WordSpace) -> tuple[Path, Path, Path]:
        """The projection (ONNX), its metadata (JSON) and the term classifier (npz)."""
        stem = f"{embedder.id}@{space.id}"
        folder = self.root / "learned"
        return folder / f"{stem}.onnx", folder / f"{stem}.json", folder / f"{stem}.terms.npz"

    def _learned(self, embedder: Embedder, space: WordSpace) -> _Learned | None:
        """The trained projection of this model and word space, with new photos projected."""
        key = (embedder.id, space.id)
        model_path, meta_path, terms_path = self._learned_paths(embedder, space)
        if not model_path.is_file() or not meta_path.is_file() or not terms_path.is_file():
            return None
        learned = self._learned_cache.get(key)
        if learned is None:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            label_vectors = [space.words.vector(w) for w in meta.get("words", [])]
            matrix = np.stack([v for v in label_vectors if v is not None]) if label_vectors else np.zeros((0, 1))
            learned = _Learned(f"learned:{space.id}", OnnxRunner(model_path, 1),
                               TermClassifier.load(terms_path), matrix.astype(np.float32))
            self._learned_cache[key] = learned
        cat = self.catalogue
        latest = cat.max_seq(embedder.id, FEATURES)
        if learned.checked_seq != latest:  # photos indexed since training get projected
            runner = learned.runner
            self._project_and_store(
                embedder, learned.kind, cat.photos_missing_kind(embedder.id, learned.kind),
                lambda chunk: runner.run(["embedding"], {"inputs": self._learned_inputs(embedder, chunk)})[0],
            )
            learned.checked_seq = latest
        return learned

    def _photo_tags(self, embedder: Embedder, ids: list[int]) -> dict[int, list[TagScore]]:
        """Each photo's tags: the user's, the model's classes and the learned terms, merged."""
        model = self.catalogue.tags_of(ids, embedder.id)
        user = self.catalogue.user_tags_of(ids)
        learned: dict[int, list[TagScore]] = {}
        trained = embedder.spec.projection is not None and any(
            (self.root / "learned").glob(f"{embedder.id}@*.terms.npz"))  # no word space loaded for nothing
        found = self._learned(embedder, self.word_space()) if trained else None
        if found is not None and found.terms.terms and ids:
            scores = found.terms.scores(self._learned_inputs(embedder, ids))
            learned = {pid: learned_tags(found.terms, row) for pid, row in zip(ids, scores)}
        return {pid: merge_tags(model.get(pid, []), learned.get(pid, []), user.get(pid, {})) for pid in ids}

    def _hits(self, embedder: Embedder, scored: Sequence[tuple[int, float]]) -> list[SearchHit]:
        """(photo_id, score) pairs as hits, each with its merged tags."""
        return hits_for(self.catalogue, scored, self._photo_tags(embedder, [pid for pid, _ in scored]))

    def similar_words(self, word: str, k: int = 10) -> list[WordHit]:
        return similar_words(self.words(), word, k)

    def completions(self, prefix: str, k: int = 10) -> list[str]:
        return self.words().completions(prefix, k)

    def tags(self, path: str | os.PathLike[str], k: int = 5, model_id: str | None = None) -> list[TagScore]:
        """Tags of an image file: for a library photo the user's own, the model's classes
        and the library's learned terms, merged; for another file the model's classes."""
        embedder = self.embedder(model_id)
        query = embed_file(self.catalogue, embedder, os.fspath(path))
        if query.photo_id is None:
            return (query.tags or [])[:k]
        return self._photo_tags(embedder, [query.photo_id])[query.photo_id][:k]

    def photo_hits(self, ids_scores: Sequence[tuple[int, float]], model_id: str | None = None) -> list[SearchHit]:
        embedder = self.embedder(model_id)
        return self._hits(embedder, ids_scores)

    # -- status -------------------------------------------------------------------
    def status(self) -> LibraryStatus:
        cat = self.catalogue
        return LibraryStatus(
            library=str(self.root),
            photos=cat.count_photos(),
            indexed=cat.count_indexed(),
            folders=cat.folders(),
            models=list(self.manifest.models),
            failed=cat.failures(),
        )

    def models(self) -> list[ModelInfo]:
        return list_models(self.manifest)

    def import_model(self, file: str | os.PathLike[str], name: str | None = None) -> tuple[str, list[str]]:
        """Check an ONNX model against the contract and add it to this library.

        Returns the new model id and notes (e.g. "no tags"); raises `ModelLoadError`
        naming every way the file does not fit.
        """
        model_id, checked = import_model(self.root / MODELS_FOLDER, self.manifest, Path(file), name)
        with self._lock:
            self.manifest = load_manifest().with_library_models(self.root / MODELS_FOLDER)
        return model_id, list(checked.notes)
