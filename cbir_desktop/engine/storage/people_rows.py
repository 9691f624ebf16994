"""People in the catalogue: automatic groups of unnamed faces, named people, suggestions and the
user's "not Anna". Functions over a `Catalogue` (the `faces`, `people` and `face_rejections`
tables of schema v7), so catalogue.py stays about photos.

Who a face is, by `person_source`: 'user' (the user named it, or confirmed a suggestion), 'xmp'
(a face region another tool wrote) and 'suggested' (the app: a face close to a named person's,
waiting for a yes or no). Suggestions are derived: faces/people.py works them out again from the named
faces whenever names change, never offering a face for a person it was rejected for. Unnamed
faces (no person at all) carry their automatic group in `cluster`; faces/people.py keeps a group's
number while most of its faces stay together, so a group the user saw keeps its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .catalogue import Catalogue, _chunks, decode_path
from .face_rows import DESCRIPTOR_DIM

__all__ = ["CONFIRMED", "FaceSample", "GroupRow", "add_person", "confirm", "descriptor_of", "face_matrix",
           "face_person",
           "group_faces_of", "group_rows", "merge_people", "name_faces", "named_faces_of", "people_named", "person_id",
           "person_photos", "photos_of_faces", "reject", "rename_person", "samples", "suggestions_of",
           "unname_faces"]

CONFIRMED = ("user", "xmp")


@dataclass(frozen=True)
class FaceSample:
    """A face to show: its id, photo path and box (x, y, w, h) as fractions of the upright photo."""

    face_id: int
    path: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class GroupRow:
    """A person (`person` set) or an unnamed group (`cluster` set) and how many faces it holds."""

    person: int | None
    cluster: int | None
    name: str | None
    faces: int


# -- reading ------------------------------------------------------------------------------------
def group_rows(cat: Catalogue, min_faces: int = 2) -> list[GroupRow]:
    """People (every one with a face, most faces first), then unnamed groups of at least
    `min_faces` faces, most faces first."""
    people = [GroupRow(int(r[0]), None, str(r[1]), int(r[2])) for r in cat.db.execute(
        "SELECT p.id, p.name, count(f.id) AS n FROM people p JOIN faces f ON f.person_id = p.id "
        "GROUP BY p.id ORDER BY n DESC, p.name")]
    groups = [GroupRow(None, int(r[0]), None, int(r[1])) for r in cat.db.execute(
        "SELECT cluster, count(*) AS n FROM faces WHERE person_id IS NULL AND cluster IS NOT NULL "
        "GROUP BY cluster HAVING n >= ? ORDER BY n DESC, cluster", (min_faces,))]
    return people + groups


def samples(cat: Catalogue, person: int | None, cluster: int | None, limit: int) -> list[FaceSample]:
    """Up to `limit` faces of a person (confirmed first) or an unnamed group, best detector score first."""
    value: int | None = person
    if person is not None:
        where = "f.person_id = ?"
        order = "CASE WHEN f.person_source IN ('user', 'xmp') THEN 0 ELSE 1 END, f.score DESC, f.id"
    else:
        where, value = "f.person_id IS NULL AND f.cluster = ?", cluster
        order = "f.score DESC, f.id"
    rows = cat.db.execute(
        f"SELECT f.id, p.path, f.x, f.y, f.w, f.h FROM faces f JOIN photos p ON p.id = f.photo_id "
        f"WHERE {where} ORDER BY {order} LIMIT ?", (value, limit))
    return [FaceSample(int(r[0]), decode_path(r[1]), (r[2], r[3], r[4], r[5])) for r in rows]


def group_faces_of(cat: Catalogue, cluster: int) -> list[int]:
    """The unnamed faces of an automatic group."""
    return [int(r[0]) for r in cat.db.execute(
        "SELECT id FROM faces WHERE person_id IS NULL AND cluster = ? ORDER BY id", (cluster,))]


def person_id(cat: Catalogue, name: str) -> int | None:
    """The person called `name` (any case), if there is one."""
    row = cat.db.execute("SELECT id FROM people WHERE name = ?", (name.strip(),)).fetchone()
    return int(row[0]) if row else None


def people_named(cat: Catalogue) -> dict[int, str]:
    """Every person with at least one face: id -> name."""
    return {int(r[0]): str(r[1]) for r in cat.db.execute(
        "SELECT p.id, p.name FROM people p WHERE EXISTS (SELECT 1 FROM faces f WHERE f.person_id = p.id)")}


def person_photos(cat: Catalogue, person: int) -> set[int]:
    """The photos with a face of `person` (confirmed or suggested)."""
    return {int(r[0]) for r in cat.db.execute("SELECT DISTINCT photo_id FROM faces WHERE person_id = ?", (person,))}


def face_person(cat: Catalogue, face_id: int) -> tuple[int | None, str | None]:
    """(person id, source) of a face; raises KeyError for a face the catalogue does not hold."""
    row = cat.db.execute("SELECT person_id, person_source FROM faces WHERE id = ?", (face_id,)).fetchone()
    if row is None:
        raise KeyError(face_id)
    return (None if row[0] is None else int(row[0])), row[1]


def named_faces_of(cat: Catalogue, photo_id: int) -> list[tuple[tuple[float, float, float, float], int, str]]:
    """(box, person, source) of the photo's confirmed faces ('user' and 'xmp')."""
    return [((r[0], r[1], r[2], r[3]), int(r[4]), str(r[5])) for r in cat.db.execute(
        "SELECT x, y, w, h, person_id, person_source FROM faces WHERE photo_id = ? "
        "AND person_source IN ('user', 'xmp')", (photo_id,))]


def descriptor_of(cat: Catalogue, face_id: int) -> npt.NDArray[np.float32]:
    """One face's descriptor (float32[128])."""
    row = cat.db.execute("SELECT descriptor FROM faces WHERE id = ?", (face_id,)).fetchone()
    descriptor: npt.NDArray[np.float32] = np.frombuffer(bytes(row[0]), dtype=np.float32).copy()
    return descriptor


def photos_of_faces(cat: Catalogue, face_ids: Sequence[int]) -> dict[int, int]:
    """face id -> its photo's id."""
    out: dict[int, int] = {}
    for chunk in _chunks(list(face_ids), 500):
        out.update((int(r[0]), int(r[1])) for r in cat.db.execute(
            f"SELECT id, photo_id FROM faces WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    return out


def suggestions_of(cat: Catalogue, person: int) -> list[FaceSample]:
    """The faces suggested for `person`, best detector score first."""
    rows = cat.db.execute(
        "SELECT f.id, p.path, f.x, f.y, f.w, f.h FROM faces f JOIN photos p ON p.id = f.photo_id "
        "WHERE f.person_id = ? AND f.person_source = 'suggested' ORDER BY f.score DESC, f.id", (person,))
    return [FaceSample(int(r[0]), decode_path(r[1]), (r[2], r[3], r[4], r[5])) for r in rows]


# -- the user's decisions (call inside a transaction) --------------------------------------------
def add_person(cat: Catalogue, name: str) -> int:
    """The person called `name`, added when new."""
    found = person_id(cat, name)
    if found is not None:
        return found
    return int(cat.db.execute("INSERT INTO people(name) VALUES (?) RETURNING id", (name.strip(),)).fetchone()[0])


def name_faces(cat: Catalogue, face_ids: Sequence[int], person: int, source: str = "user") -> None:
    """Give `face_ids` to `person` (and forget that they were ever rejected for them)."""
    for chunk in _chunks(list(face_ids), 500):
        marks = ",".join("?" * len(chunk))
        cat.db.execute(f"UPDATE faces SET person_id = ?, person_source = ?, cluster = NULL WHERE id IN ({marks})",
                       (person, source, *chunk))
        cat.db.execute(f"DELETE FROM face_rejections WHERE person_id = ? AND face_id IN ({marks})", (person, *chunk))


def unname_faces(cat: Catalogue, face_ids: Sequence[int]) -> None:
    """Take `face_ids` away from whoever they were given to: unnamed again, in no group yet."""
    for chunk in _chunks(list(face_ids), 500):
        cat.db.execute(f"UPDATE faces SET person_id = NULL, person_source = NULL, cluster = NULL "
                       f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)


def confirm(cat: Catalogue, person: int, face_ids: Sequence[int]) -> int:
    """Make `face_ids` the person's for good (suggested or not); returns how many."""
    name_faces(cat, face_ids, person)
    return len(face_ids)


def reject(cat: Catalogue, person: int, face_ids: Sequence[int]) -> int:
    """"Not this person": the faces that were theirs lose them and are never suggested for them again."""
    for face_id in face_ids:
        cat.db.execute("INSERT OR IGNORE INTO face_rejections(face_id, person_id) VALUES (?, ?)", (face_id, person))
    theirs = [int(r[0]) for chunk in _chunks(list(face_ids), 500) for r in cat.db.execute(
        f"SELECT id FROM faces WHERE person_id = ? AND id IN ({','.join('?' * len(chunk))})", (person, *chunk))]
    unname_faces(cat, theirs)
    return len(theirs)


def rename_person(cat: Catalogue, person: int, name: str) -> int:
    """Call `person` `name`; when another person has that name already, the two become one
    (that one); returns the person's id after it."""
    other = person_id(cat, name)
    if other is not None and other != person:
        merge_people(cat, other, person)
        return other
    cat.db.execute("UPDATE people SET name = ? WHERE id = ?", (name.strip(), person))
    return person


def merge_people(cat: Catalogue, keep: int, gone: int) -> None:
    """Make `gone` part of `keep`: its faces and its rejections; `gone` is removed."""
    if keep == gone:
        return
    cat.db.execute("UPDATE faces SET person_id = ? WHERE person_id = ?", (keep, gone))
    cat.db.execute("INSERT OR IGNORE INTO face_rejections(face_id, person_id) "
                   "SELECT face_id, ? FROM face_rejections WHERE person_id = ?", (keep, gone))
    cat.db.execute("DELETE FROM face_rejections WHERE face_id IN (SELECT id FROM faces WHERE person_id = ? "
                   "AND person_source IN ('user', 'xmp')) AND person_id = ?", (keep, keep))
    cat.db.execute("DELETE FROM people WHERE id = ?", (gone,))


def face_matrix(cat: Catalogue, where: str, column: str, values: Sequence[int] = ()
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], list[int | None]]:
    """(ids, descriptors, `column`) of the faces `where` (with `values` for its ?s) selects, by id."""
    rows = cat.db.execute(f"SELECT id, descriptor, {column} FROM faces WHERE {where} ORDER BY id",
                          tuple(values)).fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    matrix = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.float32).reshape(len(rows), DESCRIPTOR_DIM)
    return ids, matrix.copy(), [None if r[2] is None else int(r[2]) for r in rows]
