"""Colour words in text search: "red", "yellow flower", "black and white".

The image model knows objects, not colours (its word projection puts "red" near tomatoes and
fire engines, whatever their colour in the photo), so colour words are answered from each
photo's colour description (photos/colour_terms.py) instead: a query is split into its colour
words and the rest. Colour words alone rank photos by how much of them (centre first) is that
colour; with an object ("red car") both must hold: the colour score and the object's text
score are combined as a conjunction (`combine_with_colour`: a product of normalised scores,
so a photo strong in one and missing the other scores near zero), never as an average of
word vectors, which would find red things and cars. A query that is a class name as a whole
("red fox", "golden retriever", "great white shark") is not split: it names a thing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..photos.colour_terms import TERMS, fractions, monochrome

__all__ = ["BLACK_AND_WHITE", "COLOUR_WORDS", "ColourQuery", "colour_scores", "combine_with_colour",
           "rank_by_colour", "rank_coloured", "split_colour_words"]

Vector = npt.NDArray[np.float32]

BLACK_AND_WHITE = "black and white"  # not a basic term: photos near greyscale (`monochrome`)
COLOUR_WORDS: dict[str, str] = {
    **{term: term for term in TERMS},
    "gray": "grey", "violet": "purple", "magenta": "pink", "crimson": "red", "scarlet": "red",
    "golden": "yellow", "beige": "brown",
    **{f"{term}s": term for term in ("red", "green", "blue", "yellow", "purple", "pink")},
    "greyscale": BLACK_AND_WHITE, "grayscale": BLACK_AND_WHITE, "monochrome": BLACK_AND_WHITE,
    "b&w": BLACK_AND_WHITE, "b/w": BLACK_AND_WHITE, "bw": BLACK_AND_WHITE,
}
_BLACK_AND_WHITE = re.compile(r"\bblack\s*(?:-\s*)?(?:and|&|n)\s*(?:-\s*)?white\b")
_MARK = "\x00bw"  # stands for "black and white" while the query is split into words
# Words that join colours and things but ask for nothing: "red and blue", "red with white".
_JOINERS = frozenset({"and", "&", "or", "with", "a", "an", "the", "coloured", "colored", "colour", "color"})
# A colour's fraction of the photo (centre-weighted) this large scores 1 - 1/e = 0.63; the score
# rises smoothly towards 1, so photos rank by how much of the colour they hold, ties never (a
# whole photo of it: 0.81). bench/colours.py, colour + object P@10 over 45 queries (tuned on the
# benchmark itself), scale 0.1: 0.429, 0.2: 0.456, 0.35: 0.473, 0.6: 0.493, 1.0: 0.496, 5.0: 0.500;
# colour words alone rank the same at any scale from 0.1. Held out (bench/heldout.py: chosen on half
# the classes, measured on the other) 0.496: a plateau from 0.6 up, nothing owed to the tuning.
COLOUR_SCALE = 0.6


@dataclass(frozen=True)
class ColourQuery:
    """A query's colour words (basic terms, or `BLACK_AND_WHITE`; all must hold) and the rest
    of it as typed (the thing searched for; "" for colours alone)."""

    colours: tuple[str, ...]
    rest: str


def split_colour_words(text: str, whole_names: Collection[str] = ()) -> ColourQuery:
    """Split `text` into colour words and the rest; a query of several words that is one of
    `whole_names` (lower case: the model's class names) is left whole."""
    lowered = " ".join(text.lower().split())
    if " " in lowered and lowered in whole_names:
        return ColourQuery((), text)
    colours: list[str] = []
    rest: list[str] = []
    for word in _BLACK_AND_WHITE.sub(_MARK, lowered).split():
        bare = word.strip(".,;:!?\"'()")
        colour = BLACK_AND_WHITE if bare == _MARK else COLOUR_WORDS.get(bare)
        if colour is None:
            rest.append(word)
        elif colour not in colours:
            colours.append(colour)
    if not colours:
        return ColourQuery((), text)
    while rest and rest[0] in _JOINERS:
        rest.pop(0)
    while rest and rest[-1] in _JOINERS:
        rest.pop()
    return ColourQuery(tuple(colours), " ".join(rest))


def colour_scores(descriptions: npt.NDArray[np.uint8], colours: Sequence[str]) -> Vector:
    """Each photo's score in [0, 1) for holding every one of `colours` (rows of stored
    descriptions): per colour 1 - exp(-fraction / COLOUR_SCALE), or `monochrome` for black and
    white; several colours multiply (each must be there)."""
    scores = np.ones(len(descriptions), np.float32)
    parts = fractions(descriptions)
    for colour in colours:
        if colour == BLACK_AND_WHITE:
            scores *= monochrome(descriptions)
        else:
            scores *= 1.0 - np.exp(-parts[:, TERMS.index(colour)] / COLOUR_SCALE)
    return scores.astype(np.float32)


def combine_with_colour(object_scores: Vector, colour_scores: Vector) -> Vector:
    """The conjunction of an object's text scores and colour scores for the same photos: the
    object scores min-max normalised over these photos (a query's candidates) to [0, 1], times
    the colour scores, square-rooted (the geometric mean: in [0, 1], and near 0 when either is).
    A product, not a sum: a photo with only one of the two never outranks one with both."""
    object_scores = np.asarray(object_scores, np.float32)
    if not len(object_scores):
        return np.zeros(0, np.float32)
    low, high = float(object_scores.min()), float(object_scores.max())
    normalised = (object_scores - low) / (high - low) if high > low else np.ones_like(object_scores)
    combined: Vector = np.sqrt(np.clip(normalised, 0.0, 1.0) * np.clip(colour_scores, 0.0, 1.0)).astype(np.float32)
    return combined


def rank_by_colour(ids: npt.NDArray[np.int64], descriptions: npt.NDArray[np.uint8], colours: Sequence[str],
                   k: int) -> list[tuple[int, float]]:
    """(photo_id, colour score) best first, `k` of them, for a query of colour words alone."""
    scores = colour_scores(descriptions, colours)
    order = np.argsort(-scores, kind="stable")[:k]  # stable: k hits are the first k of more (100,000: ~8 ms)
    return [(int(ids[i]), float(scores[i])) for i in order]


def rank_coloured(object_scored: Sequence[tuple[int, float]], object_relevance: Sequence[float],
                  ids: npt.NDArray[np.int64], descriptions: npt.NDArray[np.uint8], colours: Sequence[str],
                  k: int) -> tuple[list[tuple[int, float]], list[float]]:
    """The object's candidates (photo_id, text score) re-ranked by `combine_with_colour`, `k` of
    them, and their relevance: the object's (calibrated) relevance times the colour score,
    kept falling with rank. A candidate with no colour description scores 0 for colour."""
    if not object_scored:
        return [], []
    row = {int(pid): i for i, pid in enumerate(ids)}
    candidates = np.array([pid for pid, _ in object_scored], np.int64)
    found = np.array([row.get(int(pid), -1) for pid in candidates])
    colour = np.zeros(len(candidates), np.float32)
    if (found >= 0).any():
        colour[found >= 0] = colour_scores(descriptions[found[found >= 0]], colours)
    combined = combine_with_colour(np.array([s for _, s in object_scored], np.float32), colour)
    order = np.argsort(-combined, kind="stable")[:k]
    relevance = np.minimum.accumulate(np.asarray(object_relevance, np.float64)[order] * colour[order])
    return ([(int(candidates[i]), float(combined[i])) for i in order],
            [round(float(r), 4) for r in relevance])
