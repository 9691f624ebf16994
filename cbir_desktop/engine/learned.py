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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .labels import folder_words, name_tokens, name_words

RIDGE = 1.0  # regularisation; 0.1-1 measured best on Caltech-101 (bench/learned.py)
MIN_PHOTOS = 20  # fewer labelled photos than this: the projection stays off
MIN_WORDS = 2  # and it needs at least two different words to tell apart
ZERO_SHOT_WEIGHT = 0.2  # blend: 0.2 x zero-shot + 0.8 x learned (bench/learned.py)
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
        root = max((r for r in roots if path.startswith(os.path.join(r, ""))), key=len, default=None)
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
        root = max((r for r in roots if path.startswith(os.path.join(r, ""))), key=len, default=None)
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


def fit_ridge(features: npt.NDArray[np.float32], targets: npt.NDArray[np.float32],
              ridge: float = RIDGE) -> npt.NDArray[np.float32]:
    """Closed-form ridge regression with a bias row: (d+1) x word_dim weights."""
    x = np.hstack([features, np.ones((len(features), 1), np.float32)]).astype(np.float64)
    gram = x.T @ x + ridge * np.eye(x.shape[1])
    return np.linalg.solve(gram, x.T @ targets.astype(np.float64)).astype(np.float32)


def write_onnx(path: Path, weights: npt.NDArray[np.float32]) -> None:
    """features [N, d] -> embedding [N, word_dim], L2-normalised; written atomically."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    dim_in, dim_out = weights.shape[0] - 1, weights.shape[1]
    nodes = [
        helper.make_node("MatMul", ["features", "w"], ["mixed"]),
        helper.make_node("Add", ["mixed", "b"], ["raw"]),
        helper.make_node("ReduceL2", ["raw"], ["norm"], axes=[1], keepdims=1),
        helper.make_node("Max", ["norm", "eps"], ["safe"]),
        helper.make_node("Div", ["raw", "safe"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes, "learned_word_projection",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", dim_in])],
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


def blend(zero_shot: npt.NDArray[np.float32], learned: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The text-search score when a learned projection exists."""
    return ZERO_SHOT_WEIGHT * zero_shot + (1.0 - ZERO_SHOT_WEIGHT) * learned
