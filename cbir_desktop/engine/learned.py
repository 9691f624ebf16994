"""A word projection learned from the library's own labels (folder names, for now).

Ridge regression, in closed form, from a model's image features to the word vectors
of each photo's folder words; stored in the library as an ONNX graph (features ->
MatMul -> bias -> L2 normalise) run by the same runner as every other model. Text
search blends it with the zero-shot ConSE projection. Folder words without a vector
("gerenuk") become prototypes: the mean learned vector of the photos carrying them.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .labels import folder_words, name_tokens, name_words, root_of
from .types import TagScore

RIDGE = 1.0  # regularisation; 0.3-1 measured best on Caltech-101 (bench/learned.py)
# The classifier's top-class probabilities join the image features as regression
# input (square-rooted, scaled): +0.02 P@10 on Caltech-101 over features alone.
PROBS_WEIGHT = 0.5
MIN_PHOTOS = 20  # fewer labelled photos than this: the projection stays off
MIN_WORDS = 2  # and it needs at least two different words to tell apart
# Blend: a query that is one of the library's label words (cosine ~1 to one of them)
# is answered by the learned projection; one far from all of them (cosine below
# 0.4) by the zero-shot projection, which knows ImageNet's 1000 classes; linear
# in between. A fixed 0.2/0.8 mix measured 0.008 P@10 worse on Caltech-101 than
# this (bench/learned.py).
LEARNED_FROM, LEARNED_FULL = 0.4, 0.8
LABEL_DECAY = 0.5  # a parent folder's word weighs half its child's


@dataclass
class TrainingReport:
    """What training learned, or why the learned projection stays off."""

    photos: int = 0
    words: list[str] = field(default_factory=list)
    prototypes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    off_reason: str = ""

    @property
    def active(self) -> bool:
        return not self.off_reason


def photo_labels(
    photos: Iterable[tuple[int, str]], roots: list[str], known: Callable[[str], bool]
) -> dict[int, list[str]]:
    """Folder words of each photo (nearest folder first), for photos under `roots`."""
    labels: dict[int, list[str]] = {}
    for photo_id, path in photos:
        root = root_of(path, roots)
        if root is not None:
            words = folder_words(path, root, known)
            if words:
                labels[photo_id] = words
    return labels


def unknown_labels(photos: Iterable[tuple[int, str]], roots: list[str],
                   known: Callable[[str], bool]) -> dict[str, list[int]]:
    """Folder words with no word vector, and the photos they label."""
    found: dict[str, list[int]] = {}
    for photo_id, path in photos:
        root = root_of(path, roots)
        if root is None:
            continue
        folder = os.path.basename(os.path.dirname(path))
        if name_words(folder, known):
            continue  # the photo's own folder has words with vectors: those label it
        for word in name_tokens(folder):
            found.setdefault(word, []).append(photo_id)
    return found


def targets(labels: dict[int, list[str]], vector: Callable[[str], npt.NDArray[np.float32] | None]
            ) -> tuple[list[int], npt.NDArray[np.float32]]:
    """Each labelled photo's target: the decaying weighted mean of its words' vectors."""
    ids, rows = [], []
    for photo_id, words in labels.items():
        total = None
        for rank, word in enumerate(words):
            vec = vector(word)
            if vec is None:
                continue
            weighted = (LABEL_DECAY**rank) * vec
            total = weighted if total is None else total + weighted
        if total is not None:
            ids.append(photo_id)
            rows.append(total / max(float(np.linalg.norm(total)), 1e-12))
    return ids, np.asarray(rows, np.float32).reshape(len(rows), -1)


def design_rows(features: npt.NDArray[np.float32], tags: Sequence[Sequence[TagScore]],
                classes: int) -> npt.NDArray[np.float32]:
    """Regression input per photo: its features, then sqrt of its stored class probabilities."""
    probs = np.zeros((len(features), classes), np.float32)
    for row, photo_tags in enumerate(tags):
        for tag in photo_tags:
            if 0 <= tag.index < classes:
                probs[row, tag.index] = tag.score
    return np.hstack([features, PROBS_WEIGHT * np.sqrt(probs)]).astype(np.float32)


def fit_ridge(features: npt.NDArray[np.float32], targets: npt.NDArray[np.float32],
              ridge: float = RIDGE) -> npt.NDArray[np.float32]:
    """Closed-form ridge regression with a bias row: (d+1) x word_dim weights."""
    x = np.hstack([features, np.ones((len(features), 1), np.float32)]).astype(np.float64)
    gram = x.T @ x + ridge * np.eye(x.shape[1])
    return np.linalg.solve(gram, x.T @ targets.astype(np.float64)).astype(np.float32)


def write_onnx(path: Path, weights: npt.NDArray[np.float32]) -> None:
    """inputs [N, d] -> embedding [N, word_dim], L2-normalised; written atomically."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    dim_in, dim_out = weights.shape[0] - 1, weights.shape[1]
    nodes = [
        helper.make_node("MatMul", ["inputs", "w"], ["mixed"]),
        helper.make_node("Add", ["mixed", "b"], ["raw"]),
        helper.make_node("ReduceL2", ["raw"], ["norm"], axes=[1], keepdims=1),
        helper.make_node("Max", ["norm", "eps"], ["safe"]),
        helper.make_node("Div", ["raw", "safe"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes, "learned_word_projection",
        [helper.make_tensor_value_info("inputs", TensorProto.FLOAT, ["batch", dim_in])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim_out])],
        [numpy_helper.from_array(weights[:-1], "w"), numpy_helper.from_array(weights[-1], "b"),
         numpy_helper.from_array(np.array(1e-12, np.float32), "eps")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(model.SerializeToString())
    os.replace(tmp, path)


def write_meta(path: Path, report: TrainingReport, prototypes: dict[str, list[float]]) -> None:
    data = {"photos": report.photos, "words": report.words, "prototypes": prototypes,
            "trained_at": time.time()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def learned_weight(query: npt.NDArray[np.float32], label_vectors: npt.NDArray[np.float32]) -> float:
    """How much the learned projection answers `query`: by its closeness to the label words."""
    if not len(label_vectors):
        return 0.0
    closest = float(np.max(label_vectors @ query))
    return float(np.clip((closest - LEARNED_FROM) / (LEARNED_FULL - LEARNED_FROM), 0.0, 1.0))


def blend(zero_shot: npt.NDArray[np.float32], learned: npt.NDArray[np.float32],
          weight: float) -> npt.NDArray[np.float32]:
    """The text-search score when a learned projection exists (`weight` from `learned_weight`)."""
    return (1.0 - weight) * zero_shot + weight * learned
