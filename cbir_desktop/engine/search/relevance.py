"""Calibrated relevance: how likely a hit answers its query, on one scale for every query.

Raw scores do not compare between queries: the right photos score 0.44 for one word and
1.0 for another, and text and image scores are different cosines altogether. So a hit's
relevance is a logistic function, fitted for each kind of query, of its score and its gap
below the query's best score (the per-query normalisation). It estimates the probability
that the photo shows what the query asks for (on Caltech-101: that it is of the query's
class), measured on held-out classes (bench/relevance.py). A score ranks higher in a
small library than in a large one, so the fits take the top 60 hits of libraries of 250
to 9,144 photos alike. A z-score against the query's top 200 candidates added nothing
measurable (calibration error within 0.01 either way) and would need those 200 ranked
for every search; relevance as it is depends only on a hit's score and the best score,
so the first k hits of a longer list keep theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Which scoring answered a query (search/text.py, search/image.py): each has its calibration.
ZERO_SHOT = "text, zero-shot"  # the word projection alone: nothing learned, or far from the library's words
BLEND = "text, blended"  # zero-shot blended with the projection learned from the library's labels
OWN_TERM = "text, own term"  # one of the library's own terms: re-ranked by its classifier
IMAGE = "image"  # look-alikes of an image file (model features, near-duplicates boosted)
EXPANDED = "image, expanded"  # the same with query expansion over augmented vectors (search/expansion.py)

# Results end here: hits below it are shown only on "show more" (window) or `--all` (CLI).
# bench/relevance.py, classes held out, all 9,144 photos, 0.4 against 0.5: F1 zero-shot text
# 0.68 / 0.59, blended 0.62 / 0.36, own terms 0.96 / 0.96, images 0.79 / 0.77; precision
# 0.64 / 0.62, 0.53 / 0.49, 0.95 / 0.96, 0.77 / 0.81 (and alike in libraries of 250 to 3,000
# photos). Hits scored 0.4-0.6 were relevant 51-62% of the time, for every kind of query:
# the hits between 0.4 and 0.5 are more often right than wrong, and 0.5 left 36% of
# zero-shot and 62% of blended text queries with nothing to show (0.4: 25% and 19%).
RELEVANT_FROM = 0.4
STRONG_FROM = 0.8


@dataclass(frozen=True)
class Calibration:
    """Logistic weights of one kind of query: relevance = sigmoid(bias + score.s + gap.g)."""

    bias: float
    score: float  # per unit of raw score
    gap: float  # per unit below the query's best score; score - gap >= 0 keeps relevance falling with rank

    def logits(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = self.bias + features @ np.array([self.score, self.gap])
        return out


# Fitted by bench/relevance.py (2026-11-30: text with WordNet classes and phrases as conjunctions,
# images expanded or not) on Caltech-101 with all its queries (zero-shot
# text and images also in random libraries of 3,000, 1,000 and 250 of its photos); its
# figures are measured with each half of the classes' queries scored by the fit on the other.
CALIBRATIONS: dict[str, Calibration] = {
    ZERO_SHOT: Calibration(bias=-3.783, score=4.768, gap=-5.366),
    BLEND: Calibration(bias=-1.556, score=1.910, gap=-1.515),
    OWN_TERM: Calibration(bias=-4.910, score=13.235, gap=-3.254),
    IMAGE: Calibration(bias=-9.812, score=19.018, gap=0.029),
    EXPANDED: Calibration(bias=-13.093, score=17.500, gap=0.935),
}


def features(scores: Sequence[float] | npt.NDArray[np.floating], own: int | None = None,
             ) -> npt.NDArray[np.float64]:
    """Rows of (score, gap below the query's best score) for one query's scores, best first.
    `own` is the position of the query photo itself (an image query from the library): it is
    not the best, so a library photo and a copy of it outside the library score alike."""
    s = np.asarray(scores, np.float64)
    others = np.delete(s, own) if own is not None and 0 <= own < len(s) else s
    best = float(others.max()) if others.size else 0.0
    return np.stack([s, best - s], axis=1)


def relevance(kind: str, scores: Sequence[float] | npt.NDArray[np.floating], own: int | None = None,
              ) -> npt.NDArray[np.float64]:
    """Relevance in [0, 1] of each of one query's hits (scores best first; `own` as in
    `features`, and 1.0 for it: the photo itself answers "photos like this one"). It depends
    only on the hit's score and the best one, so the first k of more hits keep theirs."""
    if not len(scores):
        return np.zeros(0)
    rel = 1.0 / (1.0 + np.exp(-CALIBRATIONS[kind].logits(features(scores, own))))
    if own is not None and 0 <= own < len(rel):
        rel[own] = 1.0
    # The weights keep relevance falling with the score; this keeps it so for scores that
    # are not quite sorted (the query photo after a tied copy of it).
    out: npt.NDArray[np.float64] = np.minimum.accumulate(rel)
    return out


def scored_relevance(kind: str, scored: Sequence[tuple[int, float]], own_photo: int | None = None) -> list[float]:
    """`relevance` of (photo_id, score) pairs best first; `own_photo` is the query's own photo id."""
    ids = [pid for pid, _ in scored]
    own = ids.index(own_photo) if own_photo is not None and own_photo in ids else None
    return [round(float(r), 4) for r in relevance(kind, [score for _, score in scored], own)]


def relevance_band(value: float) -> str:
    """The word shown for a relevance: "strong" (from STRONG_FROM), "possible" (from the
    cut-off) or "weak" (below it: shown only when asked for)."""
    if value >= STRONG_FROM:
        return "strong"
    return "possible" if value >= RELEVANT_FROM else "weak"
