"""What text search learns from the library's own labels: folder names and the user's tags.

Two ridge regressions, solved in closed form from one Gram matrix over each photo's
image features and zero-shot word vector: a projection to the word vectors of its
folder words (stored as an ONNX graph, features -> MatMul -> bias -> L2 normalise,
run by the same runner as every other model), blended with the zero-shot ConSE
projection at search time; and a one-vs-rest classifier of the library's own terms
(whole folder names, confirmed tags) that re-ranks a query naming one of them and
suggests them as tags. A term without a word vector ("gerenuk") is looked up at the
centre of its photos' learned vectors.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..files import write_atomic
from ..paths import root_of
from ..types import TagScore, TrainingReport
from .labels import folder_words, name_tokens, singular

RIDGE = 1.0  # regularisation; 0.3-1 measured best on Caltech-101 (bench/learned.py)
# The photo's zero-shot word vector (its ImageNet class probabilities, summarised in
# word space) joins the image features as regression input. Measured on Caltech-101
# (bench/learned.py): the same P@10 as the square-rooted 1000 probabilities (0.940 vs
# 0.938) at 1,580 inputs instead of 2,280, which halves training time.
ZERO_SHOT_WEIGHT = 1.0
MIN_PHOTOS = 20  # fewer labelled photos than this: the projection stays off
MIN_WORDS = 2  # and it needs at least two different words to tell apart
LABEL_DECAY = 0.5  # a parent folder's word weighs half its child's
# The library's own label terms (whole folder names, confirmed tags) get a classifier:
# one-vs-rest ridge on the same inputs, solved with the word projection (search/text.py
# re-ranks a query that is one of them).
MIN_TERM_PHOTOS = 3  # a term on fewer photos than this is not learned
MAX_TERMS = 2000  # the most frequent terms when a library has more
LEARNED_TAG_MIN = 0.3  # a learned term scoring below this is never suggested as a tag
# Learned tags are open-set: "none of my words" is an answer. Photos with no term (camera
# dumps, unfiled folders) join the classifier as background, each weighing a quarter of a
# labelled photo: some of them show a filed subject, and at full weight they would pull
# its score down (positive-unlabelled data). Measured in bench/learned_tags.py (12 Caltech
# subjects, 6 filed, 300 camera-dump photos): without background 33% of dump photos showed a
# wrong term; with it, weight 0.1 / 0.25 / 0.5 / 1.0: wrong 0.3% / 0% / 0% / 0%, filed
# subjects' dump photos keeping their term 99% / 99% / 99% / 93% (fewer labels, 15 a
# folder: 97% / 93%). Rows without words add nothing to the word projection.
BACKGROUND_WEIGHT = 0.25
MAX_BACKGROUND = 20_000  # background photos sampled at most: bounds training time
# Each term's tag threshold is calibrated on held-out scores: CALIBRATION_FOLDS models, each
# solved without one fold of the photos (the folds' Gram matrices are subtracted: no refit
# from data), score the fold they did not see. The threshold is the lowest score (at least
# LEARNED_TAG_MIN) at which TAG_PRECISION of the held-out photos scoring above it carry the
# term, against the photos of the other terms. The background is not counted there: it
# holds unfiled photos of the same subjects, and counting them as wrong cut the filed
# subjects' coverage from 99% to 61% (0.1 weight) or 0% (full weight) in the same bench.
CALIBRATION_FOLDS = 4
TAG_PRECISION = 0.95
_BINS = np.linspace(-0.5, 1.5, 201)  # held-out score histogram edges (scores are ~0 to ~1)
_TERM_SPLIT = re.compile(r"[\s_\-.,;+&()\[\]{}/]+")


def photo_labels(
    photos: Iterable[tuple[int, str]], roots: list[str], known: Callable[[str], bool]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Folder words (nearest folder first) and folder terms of each photo under `roots`;
    worked out once per folder, not per photo (100,000 photos sit in few folders)."""
    words: dict[int, list[str]] = {}
    terms: dict[int, list[str]] = {}
    per_folder: dict[str, tuple[list[str], list[str]]] = {}
    for photo_id, path in photos:
        folder = os.path.dirname(path)
        found = per_folder.get(folder)
        if found is None:
            root = root_of(path, roots)
            found = ((folder_words(path, root, known), photo_terms(path, root, known)) if root is not None
                     else ([], []))
            per_folder[folder] = found
        if found[0]:
            words[photo_id] = list(found[0])
        if found[1]:
            terms[photo_id] = list(found[1])
    return words, terms


def own_labels(folder_labels: tuple[dict[int, list[str]], dict[int, list[str]]],
               user_tags: dict[int, dict[str, bool]], known: Callable[[str], bool]
               ) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Folder words and terms with the user's word winning: confirmed tags first,
    rejected ones gone (from `photo_labels` and the catalogue's user tags)."""
    labels, terms_of = folder_labels
    for photo_id, tags in user_tags.items():
        words = [t for t, ok in tags.items() if ok and known(t)]
        words += [w for w in labels.get(photo_id, []) if tags.get(w, True) and w not in words]
        if words:
            labels[photo_id] = words
        else:
            labels.pop(photo_id, None)
        rejected = {term_key(t, known) for t, ok in tags.items() if not ok}
        mine = [term_key(t, known) for t, ok in tags.items() if ok]
        terms_of[photo_id] = [t for t in dict.fromkeys(mine + terms_of.get(photo_id, [])) if t not in rejected]
    return labels, terms_of


def chunk_targets(chunk: Sequence[int], word_rows: dict[int, npt.NDArray[np.float32]],
                  terms_of: dict[int, list[str]], position: dict[str, int], dim_words: int
                  ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
    """A chunk's regression targets: word vectors (and which rows have one), term one-hots."""
    words = np.zeros((len(chunk), dim_words), np.float32)
    has_words = np.zeros(len(chunk), bool)
    onehot = np.zeros((len(chunk), len(position)), np.float32)
    for row, photo_id in enumerate(chunk):
        if photo_id in word_rows:
            words[row], has_words[row] = word_rows[photo_id], True
        for term in terms_of.get(photo_id, []):
            if term in position:
                onehot[row, position[term]] = 1.0
    return words, has_words, onehot


def term_centres(position: dict[str, int], terms_of: dict[int, list[str]],
                 learned: dict[int, npt.NDArray[np.float32]], dim: int) -> npt.NDArray[np.float32]:
    """Each term's unit centre in the learned word space: where its candidates are looked up."""
    centres = np.zeros((len(position), dim), np.float32)
    for photo_id, terms in terms_of.items():
        for term in terms:
            if term in position and photo_id in learned:
                centres[position[term]] += learned[photo_id]
    unit: npt.NDArray[np.float32] = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    return unit


def term_key(text: str, known: Callable[[str], bool]) -> str:
    """The form a label term and a typed query share: "Crocodile_Heads" -> "crocodile head"."""
    return " ".join(singular(w, known) for w in _TERM_SPLIT.split(text.strip().lower()) if w)


def photo_terms(path: str, root: str, known: Callable[[str], bool]) -> list[str]:
    """A photo's label terms: each folder's whole name, nearest first ("Birds/Grey Herons"
    -> "grey heron", "bird"). Whole names keep "crocodile" apart from "crocodile head"."""
    relative = os.path.relpath(os.path.dirname(path), root)
    if relative in (".", "") or relative.startswith(".."):
        return []
    terms: list[str] = []
    for folder in reversed(relative.split(os.sep)):
        key = term_key(" ".join(name_tokens(folder, known)), known)
        if key and key not in terms:
            terms.append(key)
    return terms


class NormalEquations:
    """Ridge's normal equations gathered chunk by chunk (100,000 photos never sit in
    memory at once); word targets and term targets share one Gram matrix. Rows may weigh
    less than one (background photos); each row's fold is kept apart too, so that
    `solve_folds` gives the models that did not see each fold (term calibration)."""

    def __init__(self, dim_words: int, terms: int, folds: int = 0) -> None:
        self.dim_words, self.terms, self.folds = dim_words, terms, folds
        self.gram = self.gram_no_words = self.xty_words = self.xty_terms = np.zeros((0, 0))
        self.fold_gram: list[npt.NDArray[np.float64]] = []
        self.fold_xty: list[npt.NDArray[np.float64]] = []

    def add(self, inputs: npt.NDArray[np.float32], words: npt.NDArray[np.float32],
            has_words: npt.NDArray[np.bool_], terms: npt.NDArray[np.float32],
            weights: npt.NDArray[np.float32] | None = None, folds: npt.NDArray[np.int64] | None = None) -> None:
        x = np.hstack([inputs, np.ones((len(inputs), 1), np.float32)]).astype(np.float32)
        if not self.gram.size:  # sized by the first chunk
            size = x.shape[1]
            self.gram, self.gram_no_words = np.zeros((size, size)), np.zeros((size, size))
            self.xty_words, self.xty_terms = np.zeros((size, self.dim_words)), np.zeros((size, self.terms))
            self.fold_gram = [np.zeros((size, size)) for _ in range(self.folds)]
            self.fold_xty = [np.zeros((size, self.terms)) for _ in range(self.folds)]
        wx = x if weights is None else (x * weights[:, None]).astype(np.float32)
        if folds is None or not self.folds:
            self.gram += wx.T @ x  # float32 products (2x faster), float64 sums
            self.xty_terms += wx.T @ terms
        else:  # the same products, fold by fold: the whole is their sum
            for fold in range(self.folds):
                part = folds == fold
                gram, xty = wx[part].T @ x[part], wx[part].T @ terms[part]
                self.fold_gram[fold] += gram
                self.fold_xty[fold] += xty
                self.gram += gram
                self.xty_terms += xty
        if not has_words.all():
            missing = ~has_words
            self.gram_no_words += wx[missing].T @ x[missing]
        self.xty_words += x[has_words].T @ words[has_words]

    def solve(self, ridge: float = RIDGE) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """(word weights, term weights), each (d+1) x outputs with the bias as last row."""
        eye = ridge * np.eye(len(self.gram))
        words = np.linalg.solve(self.gram - self.gram_no_words + eye, self.xty_words)
        terms = np.linalg.solve(self.gram + eye, self.xty_terms) if self.xty_terms.shape[1] else self.xty_terms
        return words.astype(np.float32), terms.astype(np.float32)

    def solve_folds(self, ridge: float = RIDGE) -> list[npt.NDArray[np.float32]]:
        """Each fold's held-out term weights: solved from every row but that fold's."""
        eye = ridge * np.eye(len(self.gram))
        return [np.linalg.solve(self.gram - gram + eye, self.xty_terms - xty).astype(np.float32)
                for gram, xty in zip(self.fold_gram, self.fold_xty, strict=True)]


class TermCalibration:
    """Held-out term scores gathered as histograms (never terms x photos in memory), and
    the per-term tag thresholds they give (see CALIBRATION_FOLDS)."""

    def __init__(self, terms: int) -> None:
        self.positive = np.zeros((terms, len(_BINS) + 1), np.int64)
        self.negative = np.zeros((terms, len(_BINS) + 1), np.int64)

    def add(self, scores: npt.NDArray[np.float32], onehot: npt.NDArray[np.float32],
            labelled: npt.NDArray[np.bool_]) -> None:
        """Held-out scores (photos x terms) of photos, their terms, and which carry any term."""
        terms = scores.shape[1]
        bins = np.searchsorted(_BINS, scores, side="right") + (len(_BINS) + 1) * np.arange(terms)
        positive = onehot > 0
        negative = ~positive & labelled[:, None]  # the other terms' photos, never the background
        size = terms * (len(_BINS) + 1)
        self.positive += np.bincount(bins[positive], minlength=size).reshape(self.positive.shape)
        self.negative += np.bincount(bins[negative], minlength=size).reshape(self.negative.shape)

    def thresholds(self) -> npt.NDArray[np.float32]:
        """Per term: the lowest score (at least LEARNED_TAG_MIN) with held-out precision of
        TAG_PRECISION; infinity when none reaches it (the term is never suggested)."""
        above_pos = np.cumsum(self.positive[:, ::-1], axis=1)[:, ::-1]  # photos in this bin or higher
        above_neg = np.cumsum(self.negative[:, ::-1], axis=1)[:, ::-1]
        precise = (above_pos > 0) & (above_pos >= TAG_PRECISION * (above_pos + above_neg))
        lower_edges = np.concatenate([[-np.inf], _BINS])  # bin i holds scores from lower_edges[i]
        out = np.full(len(self.positive), np.inf, np.float32)
        for term, ok in enumerate(precise):
            found = np.nonzero(ok)[0]
            if len(found):
                out[term] = max(LEARNED_TAG_MIN, float(lower_edges[found[0]]))
        return out


@dataclass
class TermClassifier:
    """Scores of the library's own label terms for a photo, and each term's centre in
    the learned word space (where its candidates are looked up)."""

    terms: list[str]
    weights: npt.NDArray[np.float32]  # (d+1) x terms
    prototypes: npt.NDArray[np.float32]  # terms x word_dim, unit rows
    thresholds: npt.NDArray[np.float32]  # terms: the score from which a term is a tag (inf: never)

    def __post_init__(self) -> None:
        self.position = {term: i for i, term in enumerate(self.terms)}

    def scores(self, inputs: npt.NDArray[np.float32], term: int | None = None) -> npt.NDArray[np.float32]:
        """photos x terms (or one term's column): about 1 for a photo like the term's photos.

        einsum, not matmul: BLAS threads started right after an onnxruntime inference fight
        its spinning threads (measured: +50 ms on every image query); this stays on one.
        """
        weights = self.weights if term is None else self.weights[:, term : term + 1]
        scores = np.einsum("ij,jk->ik", inputs, weights[:-1]) + weights[-1]
        result: npt.NDArray[np.float32] = scores.astype(np.float32) if term is None else scores[:, 0].astype(np.float32)
        return result

    def save(self, path: Path) -> None:
        write_atomic(path, lambda handle: np.savez(
            handle, terms=np.array(self.terms, dtype=str), weights=self.weights, prototypes=self.prototypes,
            thresholds=self.thresholds))

    @classmethod
    def load(cls, path: Path) -> TermClassifier:
        """Read a saved classifier; a file without calibration (learned before it existed)
        raises KeyError, so it counts as damaged and the next indexing run relearns it."""
        with np.load(path) as data:
            return cls([str(t) for t in data["terms"]], data["weights"], data["prototypes"], data["thresholds"])

    def check(self, word_dim: int) -> None:
        """ValueError unless every array fits the terms (a damaged or foreign file)."""
        n = len(self.terms)
        if (self.weights.ndim != 2 or self.weights.shape[1] != n or self.prototypes.shape != (n, word_dim)
                or self.thresholds.shape != (n,) or np.isnan(self.thresholds).any()):
            raise ValueError("the term classifier's shapes do not match its terms")


def choose_terms(photo_terms: dict[int, list[str]]) -> list[str]:
    """Terms on at least MIN_TERM_PHOTOS photos, the MAX_TERMS most frequent, sorted."""
    counts: dict[str, int] = {}
    for terms in photo_terms.values():
        for term in terms:
            counts[term] = counts.get(term, 0) + 1
    kept = sorted((t for t, n in counts.items() if n >= MIN_TERM_PHOTOS), key=lambda t: (-counts[t], t))
    return sorted(kept[:MAX_TERMS])


def learned_tags(classifier: TermClassifier, scores: npt.NDArray[np.float32], k: int = 5) -> list[TagScore]:
    """A photo's own terms whose score reaches their calibrated threshold, best first (scores
    clipped to [0, 1]); often none: a photo like none of the library's terms gets no tag."""
    order = np.argsort(-scores)[:k]
    return [TagScore(classifier.terms[i], float(min(1.0, scores[i])), source="learned")
            for i in order if scores[i] >= max(LEARNED_TAG_MIN, classifier.thresholds[i])]


def targets(labels: dict[int, list[str]], vector: Callable[[str], npt.NDArray[np.float32] | None]
            ) -> tuple[list[int], npt.NDArray[np.float32]]:
    """Each labelled photo's target: the decaying weighted mean of its words' vectors."""
    ids, rows = [], []
    made: dict[tuple[str, ...], npt.NDArray[np.float32] | None] = {}
    for photo_id, words in labels.items():
        key = tuple(words)
        if key not in made:
            total = None
            for rank, word in enumerate(words):
                vec = vector(word)
                if vec is not None:
                    weighted = (LABEL_DECAY**rank) * vec
                    total = weighted if total is None else total + weighted
            made[key] = None if total is None else total / max(float(np.linalg.norm(total)), 1e-12)
        target = made[key]
        if target is not None:
            ids.append(photo_id)
            rows.append(target)
    return ids, np.asarray(rows, np.float32).reshape(len(rows), -1)


def design_rows(features: npt.NDArray[np.float32], zero_shot: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Regression input per photo: its image features, then its zero-shot word vector."""
    return np.hstack([features, ZERO_SHOT_WEIGHT * zero_shot]).astype(np.float32)


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
    write_atomic(path, model.SerializeToString())


def write_meta(path: Path, report: TrainingReport) -> None:
    data = {"photos": report.photos, "words": report.words, "terms": report.terms,
            "seconds": report.seconds, "trained_at": time.time()}
    write_atomic(path, json.dumps(data).encode("utf-8"))
