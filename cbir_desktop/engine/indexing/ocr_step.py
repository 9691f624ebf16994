"""The OCR step: after the faces step, read the text of every photo the current text reader
has not read, and put what it recognises in the catalogue's full-text index.

Each photo costs a pixel check (engine/ocr/pixels.py: tiny or one flat colour holds no text) and
then the detector pass (engine/ocr/detector.py); only photos where it sees text are recognised.
Photos are stored `TEXT_BATCH` a transaction: a cancel or a crash loses one batch, and the next
run reads only what `text_read` does not hold yet. A photo that cannot be decoded is recorded as
holding no text (its reason logged) and never stops the run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from ..errors import ImageUnreadable
from ..ocr.reader import READER, PhotoText, TextReader, shared_reader
from ..storage.catalogue import Catalogue, prefix_range
from ..storage.text_rows import forget_orphan_text, photos_needing_text, store_text
from ..types import IndexProgress

log = logging.getLogger(__name__)

PHASE = "reading text in photos"
TEXT_BATCH = 16  # photos a transaction stores


@dataclass
class TextReport:
    photos: int = 0  # photos read in this run
    detected: int = 0  # those the detector pass saw text in (and that were recognised)
    with_text: int = 0  # those that gave recognised text
    cancelled: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of the unreadable ones


def read_text_step(
    catalogue: Catalogue,
    folders: Sequence[str],
    cancel: threading.Event,
    threads: int | None = None,
    reader: Callable[[], TextReader] | None = None,
) -> Generator[IndexProgress, None, TextReport]:
    """Read the text of the photos under `folders` (all photos when empty) that `READER` has
    not read, yielding progress. `reader` makes the reader (default: RapidOCR on `threads`
    threads, the machine's cores up to 2); it is made only when there is something to read."""
    report = TextReport()
    ranges = [prefix_range(os.path.abspath(folder)) for folder in folders]
    with catalogue.transaction("text"):
        forget_orphan_text(catalogue)
    todo = photos_needing_text(catalogue, READER, ranges)
    if not todo:
        return report
    text_reader = reader() if reader else shared_reader(threads or min(2, os.cpu_count() or 1))
    total, start = len(todo), time.monotonic()
    yield IndexProgress(PHASE, 0, total)
    batch: list[tuple[int, PhotoText]] = []
    for photo_id, path in todo:
        if cancel.is_set():
            break
        batch.append((photo_id, _read(text_reader, path, report)))
        if len(batch) >= TEXT_BATCH:
            _store(catalogue, batch, report)
            batch = []
        done = report.photos + len(batch)
        elapsed = time.monotonic() - start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else None
        yield IndexProgress(PHASE, done, total, rate, eta, path)
    if batch:
        _store(catalogue, batch, report)
    report.cancelled = report.photos < total
    return report


def _read(reader: TextReader, path: str, report: TextReport) -> PhotoText:
    try:
        return reader.read(path)
    except (ImageUnreadable, OSError) as exc:
        log.warning("No text read from %s: %s", path, exc)
        report.skipped.append((path, str(exc)))
        return PhotoText(False, "")


def _store(catalogue: Catalogue, read: list[tuple[int, PhotoText]], report: TextReport) -> None:
    with catalogue.transaction("text"):
        for photo_id, found in read:
            store_text(catalogue, photo_id, READER, found.detected, found.text)
            report.photos += 1
            report.detected += found.detected
            report.with_text += bool(found.text)
