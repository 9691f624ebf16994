"""Ranking for text queries: the zero-shot projection blended with what the library learned.

A query close to the library's own label words is answered mostly by the learned
projection, one far from them by the zero-shot (ImageNet) projection; a query that is
one of the library's own terms ("heron head", "grandma's garden") is also re-ranked by
that term's classifier. Read-only: what was learned comes in as a `LearnedState`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import EngineError, UnknownWord
from ..learning.learned import term_key
from ..learning.learner import LearnedState, learned_inputs
from ..models.embedder import Embedder, l2_normalise
from ..storage.catalogue import FEATURES, Catalogue
from ..types import WordHit
from ..vectors.index import VectorIndex
from ..words.hierarchy import WordHierarchy, class_mass
from ..words.space import WordSpace
from ..words.spelling import respell
from ..words.vectors import WordVectors
from .phrases import conjunction, content_words
from .relevance import BLEND, OWN_TERM, ZERO_SHOT

Vector = npt.NDArray[np.float32]

# Blend: a query that is one of the library's label words (cosine ~1 to one of them)
# is answered by the learned projection; one far from all of them (cosine below
# 0.4) by the zero-shot projection, which knows ImageNet's 1000 classes; linear
# in between. A fixed 0.2/0.8 mix measured 0.008 P@10 worse on Caltech-101 than
# this (bench/learned.py).
LEARNED_FROM, LEARNED_FULL = 0.4, 0.8
# The library's own label terms (whole folder names, confirmed tags) get a classifier:
# one-vs-rest ridge on the same inputs, solved with the word projection. A query that
# is one of them re-ranks its candidates by blend + TERM_WEIGHT x classifier score.
# bench/learned.py: P@10 0.822 (blend alone) -> 0.940 with 2.0 (0.5: 0.91, 4.0: 0.92 when tuned).
TERM_WEIGHT = 2.0
# A word WordNet ties to ImageNet classes scores a photo by the mean of its projection
# score and its probability mass on those classes (words/hierarchy.py). Caltech-101 text
# P@10 over every photo (bench/quality.py's recipe): 0.479 projection alone; with this
# weight 0.30 / 1.0 / 1.5 / 2.5: 0.576 / 0.599 / 0.600 / 0.605 (a plateau; measured before
# the conjunction's baseline, which gives 0.588 at 1.0). 1.0 keeps the cosine's scale. Held out
# (bench/heldout.py, chosen on half the classes): as search_text ranks (0.595 at 1.0) larger
# weights keep a gain on the other half (cross-validated 0.616; 0.613 on average over random
# halvings, 1.5-8.0 picked); relevance (relevance.py) is fitted to this scale, so a change needs
# bench/relevance.py again.
HIERARCHY_WEIGHT = 1.0
# Photos re-ranked per word: this many near its word vector and near its classes' vectors.
# Class probabilities are computed for each (1280 x 1000 head), so the pool sets the cost
# (about 3 ms for 120 photos, 10 ms for 400, on one free core); Caltech-101 text P@10 0.595 with 60
# (0.588 with 100, 0.584 with 200; 0.588 scoring every photo, bench/quality.py).
WORD_POOL = 60


def learned_weight(query: Vector, label_vectors: Vector) -> float:
    """How much the learned projection answers `query`: by its closeness to the label words."""
    if not len(label_vectors):
        return 0.0
    closest = float(np.max(label_vectors @ query))
    return float(np.clip((closest - LEARNED_FROM) / (LEARNED_FULL - LEARNED_FROM), 0.0, 1.0))


def text_scores(zero_shot: Vector, learned: Vector,
                query: Vector | None, weight: float, centre: Vector | None,
                term_scores: Vector | None) -> Vector:
    """A text query's score for photos (rows of their zero-shot and learned vectors): the
    blend of both projections, or for a term with no word vector its centre; plus the
    term classifier's score when the query is one of the library's own terms."""
    if query is not None:
        scores = blend(zero_shot @ query, learned @ query, weight)
    else:
        assert centre is not None
        scores = learned @ centre
    if term_scores is not None:  # scaled back so a perfect match still scores about 1
        scores = ((scores + TERM_WEIGHT * term_scores) / (1.0 + TERM_WEIGHT)).astype(np.float32)
    # A ridge classifier's score overshoots 1 on photos very like its term's (1.013 seen):
    # scores are documented as cosine-like, so they stay in [-1, 1].
    clipped: Vector = np.clip(scores, -1.0, 1.0).astype(np.float32)
    return clipped


def blend(zero_shot: Vector, learned: Vector,
          weight: float) -> Vector:
    """The text-search score when a learned projection exists (`weight` from `learned_weight`)."""
    return (1.0 - weight) * zero_shot + weight * learned


@dataclass(frozen=True)
class TextRanking:
    """A text query's (photo_id, score) pairs best first, and which scoring answered it:
    `ZERO_SHOT`, `BLEND` or `OWN_TERM` (their scores differ in scale, so relevance is
    calibrated for each; see relevance.py)."""

    kind: str
    scored: list[tuple[int, float]]


def rank_by_text(catalogue: Catalogue, model_id: str, space: WordSpace, text: str, k: int,
                 zero: VectorIndex, learned: LearnedState | None = None,
                 learned_index: VectorIndex | None = None, within: Collection[int] | None = None,
                 hierarchy: WordHierarchy | None = None) -> TextRanking:
    """(photo_id, score) best first for a word or phrase, and which scoring answered it;
    only photos `within` when given (a filter's); `UnknownWord` when nothing knows the word.
    With `hierarchy` (the model has the ImageNet head it belongs to) words also score by
    their WordNet classes; a phrase of several words is read as their conjunction."""
    term = learned.terms.position.get(term_key(text, space.words.__contains__)) if learned else None
    query = _query_vector(space.words, text, own_term=term is not None)
    classes = hierarchy.classes if hierarchy else None
    words = content_words(text, classes.compounds.__contains__ if classes else space.words.__contains__)
    if term is None and (hierarchy is not None or len(words) > 1):
        return _rank_by_words(catalogue, model_id, space, words, k, zero, learned, learned_index, within, hierarchy)
    weight = learned_weight(query, learned.label_vectors) if learned and query is not None else 0.0
    if learned is None or learned_index is None or (query is not None and weight == 0.0 and term is None):
        assert query is not None  # no learned state: `_query_vector` raised for an unknown word
        return TextRanking(ZERO_SHOT, zero.search(catalogue, query, k, within=within))
    kind = OWN_TERM if term is not None else BLEND
    centre = learned.terms.prototypes[term] if term is not None else None
    ids = sorted(_candidates(catalogue, zero, learned_index, query, centre, max(k * 5, 200), within))
    zero_vectors = zero.vectors_of(catalogue, ids)
    mine = learned_index.vectors_of(catalogue, ids)
    ids = [pid for pid in ids if pid in zero_vectors and pid in mine]
    if not ids:
        return TextRanking(kind, [])
    term_scores = (learned.terms.scores(learned_inputs(catalogue, model_id, ids), term)
                   if term is not None else None)
    scores = text_scores(np.stack([zero_vectors[pid] for pid in ids]), np.stack([mine[pid] for pid in ids]),
                         query, weight, centre, term_scores)
    order = np.argsort(-scores, kind="stable")[:k]
    return TextRanking(kind, [(ids[i], float(scores[i])) for i in order])


def _rank_by_words(catalogue: Catalogue, model_id: str, space: WordSpace, words: list[str], k: int,
                   zero: VectorIndex, learned: LearnedState | None, learned_index: VectorIndex | None,
                   within: Collection[int] | None, hierarchy: WordHierarchy | None) -> TextRanking:
    """Each content word scores the photos near any of them (near its word vector, or its
    classes' vectors); the phrase is their conjunction."""
    classes = hierarchy.classes if hierarchy else None
    vectors = {w: v for w in words if (v := space.words.vector(w)) is not None}
    sets = {w: c for w in words if classes is not None and (c := classes.of(w)) is not None}
    asked = [w for w in words if w in vectors or w in sets]
    if not asked:
        raise unknown_word(space.words, " ".join(words))
    use_learned = learned is not None and learned_index is not None
    found: set[int] = set()
    nearby = list(vectors.values())
    if hierarchy is not None:
        nearby += [v for c in sets.values() if (v := hierarchy.near(c)) is not None]
    wanted = max(k * 3, WORD_POOL)
    for near in nearby:
        found |= _candidates(catalogue, zero, learned_index, near, None, wanted, within) \
            if learned_index is not None else {pid for pid, _ in zero.search(catalogue, near, wanted, within=within)}
    zero_vectors = zero.vectors_of(catalogue, found)
    mine = learned_index.vectors_of(catalogue, found) if learned_index is not None else {}
    ids = sorted(pid for pid in found if pid in zero_vectors and (not use_learned or pid in mine))
    if not ids:
        return TextRanking(BLEND if use_learned else ZERO_SHOT, [])
    zero_rows = np.stack([zero_vectors[pid] for pid in ids])
    mine_rows = np.stack([mine[pid] for pid in ids]) if use_learned else zero_rows
    probabilities = _probabilities(catalogue, model_id, ids, hierarchy) if sets and hierarchy else None
    per_word, blended = [], False
    for word in asked:
        vector = vectors.get(word)
        weight = learned_weight(vector, learned.label_vectors) if learned and vector is not None else 0.0
        blended |= weight > 0.0
        mass = class_mass(probabilities, sets[word]) if word in sets and probabilities is not None else None
        per_word.append(word_scores(zero_rows, mine_rows, vector, weight, mass))
    scores = conjunction(per_word)
    order = np.argsort(-scores, kind="stable")[:k]
    return TextRanking(BLEND if blended else ZERO_SHOT, [(ids[i], float(scores[i])) for i in order])


def word_scores(zero_shot: Vector, learned: Vector, vector: Vector | None, weight: float,
                mass: Vector | None) -> Vector:
    """One content word's score for photos (rows of their zero-shot and learned vectors): its
    projection blend, averaged with the photos' mass on its WordNet classes when it has some."""
    scores = (blend(zero_shot @ vector, learned @ vector, weight) if vector is not None
              else np.zeros(len(zero_shot), np.float32))
    if mass is None:
        return np.asarray(scores, dtype=np.float32)
    return np.asarray((scores + HIERARCHY_WEIGHT * mass) / (1.0 + HIERARCHY_WEIGHT), dtype=np.float32)


def _probabilities(catalogue: Catalogue, model_id: str, ids: list[int], hierarchy: WordHierarchy) -> Vector:
    """ImageNet class probabilities of the photos (rows by `ids`), from their stored features;
    a photo without features gets none (all zero)."""
    features = catalogue.vectors_of(ids, model_id, FEATURES)
    if not features:
        return np.zeros((len(ids), len(hierarchy.class_vectors)), np.float32)
    dim = len(next(iter(features.values())))
    rows = np.stack([features.get(pid, np.zeros(dim, np.float32)) for pid in ids])
    probabilities = hierarchy.probabilities(rows)
    probabilities[[i for i, pid in enumerate(ids) if pid not in features]] = 0.0
    return probabilities


def _candidates(catalogue: Catalogue, zero: VectorIndex, learned_index: VectorIndex, query: Vector | None,
                centre: Vector | None, wanted: int, within: Collection[int] | None = None) -> set[int]:
    """Photos near the query in both spaces, and near the term's centre: the ones re-ranked."""
    found: set[int] = set()
    if query is not None:
        found |= {pid for pid, _ in zero.search(catalogue, query, wanted, within=within)}
        found |= {pid for pid, _ in learned_index.search(catalogue, query, wanted, within=within)}
    if centre is not None:
        found |= {pid for pid, _ in learned_index.search(catalogue, centre, wanted, within=within)}
    return found


def _query_vector(words: WordVectors, text: str, own_term: bool) -> Vector | None:
    """The query's word vector; None for one of the library's own terms that has none ("gerenuk")."""
    try:
        return text_query_vector(words, text)
    except UnknownWord:
        if own_term:
            return None
        raise


def text_query_vector(words: WordVectors, text: str) -> Vector:
    """The word vector of a word or phrase, or `UnknownWord` with spelling suggestions."""
    vector = words.vector(text)
    if vector is None:
        raise unknown_word(words, text)
    return l2_normalise(np.asarray(vector, dtype=np.float32))


def similar_words(words: WordVectors, word: str, k: int) -> list[WordHit]:
    if words.vector(word) is None:
        raise unknown_word(words, word)
    return [WordHit(w, round(float(s), 6)) for w, s in words.similar(word, k)]


def unknown_word(words: WordVectors, text: str) -> UnknownWord:
    """The error for a query no word vector knows, with its respellings."""
    respelt = respell(words, text)
    return UnknownWord(text, respelt.suggestions, respelt.best)


def require_words(embedder: Embedder) -> None:
    if not embedder.word_dim:
        raise EngineError(
            f"Model {embedder.id} has no word projection, so it cannot search by word; "
            "choose a model with a classifier head."
        )
