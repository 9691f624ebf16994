"""Faces in the catalogue (schema v7): what the faces step stores, what it has read, and the
one action that forgets it all. Functions over a `Catalogue`, so catalogue.py stays about photos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .catalogue import Catalogue, _chunks, decode_path

DESCRIPTOR_DIM = 128
LANDMARK_VALUES = 10  # 5 points, (x, y) each


@dataclass(frozen=True)
class NewFace:
    """A face to store: box (x, y, w, h) and landmarks as fractions of the upright photo."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: npt.NDArray[np.float32]
    descriptor: npt.NDArray[np.float32]


@dataclass(frozen=True)
class FaceRow:
    """A stored face; `person` is the person's name, if it has one."""

    id: int
    photo_id: int
    box: tuple[float, float, float, float]
    score: float
    person: str | None = None
    person_source: str | None = None
    cluster: int | None = None


def store_faces(cat: Catalogue, photo_id: int, faces: Sequence[NewFace], reader: int) -> list[int]:
    """Replace the faces of `photo_id` with `faces` and mark it read by `reader` (0 faces
    included); returns the new face ids. Call inside a transaction."""
    cat.db.execute("DELETE FROM faces WHERE photo_id = ?", (photo_id,))
    ids = []
    for face in faces:
        row = cat.db.execute(
            "INSERT INTO faces(photo_id, x, y, w, h, score, landmarks, descriptor) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (photo_id, *face.box, face.score, _blob(face.landmarks, LANDMARK_VALUES),
             _blob(face.descriptor, DESCRIPTOR_DIM)),
        ).fetchone()
        ids.append(int(row[0]))
    cat.db.execute(
        "INSERT INTO faces_read(photo_id, reader, face_count) VALUES (?, ?, ?) ON CONFLICT(photo_id) "
        "DO UPDATE SET reader = excluded.reader, face_count = excluded.face_count",
        (photo_id, reader, len(faces)),
    )
    return ids


def photos_needing_faces(cat: Catalogue, reader: int, folder_ranges: Sequence[tuple[bytes, bytes]] = ()
                         ) -> list[tuple[int, str]]:
    """(id, path) of the photos not yet read by `reader` (none, or an older one), oldest first;
    only those whose path falls in one of `folder_ranges` (byte ranges) when any are given."""
    where = " OR ".join("(p.path >= ? AND p.path < ?)" for _ in folder_ranges) or "1"
    params: list[object] = [reader]
    for low, high in folder_ranges:
        params += [low, high]
    rows = cat.db.execute(
        "SELECT p.id, p.path FROM photos p LEFT JOIN faces_read r ON r.photo_id = p.id "
        f"WHERE (r.photo_id IS NULL OR r.reader <> ?) AND ({where}) ORDER BY p.id",
        params,
    ).fetchall()
    return [(int(r[0]), decode_path(r[1])) for r in rows]


def count_faces_read(cat: Catalogue, reader: int) -> tuple[int, int]:
    """(photos read by `reader`, faces they hold)."""
    row = cat.db.execute("SELECT COUNT(*), COALESCE(SUM(face_count), 0) FROM faces_read WHERE reader = ?",
                         (reader,)).fetchone()
    return int(row[0]), int(row[1])


def photos_read_for_faces(cat: Catalogue, photo_ids: Sequence[int]) -> set[int]:
    """Which of `photo_ids` the faces step has read (by any reader, faces found or not)."""
    found: set[int] = set()
    for chunk in _chunks(list(photo_ids), 500):
        marks = ",".join("?" * len(chunk))
        found.update(int(r[0]) for r in cat.db.execute(
            f"SELECT photo_id FROM faces_read WHERE photo_id IN ({marks})", chunk))
    return found


def faces_of(cat: Catalogue, photo_ids: Sequence[int]) -> dict[int, list[FaceRow]]:
    """The faces of each photo, best detector score first (photos without faces are absent)."""
    found: dict[int, list[FaceRow]] = {}
    for chunk in _chunks(list(photo_ids), 500):
        marks = ",".join("?" * len(chunk))
        for row in cat.db.execute(
            "SELECT f.id, f.photo_id, f.x, f.y, f.w, f.h, f.score, p.name, f.person_source, f.cluster "
            f"FROM faces f LEFT JOIN people p ON p.id = f.person_id WHERE f.photo_id IN ({marks}) "
            "ORDER BY f.photo_id, f.score DESC", chunk,
        ):
            face = FaceRow(int(row[0]), int(row[1]), (row[2], row[3], row[4], row[5]), row[6], row[7], row[8], row[9])
            found.setdefault(face.photo_id, []).append(face)
    return found


def face_descriptors(cat: Catalogue) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Every face's id and descriptor (float32 [n, 128]), by id."""
    rows = cat.db.execute("SELECT id, descriptor FROM faces ORDER BY id").fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    matrix = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.float32)
    return ids, matrix.reshape(len(rows), DESCRIPTOR_DIM).copy()


def faces_state(cat: Catalogue) -> tuple[int, int]:
    """(face count, highest face id): what a face index built now would cover."""
    row = cat.db.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM faces").fetchone()
    return int(row[0]), int(row[1])


def count_face_data(cat: Catalogue) -> tuple[int, int]:
    """(faces, named people) stored: what `delete_face_data` would forget."""
    faces = cat.db.execute("SELECT COUNT(*) FROM faces").fetchone()[0]
    people = cat.db.execute("SELECT COUNT(*) FROM people").fetchone()[0]
    return int(faces), int(people)


def delete_face_data(cat: Catalogue) -> int:
    """Forget every face, person, rejection and which photos were read; returns faces removed.
    Photos, tags and everything else stay."""
    with cat.transaction("faces"):
        removed = cat.db.execute("DELETE FROM faces").rowcount
        for table in ("face_rejections", "people", "faces_read"):
            cat.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    return int(removed)


def _blob(values: npt.NDArray[np.float32], size: int) -> bytes:
    array = np.asarray(values, dtype=np.float32).reshape(-1)
    if array.shape[0] != size:
        raise ValueError(f"{array.shape[0]} values, expected {size}")
    return array.tobytes()
