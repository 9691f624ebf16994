"""A text query as the words it asks for, and photos scored as their conjunction.

"dog on the beach" asks for a dog AND a beach: the average of the two word vectors is
a point between them that a photo of either alone can be nearest to. So the query is
split into its content words (WordNet compounds such as "golden retriever" kept whole,
stop words dropped), each word scores the candidate photos on its own, and `conjunction`
combines them so that every word must be satisfied. Any per-word score over the same
candidates can join (colour words, for instance): `conjunction` takes plain arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from ..words.vectors import tokenize

__all__ = ["STOP_WORDS", "conjunction", "content_words"]

Vector = npt.NDArray[np.float32]
STOP_WORDS = frozenset(
    "a an the and or on in at of with without by near under over beside behind from to for "
    "into onto some my our their his her its is are this that these those".split()
)
MAX_COMPOUND = 4  # words in the longest compound looked for ("four poster bed")
FLOOR = 1e-2  # a word's rescaled score below this counts as this (log of zero)
# The percentile of a word's scores among the candidates that counts as "absent". Caltech-101 text
# P@10 hardly moves with it (0.591-0.602 from 0 to 80 as search_text ranks: only 10 of its 100
# phrases are several words); chosen on half the classes it does no better on the other half
# than 25 (bench/heldout.py).
BASELINE = 25


def content_words(text: str, is_compound: Callable[[str], bool]) -> list[str]:
    """The query's content words in order, longest compounds first ("fire truck on a road"
    -> ["fire truck", "road"]); the whole text when it is only stop words."""
    tokens = [t for t in tokenize(text) if t not in STOP_WORDS]
    words, i = [], 0
    while i < len(tokens):
        for n in range(min(MAX_COMPOUND, len(tokens) - i), 0, -1):
            candidate = " ".join(tokens[i:i + n])
            if n == 1 or is_compound(candidate):
                words.append(candidate)
                i += n
                break
    return words or [text]


def conjunction(per_word: Sequence[Vector]) -> Vector:
    """Photos' scores for all the words at once (each array: one word's scores of the same
    photos). Each word's scores are rescaled to 0 (a typical photo among these: BASELINE) ..
    1 (its best), so that unrelated words' nonzero cosines count as absent; their geometric
    mean ranks a photo strong on one word and missing another below one that has some of
    each. Scaled by the words' mean best to stay on their scale. One word: its own scores."""
    if len(per_word) == 1:
        return per_word[0]
    logs, tops = [], []
    for scores in per_word:
        top = float(np.max(scores)) if scores.size else 0.0
        low = float(np.percentile(scores, BASELINE)) if scores.size else 0.0
        tops.append(top)
        spread = top - low
        shifted = np.maximum((scores - low) / spread if spread > 0 else np.ones_like(scores), FLOOR)
        logs.append(np.log(shifted))
    combined: Vector = (np.exp(np.mean(logs, axis=0)) * float(np.mean(tops))).astype(np.float32)
    return combined
