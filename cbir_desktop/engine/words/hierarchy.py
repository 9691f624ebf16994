"""Words as sets of ImageNet classes, through WordNet's noun hierarchy (models/word_classes.npz).

ImageNet's 1000 classes are WordNet synsets, so "dog" covers 118 breeds and "vehicle"
67 classes: a photo's probability mass on a word's classes says how much it shows
that word, which the word projection (an average of class-name vectors) blurs.
`models/build_hierarchy.py` builds the asset from WordNet at build time; here it is
only read. Class probabilities come from the features the catalogue already stores,
through the model's classifier head (models/imagenet_head.onnx, run by the caller and
handed in as `WordHierarchy.probabilities`): no photo is decoded again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ClassSet", "WordClasses", "WordHierarchy", "class_mass"]

Vector = npt.NDArray[np.float32]
FORMAT = "cbir-word-classes v1"
# WordNet's own plural rules for nouns (morphy's), tried after the irregular plurals.
_SUFFIXES = (("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
             ("men", "man"), ("ies", "y"), ("s", ""))


@dataclass(frozen=True)
class ClassSet:
    """A word's ImageNet classes (indices) and how much each counts (sense rank, nearness)."""

    word: str
    classes: npt.NDArray[np.int64]
    weights: Vector


class WordClasses:
    """The shipped word -> ImageNet classes map and the classifier head it belongs to."""

    def __init__(self, lemmas: list[str], starts: npt.NDArray[np.int64], classes: npt.NDArray[np.int64],
                 weights: Vector, exceptions: dict[str, str], model_sha256: str) -> None:
        self._position = {lemma: i for i, lemma in enumerate(lemmas)}
        self._starts, self._classes, self._weights = starts, classes, weights
        self._exceptions = exceptions
        self.model_sha256 = model_sha256  # the model whose classes (and head) these are
        self.compounds = {lemma for lemma in lemmas if " " in lemma}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> WordClasses:
        with np.load(path, allow_pickle=False) as data:
            if str(data["format"]) != FORMAT:
                raise ValueError(f"{path}: not a {FORMAT} file")
            exceptions = dict(line.split("\t", 1) for line in data["exceptions"].tolist())
            return cls(data["lemmas"].tolist(), data["starts"].astype(np.int64), data["classes"].astype(np.int64),
                       data["weights"].astype(np.float32), exceptions, str(data["model_sha256"]))

    def lemma(self, word: str) -> str | None:
        """The WordNet lemma a word or compound is a form of ("dogs" -> "dog", "geese" -> "goose")."""
        word = " ".join(word.lower().replace("_", " ").replace("-", " ").split())
        if word in self._position:
            return word
        if word in self._exceptions:
            return self._exceptions[word]
        head, _, last = word.rpartition(" ")  # a compound's plural is its last word's ("fire trucks")
        for suffix, ending in _SUFFIXES:
            if last.endswith(suffix) and len(last) > len(suffix) + 1:
                base = (head + " " if head else "") + last[: len(last) - len(suffix)] + ending
                if base in self._position:
                    return base
        return None

    def of(self, word: str) -> ClassSet | None:
        """The classes a word covers, or None when WordNet ties it to none."""
        lemma = self.lemma(word)
        if lemma is None:
            return None
        i = self._position[lemma]
        span = slice(int(self._starts[i]), int(self._starts[i + 1]))
        return ClassSet(lemma, self._classes[span], self._weights[span])


@dataclass(frozen=True)
class WordHierarchy:
    """`WordClasses` for one model and word space: with each ImageNet class's vector in the
    space the photos' projections live in, so a word's classes find their photos there."""

    classes: WordClasses
    class_vectors: Vector  # (classes, dim), unit rows
    probabilities: Callable[[Vector], Vector]  # photos' unit features (rows) -> class probabilities

    def near(self, word: ClassSet) -> Vector | None:
        """The query vector for photos of the word's classes: their weighted mean vector."""
        mean = word.weights @ self.class_vectors[word.classes]
        norm = float(np.linalg.norm(mean))
        return (mean / norm).astype(np.float32) if norm > 0 else None


def class_mass(probabilities: Vector, word: ClassSet) -> Vector:
    """Each photo's weighted probability mass on the word's classes (0 to 1)."""
    mass: Vector = (probabilities[:, word.classes] @ word.weights).astype(np.float32)
    return np.minimum(mass, 1.0)
