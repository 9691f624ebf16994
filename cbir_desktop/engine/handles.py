"""The open handles of one library: catalogue connections, loaded models, vector indexes, words.

The facade, the learner and the searches share one `LibraryHandles`. Everything here
loads lazily and is thread-safe: each thread gets its own SQLite connection (sqlite3
refuses cross-thread use), models and indexes are loaded once under a lock.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .errors import ModelLoadError
from .faces.index import FaceIndex
from .files import why_not_writable
from .models.embedder import Embedder
from .models.manifest import Manifest, ModelSpec, load_manifest, models_dir, verify_sha256
from .models.runner import OnnxRunner
from .photos.pairs import raw_pairs_among
from .storage.backups import BACKUP_FOLDER, back_up
from .storage.catalogue import FEATURES, WORDS, Catalogue
from .types import TagScore
from .vectors.index import VectorIndex
from .words.hierarchy import WordClasses, WordHierarchy
from .words.space import WordSpace, glove_space, logits_from_tags, shipped_space

WORD_CLASSES_FILE = "word_classes.npz"  # models/build_hierarchy.py
CLASS_HEAD_FILE = "imagenet_head.onnx"  # the same model's classifier head, for stored features

IMAGENET_CLASSES, IMAGENET_LABELS = 1000, "imagenet-1k"  # a model's own head needs its classes

log = logging.getLogger(__name__)

CATALOGUE_FILE = "catalogue.sqlite"
MODELS_FOLDER = "models"  # models the user imported into this library


class LibraryHandles:
    """Per-library resources, opened on first use and closed together."""

    def __init__(self, root: Path, threads: int | None = None,
                 word_vectors: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root)
        # A library on read-only media, or not the user's to change, is opened read-only:
        # searching works, every change says why it cannot be made.
        self.read_only = why_not_writable(self.root, self.root / CATALOGUE_FILE)
        self._immutable = bool(self.read_only) and bool(why_not_writable(self.root))
        self.manifest = load_manifest().with_library_models(self.root / MODELS_FOLDER)
        self.word_vectors_file = word_vectors or os.environ.get("CBIR_WORD_VECTORS") or None
        self._threads = threads
        self._local = threading.local()
        self._lock = threading.Lock()
        self._face_index: FaceIndex | None = None
        self._space: WordSpace | None = None
        self._word_classes: WordClasses | None | bool = False  # False: not looked for yet
        self._class_vectors: dict[tuple[str, str], npt.NDArray[np.float32]] = {}
        self._class_head = _head_runner(models_dir() / CLASS_HEAD_FILE)
        self._model_heads: dict[str, OnnxRunner | None] = {}  # other models' own heads, by model id
        self._embedders: dict[str, Embedder] = {}
        self._indexes: dict[tuple[str, str], VectorIndex] = {}
        self._catalogues: list[Catalogue] = []

    @property
    def catalogue(self) -> Catalogue:
        """This thread's connection (SQLite connections stay in their thread)."""
        cat: Catalogue | None = getattr(self._local, "catalogue", None)
        if cat is None:
            cat = self.open_catalogue()
            self._local.catalogue = cat
            with self._lock:
                self._catalogues.append(cat)
        return cat

    def open_catalogue(self, readonly: bool = False) -> Catalogue:
        """A connection of the caller's own (long work in a worker thread); the caller closes it.
        An existing catalogue is backed up before its schema is migrated."""
        path = self.root / CATALOGUE_FILE
        cat = Catalogue(path, readonly=readonly or bool(self.read_only), immutable=self._immutable,
                        before_migration=lambda _db: back_up(path, self.root / BACKUP_FOLDER))
        if cat.needs_raw_pairs():  # a library from before pairs were kept: find its pairs now
            cat.replace_raw_pairs(None, raw_pairs_among(cat.photo_paths()))
        return cat

    def embedder(self, model_id: str) -> Embedder:
        spec = self.manifest.model(model_id)
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

    def face_index(self) -> FaceIndex:
        """The library's face index (one per library, shared by threads)."""
        with self._lock:
            if self._face_index is None:
                self._face_index = FaceIndex(self.root)
            return self._face_index

    def indexes_for(self, embedder: Embedder) -> list[VectorIndex]:
        """The indexes indexing keeps up to date: features, and zero-shot words if the model has them."""
        kinds = [(FEATURES, embedder.spec.feature_dim)]
        if embedder.word_dim:
            kinds.append((WORDS, embedder.word_dim))
        return [self.vector_index(embedder.id, kind, dim) for kind, dim in kinds]

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

    def word_classes(self, embedder: Embedder) -> WordClasses | None:
        """The WordNet word -> ImageNet classes map, for a model with a classifier head: the
        shipped Lite0 (whose head ships beside the map) or one whose manifest entry names its
        own head (models/export.py); None for any other model, or when a file is missing."""
        with self._lock:
            if self._word_classes is False:
                path = models_dir() / WORD_CLASSES_FILE
                self._word_classes = WordClasses.load(path) if path.is_file() else None
            classes = self._word_classes
        if not isinstance(classes, WordClasses) or self._head_of(embedder) is None:
            return None
        return classes

    def _head_of(self, embedder: Embedder) -> OnnxRunner | None:
        """The classifier head for `embedder`'s stored features: the shipped one for the model it
        was built from, else the model's own (checked against its manifest's sha256)."""
        spec = embedder.spec
        with self._lock:
            if spec.id not in self._model_heads:
                self._model_heads[spec.id] = self._find_head(spec)
            return self._model_heads[spec.id]

    def _find_head(self, spec: ModelSpec) -> OnnxRunner | None:
        """A head only for ImageNet-1k logits: the map's classes are ImageNet's, for any model."""
        if spec.class_head is None:  # the shipped Lite0: its head and the map name its sha256
            shipped = isinstance(self._word_classes, WordClasses) and self._word_classes.model_sha256 == spec.sha256
            return self._class_head if shipped and self._class_head.path.is_file() else None
        imagenet = spec.logits_dim == IMAGENET_CLASSES and spec.extra.get("label_set") == IMAGENET_LABELS
        if not imagenet or not spec.class_head.path.is_file():
            return None
        try:
            verify_sha256(spec.class_head.path, spec.class_head.sha256)
        except ModelLoadError as exc:
            log.warning("%s; %s searches text without WordNet words", exc, spec.id)
            return None
        return _head_runner(spec.class_head.path)

    def word_hierarchy(self, embedder: Embedder, space: WordSpace) -> WordHierarchy | None:
        """`word_classes` with each class's vector in `space` (the photos' projections there),
        for finding the photos a word's classes cover; None where `word_classes` is."""
        classes = self.word_classes(embedder)
        if classes is None or embedder.projection is None or embedder.spec.projection is None:
            return None
        key = (embedder.id, space.id)
        with self._lock:
            vectors = self._class_vectors.get(key)
        if vectors is None:  # each class alone through the projection: its vector in the space
            tags = [[TagScore("", 1.0, i)] for i in range(embedder.spec.logits_dim)]
            if space.shipped:
                proj = embedder.spec.projection
                logits = np.stack([logits_from_tags(t, embedder.spec.logits_dim) for t in tags])
                vectors = embedder.projection.run([proj.output_name], {proj.input_name: logits})[0]
            else:
                vectors = embedder.project_tags(space, tags)
            with self._lock:
                self._class_vectors[key] = vectors
        head = self.class_head(embedder)
        return None if head is None else WordHierarchy(classes, vectors, head)

    def class_head(self, embedder: Embedder) -> Callable[[npt.NDArray[np.float32]], npt.NDArray[np.float32]] | None:
        """Unit features (rows) -> ImageNet class probabilities, for a model with a head
        (the OCR step's first pass, the WordNet text step); None for any other model."""
        head = self._head_of(embedder) if self.word_classes(embedder) is not None else None
        return None if head is None else partial(_class_probabilities, head)

    def reload_manifest(self) -> Manifest:
        """Read the manifests again (after a model was imported into the library)."""
        with self._lock:
            self.manifest = load_manifest().with_library_models(self.root / MODELS_FOLDER)
            # A model imported again (with the head exported since) is loaded afresh.
            self._embedders = {k: e for k, e in self._embedders.items() if self.manifest.models.get(k) == e.spec}
            self._model_heads.clear()
            return self.manifest

    def close(self) -> None:
        with self._lock:
            for index in self._indexes.values():
                index.close()
            for cat in self._catalogues:
                try:
                    cat.close()
                except Exception:  # noqa: BLE001 - a connection of another thread may refuse; it dies with it
                    pass
            self._catalogues.clear()
        self._local = threading.local()


def _head_runner(path: Path) -> OnnxRunner:
    """One thread: a query's 100-odd photos take 2-3 ms; threaded BLAS or ORT on busy
    cores took 50-150 ms (models/build_hierarchy.py)."""
    return OnnxRunner(path, 1, providers=("CPUExecutionProvider",))


def _class_probabilities(head: OnnxRunner, unit_features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """ImageNet class probabilities of photos (rows of their stored unit features)."""
    return head.run(["probabilities"], {"features": unit_features.astype(np.float32)})[0]
