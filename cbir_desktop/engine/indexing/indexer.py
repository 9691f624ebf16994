"""Bringing the catalogue in line with photo folders: scan, reconcile, embed, store.

Decoding runs on a bounded, order-keeping look-ahead of threads (Pillow releases
the GIL) while the model runs on the caller's thread, so the CPU is shared by both
stages. Every batch is committed in one transaction: an interruption loses at most
the batch in flight, and the next run picks up what is left.

A photo's own metadata (engine/photos/metadata.py) is read by the same decode threads from
the bytes already read. Photos indexed before metadata was read (or by an older reader) get
theirs in a pass of their own, from the head of each file and without the image model.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..errors import EngineError, ImageUnreadable
from ..handles import LibraryHandles
from ..models.embedder import Embedder
from ..photos.colour_terms import RULE_VERSION, describe_colours
from ..photos.decode import (
    DEFAULT_PIXEL_LIMIT,
    colour_signature,
    content_hash,
    decode_photo,
    read_file_bytes,
)
from ..photos.formats import worth_retrying
from ..photos.metadata import READER_VERSION, read_metadata
from ..photos.pairs import raw_pairs_among
from ..photos.preprocess import to_model_input
from ..photos.sidecars import sidecar_keywords
from ..storage.catalogue import Catalogue, PhotoRow, PhotoVectors
from ..storage.colour_rows import store_colours
from ..types import Failure, IndexProgress, IndexReport, PhotoMetadata
from ..vectors.index import VectorIndex
from ..vectors.neighbours import AUGMENTED, expansion_on, update_neighbours
from .progress import progress_since
from .scanner import ScannedFile, ScanProblem, walk

log = logging.getLogger(__name__)

TAGS_PER_PHOTO = 10
METADATA_BATCH = 200  # photos whose metadata one transaction stores, in the pass without the model


@dataclass
class IndexPlan:
    """What a scan found to do; `todo` holds files to embed (new or changed)."""

    todo: list[ScannedFile] = field(default_factory=list)
    new_paths: set[str] = field(default_factory=set)
    report: IndexReport = field(default_factory=IndexReport)


@dataclass(frozen=True)
class _Decoded:
    item: ScannedFile
    tensor: npt.NDArray[np.float32] | None
    content_hash: bytes = b""
    width: int = 0
    height: int = 0
    colour: npt.NDArray[np.float32] | None = None
    keywords: tuple[str, ...] = ()
    metadata: PhotoMetadata | None = None
    failure: str = ""
    colours: npt.NDArray[np.uint8] | None = None  # photos/colour_terms.py: the colour words' description


def index_folders(
    handles: LibraryHandles,
    folders: Sequence[str],
    embedder: Embedder,
    cancel: threading.Event,
    batch_size: int | None = None,
    metadata: bool = True,
) -> Generator[IndexProgress, None, IndexReport]:
    """Scan, reconcile and embed `folders` in a catalogue connection of its own (a worker
    thread's), yielding progress; returns what changed. `metadata=False` reads no photo
    metadata (the benchmark's baseline)."""
    catalogue = handles.open_catalogue()
    try:
        yield IndexProgress("scanning", 0, 0)
        plan = plan_index(catalogue, folders, embedder.id, cancel)
        if plan.report.cancelled:
            return plan.report
        if metadata and not (yield from read_missing_metadata(catalogue, folders, plan, cancel)):
            return plan.report
        report = yield from run_index(catalogue, plan, embedder, handles.indexes_for(embedder), cancel, batch_size,
                                      metadata=metadata)
        for folder in map(os.path.abspath, folders):  # among what is indexed now: moves and removals too
            catalogue.replace_raw_pairs(folder, raw_pairs_among(catalogue.photo_paths(folder)))
        if not report.cancelled and expansion_on(catalogue):
            yield from update_graph(catalogue, handles.vector_index(embedder.id, AUGMENTED, embedder.spec.feature_dim))
        return report
    finally:
        catalogue.close()


def update_graph(catalogue: Catalogue, augmented: VectorIndex) -> Generator[IndexProgress, None, None]:
    """Update the neighbour graph and augmented vectors for what changed (vectors/neighbours.py),
    then their index when a rebuild would cover vectors it lacks."""
    yield IndexProgress("finding neighbours", 0, 0)
    if update_neighbours(catalogue, augmented.model_id) and augmented.is_stale(catalogue):
        yield IndexProgress("building index", 0, 0)
        augmented.rebuild(catalogue)


def read_missing_metadata(
    catalogue: Catalogue,
    folders: Sequence[str],
    plan: IndexPlan,
    cancel: threading.Event,
    threads: int | None = None,
) -> Generator[IndexProgress, None, bool]:
    """Read and store the metadata of photos already indexed that have none (a library from
    before metadata) or an older reader's, skipping those about to be embedded (they get it
    then); counts them in `plan.report.metadata_read`. No image model runs: each file's head is
    read on `threads` threads, `METADATA_BATCH` photos a transaction, so a cancel or a crash
    loses one batch. Returns False when cancelled (`plan.report.cancelled` is set)."""
    embedding = {item.path for item in plan.todo}
    todo = [row for folder in folders for row in catalogue.photos_needing_metadata(os.path.abspath(folder),
                                                                                   READER_VERSION)
            if row.path not in embedding]
    if not todo:
        return True
    start = time.monotonic()
    yield IndexProgress("reading metadata", 0, len(todo))

    def read(row: PhotoRow) -> PhotoMetadata:
        size = (row.width, row.height) if row.width > 0 and row.height > 0 else None
        return read_metadata(row.path, mtime_ns=row.mtime_ns, size=size)

    with ThreadPoolExecutor(threads or _decode_threads(), thread_name_prefix="metadata") as pool:
        for first in range(0, len(todo), METADATA_BATCH):
            rows = todo[first : first + METADATA_BATCH]
            found = list(pool.map(read, rows))
            with catalogue.transaction("metadata"):
                for row, metadata in zip(rows, found, strict=True):
                    catalogue.store_metadata(row.id, metadata, READER_VERSION)
            done = first + len(rows)
            plan.report.metadata_read = done
            elapsed = time.monotonic() - start
            rate = done / elapsed if elapsed > 0 else 0.0
            eta = (len(todo) - done) / rate if rate > 0 else None
            yield IndexProgress("reading metadata", done, len(todo), rate, eta, rows[-1].path)
            if cancel.is_set():
                plan.report.cancelled = True
                return False
    return True


def _decode_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def plan_index(
    catalogue: Catalogue,
    folders: Sequence[str],
    model_id: str,
    cancel: threading.Event,
) -> IndexPlan:
    """Scan `folders`, apply moves and deletions to the catalogue, list what to embed."""
    plan = IndexPlan()
    report = plan.report
    scanned, problems, unreachable = _scan(folders, cancel)
    if cancel.is_set():
        report.cancelled = True
        return plan

    known: dict[str, PhotoRow] = {}
    failed_before: dict[str, tuple[int, int, str]] = {}
    for folder in folders:
        if os.path.abspath(folder) in unreachable:
            continue  # an unplugged drive must not empty the library
        known.update(catalogue.photos_under(os.path.abspath(folder)))
        failed_before.update(catalogue.failures_under(os.path.abspath(folder)))
    with_vectors = catalogue.photo_ids_with_vectors(model_id)

    vanished = {path: row for path, row in known.items() if path not in scanned}
    candidates = _sort_scanned(scanned, known, failed_before, with_vectors, plan)

    moves = _find_moves(candidates, vanished)
    with catalogue.transaction("plan"):
        for item in candidates:
            moved = moves.get(item.path)
            if moved is not None:
                catalogue.move_photo(moved.id, item.path, item.mtime_ns)
                del vanished[moved.path]
                report.moved += 1
                if moved.id not in with_vectors:
                    plan.todo.append(item)
            else:
                plan.todo.append(item)
                plan.new_paths.add(item.path)
        report.removed = catalogue.delete_photos(row.id for row in vanished.values())
        gone = [p for p in failed_before if p not in scanned and p not in problems]
        catalogue.delete_failures(gone)
        for path, reason in problems.items():
            if path not in unreachable:
                catalogue.record_failure(path, 0, 0, reason)
                report.failed.append(Failure(path, reason))
    for path in unreachable:
        report.failed.append(Failure(path, problems[path]))
    return plan


def _sort_scanned(scanned: dict[str, ScannedFile], known: dict[str, PhotoRow],
                  failed_before: dict[str, tuple[int, int, str]], with_vectors: set[int],
                  plan: IndexPlan) -> list[ScannedFile]:
    """Changed photos go to `plan.todo`, unchanged ones are counted, files that failed before
    and did not change stay failed; returns the new paths (new photos, or moved ones)."""
    candidates: list[ScannedFile] = []
    for path, item in scanned.items():
        row = known.get(path)
        if row is None:
            before = failed_before.get(path)
            if (before and before[0] == item.size and before[1] == item.mtime_ns
                    and not worth_retrying(path, before[2])):
                plan.report.failed.append(Failure(path, before[2]))  # unchanged, still broken
            else:
                candidates.append(item)
        elif row.size != item.size or row.mtime_ns != item.mtime_ns or row.id not in with_vectors:
            plan.todo.append(item)
        else:
            plan.report.unchanged += 1
    return candidates


def _scan(folders: Sequence[str], cancel: threading.Event
          ) -> tuple[dict[str, ScannedFile], dict[str, str], list[str]]:
    """Walk `folders`: the photos found, the paths that could not be read (with the reason),
    and the folders themselves that could not be reached (an unplugged drive)."""
    scanned: dict[str, ScannedFile] = {}
    problems: dict[str, str] = {}
    unreachable: list[str] = []
    for folder in folders:
        for found in walk(folder, cancel.is_set):
            if isinstance(found, ScanProblem):
                if found.path == os.path.abspath(folder):
                    unreachable.append(found.path)
                problems[found.path] = found.reason
            else:
                scanned[found.path] = found
    return scanned, problems, unreachable


def _find_moves(candidates: list[ScannedFile], vanished: dict[str, PhotoRow]) -> dict[str, PhotoRow]:
    """Match new paths to vanished photos by size, then by content hash."""
    by_size: dict[int, list[PhotoRow]] = {}
    for row in vanished.values():
        if row.content_hash:
            by_size.setdefault(row.size, []).append(row)
    moves: dict[str, PhotoRow] = {}
    for item in candidates:
        rows = by_size.get(item.size)
        if not rows:
            continue
        try:
            digest = content_hash(read_file_bytes(item.path))
        except ImageUnreadable:
            continue
        for row in rows:
            if row.content_hash == digest:
                moves[item.path] = row
                rows.remove(row)
                break
    return moves


def run_index(  # noqa: C901 - one pipeline loop (look-ahead, batch, cancel, OOM) reads best whole
    catalogue: Catalogue,
    plan: IndexPlan,
    embedder: Embedder,
    indexes: Sequence[VectorIndex],
    cancel: threading.Event,
    batch_size: int | None = None,
    decode_threads: int | None = None,
    pixel_limit: int = DEFAULT_PIXEL_LIMIT,
    metadata: bool = True,
) -> Generator[IndexProgress, None, IndexReport]:
    """Embed `plan.todo` (and read their metadata, unless `metadata` is False), committing per
    batch; yields progress, returns the report."""
    report = plan.report
    total = len(plan.todo)
    batch_size = batch_size or embedder.batch_size
    size, policy = embedder.spec.input_size, embedder.spec.resize
    decode_threads = decode_threads or _decode_threads()
    start = time.monotonic()
    done = 0

    def decode(item: ScannedFile) -> _Decoded:
        try:
            data = read_file_bytes(item.path)  # once, for the decoder and the metadata reader
            photo = decode_photo(item.path, min_side=size, pixel_limit=pixel_limit, data=data)
            tensor = to_model_input(photo.image, size, policy)
            colour = colour_signature(photo.image)
            keywords = photo.keywords + tuple(sidecar_keywords(item.path))
            found = (read_metadata(item.path, data, item.mtime_ns, (photo.width, photo.height))
                     if metadata else None)
            return _Decoded(item, tensor, photo.content_hash, photo.width, photo.height, colour, keywords, found,
                            colours=describe_colours(photo.image))
        except ImageUnreadable as exc:
            return _Decoded(item, None, failure=exc.reason)
        except MemoryError:
            return _Decoded(item, None, failure="not enough memory to decode it")

    yield IndexProgress("indexing", 0, total)
    batch: list[_Decoded] = []
    with ThreadPoolExecutor(decode_threads, thread_name_prefix="decode") as pool:
        pending: deque[Future[_Decoded]] = deque()
        queue = iter(plan.todo)
        lookahead = batch_size * 3
        while True:
            while len(pending) < lookahead and not cancel.is_set():
                item = next(queue, None)
                if item is None:
                    break
                pending.append(pool.submit(decode, item))
            if not pending:
                break
            batch.append(pending.popleft().result())
            if len(batch) >= batch_size or not pending:
                _store_batch(catalogue, embedder, batch, plan, report)
                done += len(batch)
                batch = []
                yield progress_since("indexing", done, total, start, plan.todo[done - 1].path)
            if cancel.is_set():
                for future in pending:
                    future.cancel()
                report.cancelled = True
                break
    if not report.cancelled:
        for index in indexes:
            if index.is_stale(catalogue):
                yield IndexProgress("building index", done, total)
                index.rebuild(catalogue)
    report.seconds = time.monotonic() - start
    yield IndexProgress("done", done, total, done / max(report.seconds, 1e-9))
    return report


def _store_batch(  # noqa: C901 - one transaction: each branch is one outcome of a decoded file
    catalogue: Catalogue,
    embedder: Embedder,
    batch: list[_Decoded],
    plan: IndexPlan,
    report: IndexReport,
) -> None:
    good = [d for d in batch if d.tensor is not None]
    embedded = None
    if good:
        tensors = np.stack([d.tensor for d in good if d.tensor is not None])
        try:
            embedded = embedder.embed_robust(tensors)
        except EngineError:
            raise
        except Exception:  # noqa: BLE001 - one bad batch: retry photo by photo
            embedded = None
    with catalogue.transaction("batch"):
        for position, decoded in enumerate(good):
            item = decoded.item
            try:
                if embedded is not None:
                    features = embedded.features[position]
                    logits = embedded.logits[position] if embedded.logits is not None else None
                    words = embedded.words[position] if embedded.words is not None else None
                else:
                    assert decoded.tensor is not None  # `good` holds only decoded photos
                    single = embedder.embed_robust(decoded.tensor[None, ...])
                    features = single.features[0]
                    logits = single.logits[0] if single.logits is not None else None
                    words = single.words[0] if single.words is not None else None
            except Exception as exc:  # noqa: BLE001 - record and go on
                catalogue.record_failure(item.path, item.size, item.mtime_ns, f"model failed: {exc}")
                report.failed.append(Failure(item.path, f"model failed: {exc}"))
                continue
            tags = embedder.tags(logits, TAGS_PER_PHOTO) if logits is not None else []
            photo_id = catalogue.upsert_photo(
                item.path, item.size, item.mtime_ns, decoded.content_hash, decoded.width,
                decoded.height, decoded.colour,
            )
            catalogue.store_vectors(photo_id, embedder.id, PhotoVectors(features, words, tags))
            if decoded.colours is not None:
                store_colours(catalogue, photo_id, RULE_VERSION, decoded.colours)
            if decoded.metadata is not None:
                catalogue.store_metadata(photo_id, decoded.metadata, READER_VERSION)
            if decoded.keywords:
                catalogue.add_file_keywords(photo_id, decoded.keywords)
            if item.path in plan.new_paths:
                report.added += 1
            else:
                report.updated += 1
        for decoded in batch:
            if decoded.tensor is None:
                item = decoded.item
                catalogue.record_failure(item.path, item.size, item.mtime_ns, decoded.failure)
                report.failed.append(Failure(item.path, decoded.failure))
                if item.path not in plan.new_paths:
                    # A photo that became unreadable leaves the searchable library.
                    row = catalogue.photo_by_path(item.path)
                    if row is not None:
                        catalogue.delete_photos([row.id])
