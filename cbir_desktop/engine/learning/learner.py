"""The learning room of one library: training from its labels, the learned folder, bringing photos up to date.

A `Learner` owns `learned/` (per model and word space: the word projection as ONNX,
its metadata as JSON, the term classifier as npz), a cache of what is loaded from
it, training, and `catch_up`, which projects photos indexed since training (and into
a user's GloVe space) and rebuilds the indexes of those vectors. Searches only read
what it has stored (`state`), so a query never writes.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..handles import LibraryHandles
from ..models.embedder import Embedder
from ..models.runner import OnnxRunner
from ..storage.catalogue import FEATURES, WORDS, Catalogue
from ..types import TagScore, TrainingReport
from ..words.space import WordSpace
from .learned import (
    BACKGROUND_WEIGHT,
    CALIBRATION_FOLDS,
    MAX_BACKGROUND,
    MIN_PHOTOS,
    MIN_WORDS,
    NormalEquations,
    TermCalibration,
    TermClassifier,
    choose_terms,
    chunk_targets,
    design_rows,
    learned_tags,
    own_labels,
    photo_labels,
    targets,
    term_centres,
    write_meta,
    write_onnx,
)

log = logging.getLogger(__name__)

TRAIN_CHUNK = 4096  # photos read, solved and projected at a time while learning
Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LearnedState:
    """What one model learned in one word space, as searches and tags read it."""

    kind: str  # the catalogue kind of the photos' learned vectors
    runner: OnnxRunner  # the learned projection (features + zero-shot -> word space)
    terms: TermClassifier
    label_vectors: Vectors  # word vectors of the label words (the blend's closeness)
    stamp: int  # the metadata file's mtime: another process's training reloads it


@dataclass(frozen=True)
class _Files:
    projection: Path
    meta: Path
    terms: Path

    def all_there(self) -> bool:
        return self.projection.is_file() and self.meta.is_file() and self.terms.is_file()

    def any_there(self) -> bool:
        return self.projection.is_file() or self.meta.is_file() or self.terms.is_file()

    def sizes(self) -> dict[str, int]:
        """Each file's size (-1: missing): what the catalogue's record is checked against."""
        return {p.name: p.stat().st_size if p.is_file() else -1 for p in (self.projection, self.meta, self.terms)}

    def remove(self) -> None:
        for path in (self.projection, self.meta, self.terms):
            path.unlink(missing_ok=True)


def learned_inputs(catalogue: Catalogue, model_id: str, ids: list[int]) -> Vectors:
    """The learned models' input rows: image features and the shipped zero-shot word vector."""
    feats = catalogue.vectors_of(ids, model_id, FEATURES)
    zero_shot = catalogue.vectors_of(ids, model_id, WORDS)
    return design_rows(np.stack([feats[i] for i in ids]), np.stack([zero_shot[i] for i in ids]))


class Learner:
    """Learns text search from one library's folder names and tags; see the module docstring."""

    def __init__(self, handles: LibraryHandles) -> None:
        self._handles = handles
        self._folder = handles.root / "learned"
        self._cache: dict[tuple[str, str], LearnedState] = {}
        self._lock = threading.Lock()

    # -- training -----------------------------------------------------------------
    def train(self, embedder: Embedder, only_photos: set[int] | None = None) -> TrainingReport:
        """Learn the word projection and the term classifier (blocking: call from a worker).

        `only_photos` restricts the labelled photos used (evaluation on a split).
        """
        start = time.perf_counter()
        space = self._handles.word_space()
        cat = self._handles.catalogue
        photos = cat.indexed_paths(embedder.id)
        pool = [(pid, path) for pid, path in photos if only_photos is None or pid in only_photos]
        known = space.words.__contains__
        labels, terms_of = own_labels(photo_labels(pool, cat.folders(), known),
                                      cat.user_tags_of([pid for pid, _ in pool]), known)
        report = TrainingReport(photos=len(labels), words=sorted({w for ws in labels.values() for w in ws}))
        files = self._files(embedder.id, space.id)
        kind = learned_kind(space)
        record = _record_name(embedder.id, space.id)
        built_from = cat.max_seq(embedder.id, FEATURES)
        cat.record_derived(record, -1, {"state": "training"})  # until "done": partial, relearned by heal
        if len(labels) < MIN_PHOTOS or len(report.words) < MIN_WORDS:
            report.off_reason = (f"needs at least {MIN_PHOTOS} photos in folders named after what they "
                                 f"show, with {MIN_WORDS}+ different words; found {len(labels)} photos "
                                 f"and {len(report.words)} words")
            files.remove()
            with cat.transaction("learned"):
                cat.delete_kind(embedder.id, kind)
            cat.record_derived(record, built_from, {"state": "off"})
            self._forget(embedder.id, space.id)
            return report
        terms = choose_terms(terms_of)
        position = {t: i for i, t in enumerate(terms)}
        word_ids, word_targets = targets(labels, space.words.vector)
        word_rows = dict(zip(word_ids, word_targets, strict=True))
        labelled = set(word_rows) | {pid for pid, ts in terms_of.items() if any(t in position for t in ts)}
        unlabelled = [pid for pid, _ in pool if pid not in labelled]
        # Photos with no term are the classifier's background ("none of my words"), evenly sampled.
        background = set(unlabelled[:: max(1, -(-len(unlabelled) // MAX_BACKGROUND))])
        rows = sorted(labelled | background)
        equations = NormalEquations(space.words.dim, len(terms), CALIBRATION_FOLDS if terms else 0)
        for chunk, inputs in self._input_chunks(embedder.id, rows):
            weights = np.array([BACKGROUND_WEIGHT if pid in background else 1.0 for pid in chunk], np.float32)
            equations.add(inputs, *chunk_targets(chunk, word_rows, terms_of, position, space.words.dim),
                          weights, _fold(chunk))
        word_weights, term_weights = equations.solve()
        write_onnx(files.projection, word_weights)
        calibration = _Calibrating(equations.solve_folds() if terms else [], set(rows), terms_of, position)
        # Every photo's learned vector is replaced in place, chunk by chunk: searches meanwhile
        # keep answering (the previous model stays loaded until the files are swapped). The same
        # pass scores the training photos with the models that did not see them (calibration).
        learned = self._store(embedder.id, kind, self._projected(
            OnnxRunner(files.projection, 1), embedder.id, [pid for pid, _ in photos], calibration.add))
        centres = term_centres(position, terms_of, learned, space.words.dim)
        TermClassifier(terms, term_weights, centres, calibration.thresholds()).save(files.terms)
        report.terms = terms
        report.prototypes = [t for t in terms if space.words.vector(t) is None]
        report.seconds = time.perf_counter() - start
        write_meta(files.meta, report)  # written last: the three files are complete from here on
        cat.record_derived(record, built_from, {"state": "done", "sizes": files.sizes()})
        self._handles.vector_index(embedder.id, kind, space.words.dim).rebuild(cat)
        self._forget(embedder.id, space.id)
        return report

    # -- reading what was learned ---------------------------------------------------------
    def state(self, embedder: Embedder, space: WordSpace) -> LearnedState | None:
        """The learned state of this model and word space (None: nothing learned); never writes."""
        files = self._files(embedder.id, space.id)
        if not files.all_there():
            return None
        record = self._handles.catalogue.derived(_record_name(embedder.id, space.id))
        if record is not None and record[1].get("state") == "done" and record[1].get("sizes") != files.sizes():
            return None  # not the files training recorded: zero-shot until heal relearns
        stamp = files.meta.stat().st_mtime_ns
        key = (embedder.id, space.id)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.stamp == stamp:
                return cached
            try:
                state = _load_state(files, space, stamp)
            except Exception as exc:  # noqa: BLE001 - damaged files: any reader may raise anything
                # Searches answer zero-shot meanwhile; the next indexing run relearns it (healing).
                log.warning("What was learned for %s is damaged (%s); it is relearned at the next indexing run",
                            files.meta.stem, exc)
                return None
            self._cache[key] = state
            return state

    def needs_healing(self, embedder: Embedder) -> str:
        """Why what was learned must be relearned ("" when it is sound or nothing was learned)."""
        cat = self._handles.catalogue
        if embedder.spec.projection is None or not (
                cat.derived_names(_record_name(embedder.id, "")) or self.has_learned(embedder.id, any_file=True)):
            return ""  # nothing learned, nothing begun: no word vectors loaded for nothing
        record = cat.derived(_record_name(embedder.id, self._handles.word_space().id))
        state = record[1].get("state") if record else None
        if state == "off" or (state is None and not self.has_learned(embedder.id, any_file=True)):
            return ""
        if state == "training":
            return "learning was interrupted"
        if state is None:
            return "what was learned is not recorded as complete"
        if self.state(embedder, self._handles.word_space()) is None:
            return "what was learned is missing or damaged"
        return ""

    def has_learned(self, model_id: str, any_file: bool = False) -> bool:
        """Whether anything was learned for this model (in any word space): no words loaded for nothing.
        `any_file`: any of the learned files, complete or not."""
        return any(self._folder.glob(f"{model_id}@*" if any_file else f"{model_id}@*.terms.npz"))

    def tags(self, embedder: Embedder, ids: list[int]) -> dict[int, list[TagScore]]:
        """Each photo's best-scoring own terms, as suggested tags ({} when nothing is learned)."""
        if not ids or embedder.spec.projection is None or not self.has_learned(embedder.id):
            return {}
        state = self.state(embedder, self._handles.word_space())
        if state is None or not state.terms.terms:
            return {}
        scores = state.terms.scores(learned_inputs(self._handles.catalogue, embedder.id, ids))
        return {pid: learned_tags(state.terms, row) for pid, row in zip(ids, scores, strict=True)}

    # -- keeping photos up to date ------------------------------------------------------------
    def catch_up(self, embedder: Embedder) -> None:
        """Project photos indexed since training (and into a user's word space), then rebuild
        the indexes of those vectors that are stale. Part of indexing; cheap when nothing is new."""
        if embedder.spec.projection is None:
            return
        cat = self._handles.catalogue
        if self._handles.word_vectors_file:
            space = self._handles.word_space()
            missing = cat.photos_missing_kind(embedder.id, space.kind)
            self._store(embedder.id, space.kind, self._in_space(embedder, space, missing))
            self._rebuild_if_stale(embedder.id, space.kind, space.words.dim)
        if not self.has_learned(embedder.id):
            return
        space = self._handles.word_space()
        state = self.state(embedder, space)
        if state is None:  # damaged: healing relearns it at the next indexing run
            return
        missing = cat.photos_missing_kind(embedder.id, state.kind)
        self._store(embedder.id, state.kind, self._projected(state.runner, embedder.id, missing))
        self._rebuild_if_stale(embedder.id, state.kind, space.words.dim)

    # -- internals ---------------------------------------------------------------------
    def _store(self, model_id: str, kind: str, computed: Iterator[tuple[list[int], Vectors]]) -> dict[int, Vectors]:
        """Store a kind of vector chunk by chunk, committing each chunk; returns them all."""
        cat = self._handles.catalogue
        done: dict[int, Vectors] = {}
        for chunk, rows in computed:
            vectors = dict(zip(chunk, rows, strict=True))
            with cat.transaction("learned"):
                cat.store_kind(model_id, kind, vectors)
            done.update(vectors)
        return done

    def _projected(self, runner: OnnxRunner, model_id: str, ids: list[int],
                   also: Callable[[list[int], Vectors], None] | None = None) -> Iterator[tuple[list[int], Vectors]]:
        """Photos' learned vectors, chunk by chunk (`also` sees each chunk's inputs too)."""
        for chunk, inputs in self._input_chunks(model_id, ids):
            if also is not None:
                also(chunk, inputs)
            yield chunk, runner.run(["embedding"], {"inputs": inputs})[0]

    def _in_space(self, embedder: Embedder, space: WordSpace, ids: list[int]) -> Iterator[tuple[list[int], Vectors]]:
        """Photos' vectors in a user's word space, from their stored top classes (no image read)."""
        cat = self._handles.catalogue
        for start in range(0, len(ids), TRAIN_CHUNK):
            chunk = ids[start : start + TRAIN_CHUNK]
            tags = cat.tags_of(chunk, embedder.id)
            yield chunk, embedder.project_tags(space, [tags.get(pid, []) for pid in chunk])

    def _input_chunks(self, model_id: str, ids: list[int]) -> Iterator[tuple[list[int], Vectors]]:
        """The learned models' inputs chunk by chunk, the next chunk read (SQLite, in its own
        connection) while the caller computes on this one: 100k photos train ~5 s faster."""
        chunks = [ids[i : i + TRAIN_CHUNK] for i in range(0, len(ids), TRAIN_CHUNK)]
        if not chunks:
            return
        reader = self._handles.open_catalogue(readonly=True)
        try:
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(learned_inputs, reader, model_id, chunks[0])
                for n, chunk in enumerate(chunks):
                    inputs = pending.result()
                    if n + 1 < len(chunks):
                        pending = pool.submit(learned_inputs, reader, model_id, chunks[n + 1])
                    yield chunk, inputs
        finally:
            reader.close()

    def _rebuild_if_stale(self, model_id: str, kind: str, dim: int) -> None:
        index = self._handles.vector_index(model_id, kind, dim)
        if index.is_stale(self._handles.catalogue):
            index.rebuild(self._handles.catalogue)

    def _files(self, model_id: str, space_id: str) -> _Files:
        stem = f"{model_id}@{space_id}"
        return _Files(self._folder / f"{stem}.onnx", self._folder / f"{stem}.json", self._folder / f"{stem}.terms.npz")

    def _forget(self, model_id: str, space_id: str) -> None:
        with self._lock:
            self._cache.pop((model_id, space_id), None)


def _load_state(files: _Files, space: WordSpace, stamp: int) -> LearnedState:
    """Read and check the three learned files before anything relies on them."""
    meta = json.loads(files.meta.read_text(encoding="utf-8"))
    vectors = [v for v in (space.words.vector(str(w)) for w in meta["words"]) if v is not None]
    matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, space.words.dim), np.float32)
    terms = TermClassifier.load(files.terms)
    terms.check(space.words.dim)
    runner = OnnxRunner(files.projection, 1)
    runner.input_names()  # loads the graph now: a damaged file fails here, not in a later step
    return LearnedState(learned_kind(space), runner, terms, matrix, stamp)


def _fold(chunk: list[int]) -> npt.NDArray[np.int64]:
    """Each photo's calibration fold: by id, so every folder spreads over all folds."""
    return np.asarray(chunk, np.int64) % CALIBRATION_FOLDS


class _Calibrating:
    """Scores training photos with the fold models that did not see them, into a `TermCalibration`."""

    def __init__(self, fold_weights: list[npt.NDArray[np.float32]], rows: set[int],
                 terms_of: dict[int, list[str]], position: dict[str, int]) -> None:
        self._weights, self._rows, self._terms_of, self._position = fold_weights, rows, terms_of, position
        self._histograms = TermCalibration(len(position))

    def add(self, chunk: list[int], inputs: Vectors) -> None:
        if not self._weights:
            return
        keep = np.array([pid in self._rows for pid in chunk])
        ids = [pid for pid, kept in zip(chunk, keep, strict=True) if kept]
        if not ids:
            return
        x, folds = inputs[keep], _fold(ids)
        scores = np.zeros((len(ids), len(self._position)), np.float32)
        for fold, weights in enumerate(self._weights):
            part = folds == fold
            scores[part] = x[part] @ weights[:-1] + weights[-1]
        onehot = np.zeros_like(scores)
        for row, pid in enumerate(ids):
            for term in self._terms_of.get(pid, []):
                if term in self._position:
                    onehot[row, self._position[term]] = 1.0
        self._histograms.add(scores, onehot, onehot.sum(axis=1) > 0)

    def thresholds(self) -> npt.NDArray[np.float32]:
        return self._histograms.thresholds()


def _record_name(model_id: str, space_id: str) -> str:
    """The learned files' record in the catalogue's `derived` table."""
    return f"learned/{model_id}@{space_id}"


def learned_kind(space: WordSpace) -> str:
    """The catalogue kind of photos' learned vectors in `space`."""
    return f"learned:{space.id}"

