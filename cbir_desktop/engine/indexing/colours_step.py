"""The colour pass: describe the colours of photos a library held before colour words existed
(or described by an older rule), so colour words find them too.

Indexing describes every photo it embeds from the copy it already decoded; this pass is for the
rest, and needs a decode of its own, but a small one: JPEGs decode at 1/8 scale or less
(`decode_photo`'s draft mode), so it runs several times faster than indexing. Photos are
stored `COLOUR_BATCH` a transaction: a cancel or a crash loses one batch, and the next run
describes only what `photo_colours` does not hold yet. A photo that cannot be decoded keeps an
empty description (logged once), so it is not tried again on every rescan; indexing describes
it afresh when the file changes, and a new rule tries it again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import ImageUnreadable
from ..photos.colour_terms import RULE_VERSION, SIDE, describe_colours
from ..photos.decode import decode_photo
from ..storage.catalogue import Catalogue, prefix_range
from ..storage.colour_rows import photos_needing_colours, store_colours
from ..types import IndexProgress
from .progress import progress_since

log = logging.getLogger(__name__)

PHASE = "describing colours"
COLOUR_BATCH = 200  # photos a transaction stores
DECODE_SIDE = 2 * SIDE  # the shorter side decoded: twice what the description samples


@dataclass
class ColourReport:
    photos: int = 0  # photos described in this run
    unreadable: int = 0  # photos that could not be decoded (kept as such until they change)
    cancelled: bool = False


def describe_colours_step(
    catalogue: Catalogue,
    folders: Sequence[str],
    cancel: threading.Event,
    threads: int | None = None,
) -> Generator[IndexProgress, None, ColourReport]:
    """Describe the colours of the photos under `folders` (all photos when empty) that have no
    description by the current rule, on `threads` decode threads, yielding progress."""
    report = ColourReport()
    ranges = [prefix_range(os.path.abspath(folder)) for folder in folders]
    todo = photos_needing_colours(catalogue, RULE_VERSION, ranges)
    if not todo:
        return report
    total, start = len(todo), time.monotonic()
    yield IndexProgress(PHASE, 0, total)
    with ThreadPoolExecutor(threads or max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="colours") as pool:
        for first in range(0, total, COLOUR_BATCH):
            if cancel.is_set():
                break
            batch = todo[first : first + COLOUR_BATCH]
            found = list(pool.map(_describe, (path for _, path in batch)))
            with catalogue.transaction("colours"):
                for (photo_id, _), description in zip(batch, found, strict=True):
                    store_colours(catalogue, photo_id, RULE_VERSION, UNREADABLE if description is None else description)
            report.photos += sum(d is not None for d in found)
            report.unreadable += sum(d is None for d in found)
            done = first + len(batch)
            yield progress_since(PHASE, done, total, start, batch[-1][1])
    report.cancelled = report.photos + report.unreadable < total
    return report


UNREADABLE = np.zeros(0, np.uint8)  # an empty description: colour searches skip it


def _describe(path: str) -> npt.NDArray[np.uint8] | None:
    try:
        return describe_colours(decode_photo(path, min_side=DECODE_SIDE).image)
    except (ImageUnreadable, OSError, MemoryError) as exc:
        log.warning("No colours described for %s: %s", path, exc)
        return None
