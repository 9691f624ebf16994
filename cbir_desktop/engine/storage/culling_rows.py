"""What the duplicate finder reads and keeps in the catalogue (schema v8): each photo's facts
for comparing copies (size, format, capture time, camera) and its stored signature. Functions
over a `Catalogue`, so catalogue.py stays about photos."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .catalogue import Catalogue, _chunks, decode_path


@dataclass(frozen=True)
class CopyFacts:
    """What tells two copies of a photo apart, and what says when and with what it was taken."""

    id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: bytes | None
    width: int
    height: int
    taken_utc: float | None = None  # the metadata's capture time (its file time when it has none)
    taken_local: str | None = None
    make: str | None = None
    model: str | None = None
    file_type: str | None = None

    @property
    def when(self) -> float:
        """Seconds since the epoch: the capture time, else the file's modification time."""
        return self.taken_utc if self.taken_utc is not None else self.mtime_ns / 1e9

    @property
    def camera(self) -> tuple[str, str] | None:
        return (self.make or "", self.model or "") if (self.make or self.model) else None


@dataclass(frozen=True)
class StoredSignature:
    """A photo's signature as stored (culling/signature.py); `readable` False: it could not be decoded."""

    photo_id: int
    reader: int
    content_hash: bytes | None
    readable: bool
    pixel_hash: bytes = b""
    grey: npt.NDArray[np.uint8] | None = None
    dct: npt.NDArray[np.float32] | None = None
    sharpness: float = 0.0


_FACTS = ("SELECT p.id, p.path, p.size, p.mtime_ns, p.content_hash, p.width, p.height, m.taken_utc, "
          "m.taken_local, m.make, m.model, m.file_type FROM photos p LEFT JOIN metadata m ON m.photo_id = p.id")


def copy_facts(catalogue: Catalogue, photo_ids: Sequence[int] | None = None) -> dict[int, CopyFacts]:
    """The facts of these photos (None: of every photo)."""
    if photo_ids is None:
        return {r[0]: _facts(r) for r in catalogue.db.execute(_FACTS)}
    found: dict[int, CopyFacts] = {}
    for chunk in _chunks(list(photo_ids), 900):
        marks = ",".join("?" * len(chunk))
        for r in catalogue.db.execute(f"{_FACTS} WHERE p.id IN ({marks})", chunk):
            found[r[0]] = _facts(r)
    return found


def _facts(r: tuple[object, ...]) -> CopyFacts:
    return CopyFacts(r[0], decode_path(r[1]), *r[2:])  # type: ignore[arg-type]


def same_content(catalogue: Catalogue) -> list[list[int]]:
    """Photos sharing their bytes (`photos.content_hash`), in groups of two or more."""
    rows = catalogue.db.execute(
        "SELECT content_hash, group_concat(id) FROM photos WHERE length(content_hash) > 0 "
        "GROUP BY content_hash HAVING count(*) > 1")
    return [sorted(int(i) for i in ids.split(",")) for _, ids in rows]


def signatures_of(catalogue: Catalogue, photo_ids: Sequence[int]) -> dict[int, StoredSignature]:
    found: dict[int, StoredSignature] = {}
    for chunk in _chunks(list(photo_ids), 900):
        marks = ",".join("?" * len(chunk))
        try:
            rows = catalogue.db.execute(
                "SELECT photo_id, reader, content_hash, pixel_hash, grey, grey_width, dct, sharpness "
                f"FROM signatures WHERE photo_id IN ({marks})", chunk).fetchall()
        except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
            return {}
        for pid, reader, content, pixels, grey, width, dct, sharpness in rows:
            if pixels is None:
                found[pid] = StoredSignature(pid, reader, content, False)
                continue
            flat = np.frombuffer(grey, np.uint8)
            found[pid] = StoredSignature(
                pid, reader, content, True, bytes(pixels), flat.reshape(-1, width),
                np.frombuffer(dct, np.float32).reshape(8, 8), float(sharpness))
    return found


def sharpness_of(catalogue: Catalogue, photo_ids: Sequence[int]) -> dict[int, float]:
    """The kept sharpness of these photos' readable signatures, without reading their pixels
    (100k signatures with their grey copies take seconds to read)."""
    found: dict[int, float] = {}
    for chunk in _chunks(list(photo_ids), 900):
        marks = ",".join("?" * len(chunk))
        try:
            found.update(catalogue.db.execute(
                f"SELECT photo_id, sharpness FROM signatures WHERE photo_id IN ({marks}) AND pixel_hash IS NOT NULL",
                chunk).fetchall())
        except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
            return {}
    return found


def store_signatures(catalogue: Catalogue, signatures: Iterable[StoredSignature]) -> None:
    """Keep these signatures (one transaction; the caller's)."""
    rows: list[tuple[object, ...]] = []
    for s in signatures:
        if s.readable and s.grey is not None and s.dct is not None:
            rows.append((s.photo_id, s.reader, s.content_hash, s.pixel_hash, s.grey.tobytes(), s.grey.shape[1],
                         s.dct.astype(np.float32).tobytes(), s.sharpness))
        else:
            rows.append((s.photo_id, s.reader, s.content_hash, None, None, 0, None, None))
    catalogue.db.executemany(
        "INSERT OR REPLACE INTO signatures(photo_id, reader, content_hash, pixel_hash, grey, grey_width, dct, "
        "sharpness) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
