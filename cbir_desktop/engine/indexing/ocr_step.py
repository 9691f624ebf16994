"""The OCR step: after the faces step, read the text of every photo the current text reader
has not read, and put what it recognises in the catalogue's full-text index.

Each photo first meets the free first pass (engine/ocr/first_pass.py: its class probabilities from
the stored features, where the model's classifier head ships); those it passes get a pixel check
(engine/ocr/pixels.py: tiny or one flat colour holds no text) and then the detector pass
(engine/ocr/detector.py); only photos where it sees text are recognised. A photo the first pass
turns away is recorded as read with no text, so a new `READER` reads it again.
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

import numpy as np

from ..errors import ImageUnreadable
from ..handles import LibraryHandles
from ..models.embedder import Embedder
from ..ocr.first_pass import FirstPass
from ..ocr.reader import READER, PhotoText, TextReader, shared_reader
from ..storage.catalogue import FEATURES, Catalogue, prefix_range
from ..storage.text_rows import forget_orphan_text, photos_needing_text, store_text
from ..types import IndexProgress
from .progress import progress_since

log = logging.getLogger(__name__)

PHASE = "reading text in photos"
TEXT_BATCH = 16  # photos a transaction stores


@dataclass
class TextReport:
    photos: int = 0  # photos read in this run
    passed: int = 0  # those the first pass sent on to the detector pass
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
    first_pass: FirstPass | None = None,
) -> Generator[IndexProgress, None, TextReport]:
    """Read the text of the photos under `folders` (all photos when empty) that `READER` has
    not read, yielding progress. `reader` makes the reader (default: RapidOCR on `threads`
    threads, the machine's cores up to 2); it is made only when there is something to read.
    `first_pass` (None: every photo goes to the detector) turns away photos without text."""
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
    passing: set[int] = set()
    for n, (photo_id, path) in enumerate(todo):
        if cancel.is_set():
            break
        if n % TEXT_BATCH == 0:
            passing = _passing(catalogue, first_pass, [pid for pid, _ in todo[n:n + TEXT_BATCH]])
        if photo_id in passing:
            report.passed += 1
            batch.append((photo_id, _read(text_reader, path, report)))
        else:
            batch.append((photo_id, PhotoText(False, "")))
        if len(batch) >= TEXT_BATCH:
            _store(catalogue, batch, report)
            batch = []
        done = report.photos + len(batch)
        yield progress_since(PHASE, done, total, start, path)
    if batch:
        _store(catalogue, batch, report)
    report.cancelled = report.photos < total
    return report


def first_pass_for(handles: LibraryHandles, embedder: Embedder) -> FirstPass | None:
    """The first pass for photos indexed with `embedder`: None where its classifier head does
    not ship (an imported model), and every photo then goes to the detector pass."""
    head = handles.class_head(embedder)
    return None if head is None else FirstPass.for_labels(embedder.id, head, embedder.labels())


def _passing(catalogue: Catalogue, first_pass: FirstPass | None, photo_ids: list[int]) -> set[int]:
    """The photos among `photo_ids` that go on to the detector pass: those the first pass lets
    through, and those it cannot judge (no features stored for its model)."""
    if first_pass is None:
        return set(photo_ids)
    stored = catalogue.vectors_of(photo_ids, first_pass.model_id, FEATURES)
    judged = [pid for pid in photo_ids if pid in stored]
    passing = set(photo_ids) - set(judged)
    if judged:
        verdicts = first_pass.might_hold_text(np.stack([stored[pid] for pid in judged]))
        passing.update(pid for pid, ok in zip(judged, verdicts, strict=True) if ok)
    return passing


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
