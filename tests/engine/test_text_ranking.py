"""Text-query scores: the blend and the term re-rank stay in the documented cosine range."""

from __future__ import annotations

import numpy as np

from cbir_desktop.engine.search.text import text_scores


def test_term_rerank_never_scores_above_one() -> None:
    rows = np.eye(3, dtype=np.float32)
    query = rows[0]
    overshooting = np.array([1.3, 0.2, -0.4], np.float32)  # ridge scores are not bounded
    scores = text_scores(rows, rows, query, 0.5, None, overshooting)
    assert scores.max() <= 1.0 and scores.min() >= -1.0
    assert int(np.argmax(scores)) == 0  # the order is kept
