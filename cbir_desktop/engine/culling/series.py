"""Series: consecutive shots of one scene (a burst, exposure bracketing, HDR on and off).

Two photos are of one series when one known camera took them (make and model from the
metadata: photos without a camera never form series, so a folder of files copied in one go,
all with nearly the same file time, is not taken for a burst), within `window_s` seconds of
each other (the capture time, the file time where there is none), and their image vectors are
at least `SERIES_COSINE` alike (neardup/'s HDR pairs: 0.87 and 0.97). The default window is
30 s, not the few seconds of a burst: bracketing and an HDR shot taken again with HDR off
(neardup/'s Canon pair: 26 s apart) are series too; the library setting changes it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..storage.culling_rows import CopyFacts

SERIES_COSINE = 0.75
DEFAULT_WINDOW_S = 30.0
MOST_FOLLOWING = 50  # shots after each one compared, however fast the burst


def series_pairs(facts: dict[int, CopyFacts], ids: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32],
                 window_s: float = DEFAULT_WINDOW_S) -> list[tuple[int, int, float]]:
    """(photo a, photo b, cosine) for the consecutive shots of one series."""
    row_of = {int(pid): row for row, pid in enumerate(ids.tolist())}
    shots = sorted((f for f in facts.values() if f.camera is not None and f.id in row_of),
                   key=lambda f: (f.camera, f.when))
    pairs: list[tuple[int, int, float]] = []
    for i, first in enumerate(shots):
        for second in shots[i + 1 : i + 1 + MOST_FOLLOWING]:
            if second.camera != first.camera or second.when - first.when > window_s:
                break
            cosine = float(np.dot(matrix[row_of[first.id]].astype(np.float32),
                                  matrix[row_of[second.id]].astype(np.float32)))
            if cosine >= SERIES_COSINE:
                pairs.append((first.id, second.id, cosine))
    return pairs
