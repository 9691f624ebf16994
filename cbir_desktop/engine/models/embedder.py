"""An image model with its classifier labels and word projection, behind one call."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import ModelLoadError
from ..types import TagScore
from ..words.space import (
    CLASS_VECTORS,
    WordSpace,
    class_vectors,
    logits_from_tags,
    read_label_entries,
)
from .manifest import ModelSpec, verify_sha256
from .runner import OnnxRunner

log = logging.getLogger(__name__)

CPU_BATCH = 16
GPU_BATCH = 64


@dataclass(frozen=True)
class BatchEmbedding:
    """Model outputs for a batch: unit feature vectors, logits, unit word vectors."""

    features: npt.NDArray[np.float32]  # (n, feature_dim), L2-normalised
    logits: npt.NDArray[np.float32] | None  # (n, classes)
    words: npt.NDArray[np.float32] | None  # (n, word_dim), L2-normalised


def l2_normalise(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Scale rows to unit length so a dot product is the cosine similarity."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    unit: npt.NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    probabilities: npt.NDArray[np.float32] = (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)
    return probabilities


class Embedder:
    """Runs one manifest model (and its word projection) on preprocessed batches."""

    def __init__(self, spec: ModelSpec, threads: int | None = None, verify: bool = True) -> None:
        self.spec = spec
        if verify:
            if not spec.path.is_file():
                raise ModelLoadError(f"Model file {spec.path} is missing; reinstall cbir-desktop.")
            verify_sha256(spec.path, spec.sha256)
        self.runner = OnnxRunner(spec.path, threads)
        self.projection = OnnxRunner(spec.projection.path, 1) if spec.projection else None
        self._labels: list[str] | None = None
        self._labels_lock = threading.Lock()
        self._space_projections: dict[str, OnnxRunner] = {}

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def word_dim(self) -> int:
        return self.spec.projection.dim if self.spec.projection else 0

    @property
    def batch_size(self) -> int:
        """Photos per inference call: a GPU wants large batches, a CPU gains little past 16."""
        return GPU_BATCH if self.runner.provider == "CUDA" else CPU_BATCH

    def embed_robust(self, batch: npt.NDArray[np.float32]) -> BatchEmbedding:
        """`embed`, but out of memory halves the batch, and at one photo moves to the CPU.

        Indexing a library must not stop because a GPU is small or busy.
        """
        try:
            return self.embed(batch)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises plain RuntimeErrors
            if not is_out_of_memory(exc):
                raise
            if len(batch) > 1:
                half = len(batch) // 2
                log.warning("Out of memory at batch %d; retrying in halves", len(batch))
                first, second = self.embed_robust(batch[:half]), self.embed_robust(batch[half:])
                return _concat(first, second)
            if self.runner.provider != "CPU":
                log.warning("Out of memory on %s even for one photo; moving to the CPU", self.runner.provider)
                self.runner = OnnxRunner(self.spec.path, self.runner.threads, providers=["CPUExecutionProvider"])
                self.runner.provider_note = "moved to the CPU after running out of GPU memory"
                return self.embed(batch)
            raise

    def embed(self, batch: npt.NDArray[np.float32]) -> BatchEmbedding:
        """Embed a (n, 3, size, size) float32 batch in [0, 1]."""
        names = [self.spec.features_name]
        if self.spec.logits_name:
            names.append(self.spec.logits_name)
        outputs = self.runner.run(names, {self.spec.input_name: batch})
        features = outputs[0].reshape(len(batch), -1)
        if features.shape[1] != self.spec.feature_dim:
            raise ModelLoadError(
                f"Model {self.id} gave {features.shape[1]}-d features, "
                f"the manifest says {self.spec.feature_dim}."
            )
        logits = outputs[1] if len(outputs) > 1 else None
        words = None
        if logits is not None and self.projection is not None and self.spec.projection:
            proj = self.spec.projection
            words = self.projection.run([proj.output_name], {proj.input_name: logits})[0]
            words = l2_normalise(words)
        return BatchEmbedding(l2_normalise(features), logits, words)

    def project_tags(
        self, space: WordSpace, tags: Sequence[Sequence[TagScore]]
    ) -> npt.NDArray[np.float32]:
        """Photos' word vectors in `space`, from their stored top classes (no image needed)."""
        proj = self.spec.projection
        if proj is None or not self.spec.logits_dim:
            raise ModelLoadError(f"Model {self.id} has no word projection.")
        with self._labels_lock:
            runner = self._space_projections.get(space.id)
            if runner is None:
                if space.words.dim != proj.dim:
                    raise ModelLoadError(
                        f"The word vectors have {space.words.dim} dimensions; the word projection "
                        f"needs {proj.dim} (use a {proj.dim}-d file such as glove.6B.{proj.dim}d.txt)."
                    )
                vectors = class_vectors(read_label_entries(self.spec.labels_path), space.words)
                runner = OnnxRunner(proj.path, 1, initializers={CLASS_VECTORS: vectors})
                self._space_projections[space.id] = runner
        logits = np.stack([logits_from_tags(t, self.spec.logits_dim) for t in tags])
        return l2_normalise(runner.run([proj.output_name], {proj.input_name: logits})[0])

    def embed_one(self, tensor: npt.NDArray[np.float32]) -> BatchEmbedding:
        return self.embed(tensor[None, ...])

    def labels(self) -> list[str]:
        """Readable class names, index-aligned with the logits."""
        if self._labels is None:
            with self._labels_lock:
                if self._labels is None:
                    self._labels = _read_labels(self.spec.labels_path, self.spec.logits_dim)
        return self._labels

    def tags(self, logits: npt.NDArray[np.float32], k: int = 5, min_score: float = 0.0) -> list[TagScore]:
        """Top-k classes of one image's logits as readable words with probabilities."""
        probs = softmax(logits.reshape(-1))
        labels = self.labels()
        order = np.argsort(-probs)[:k]
        return [TagScore(labels[i], float(probs[i]), int(i)) for i in order if probs[i] >= min_score]



def is_out_of_memory(exc: BaseException) -> bool:
    """onnxruntime reports allocation failures only in the message text."""
    text = str(exc).lower()
    return any(s in text for s in ("out of memory", "failed to allocate", "bad_alloc", "cudaerrormemoryallocation"))


def _concat(a: BatchEmbedding, b: BatchEmbedding) -> BatchEmbedding:
    def join(x: npt.NDArray[np.float32] | None, y: npt.NDArray[np.float32] | None) -> npt.NDArray[np.float32] | None:
        return None if x is None or y is None else np.concatenate([x, y])

    return BatchEmbedding(np.concatenate([a.features, b.features]), join(a.logits, b.logits), join(a.words, b.words))


def _read_labels(path: Path | None, count: int) -> list[str]:
    if path is None:
        return [f"class {i}" for i in range(count)]
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"Cannot read class names {path}: {exc}") from exc
    if isinstance(entries, dict):
        entries = entries.get("classes", [])
    names = [e["name"] if isinstance(e, dict) else str(e) for e in entries]
    if count and len(names) != count:
        raise ModelLoadError(f"{path} has {len(names)} class names, the model has {count} classes.")
    return names
