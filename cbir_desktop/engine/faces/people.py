"""Automatic groups of unnamed faces and suggestions of named people, worked out again from the
catalogue's faces whenever faces arrive or names change (storage/people_rows.py holds the rows).

Groups: chinese whispers over faces closer than GROUP_DISTANCE (faces/grouping.py). Suggestions:
an unnamed face close to a named person's face is offered for that person ('suggested'), and
from it to the faces close to it, a few rounds deep; never for a person it was rejected for.
Both cost a pass over the descriptors (n x anchors distances, in blocks): `regroup` and
`suggest` run in full after indexing. A user's decision only touches what it changed
(`settle`): the suggestions of the people whose confirmed faces or rejections changed are
worked out again, and faces left with no person and no group join the group of their nearest
grouped face (or form new groups), so naming, merging or removing answers in well under a
second at 50k faces (bench/people.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..storage.catalogue import Catalogue
from ..storage.people_rows import face_matrix
from .grouping import GROUP_DISTANCE, cluster_faces
from .neighbours import nearest_within

__all__ = ["SUGGEST_DISTANCE", "place_loose", "regroup", "settle", "suggest", "watch"]

SUGGEST_DISTANCE = GROUP_DISTANCE  # an unnamed face this close to a named person's face is suggested
SUGGEST_ROUNDS = 8  # suggestions spread from named faces to faces close to the suggested ones, this far


def regroup(cat: Catalogue, distance: float = GROUP_DISTANCE) -> int:
    """Group the unnamed faces again (`cluster_faces`), each group keeping the number most of its
    faces had when that number is not taken by a larger group; returns how many groups."""
    ids, matrix, before = face_matrix(cat, "person_id IS NULL", "cluster")
    labels = cluster_faces(matrix, distance)
    members: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        members.setdefault(label, []).append(row)
    taken: set[int] = set()
    next_number = int(cat.db.execute("SELECT COALESCE(MAX(cluster), 0) FROM faces").fetchone()[0]) + 1
    numbers: dict[int, int] = {}
    for label in sorted(members, key=lambda x: -len(members[x])):  # larger groups choose first
        olds = Counter(before[row] for row in members[label] if before[row] is not None)
        choice = next((number for number, _ in olds.most_common() if number not in taken), None)
        if choice is None:
            choice, next_number = next_number, next_number + 1
        taken.add(choice)
        numbers[label] = choice
    changed = [(numbers[label], int(ids[row])) for row, label in enumerate(labels) if before[row] != numbers[label]]
    cat.db.executemany("UPDATE faces SET cluster = ? WHERE id = ?", changed)
    return len(members)


def suggest(cat: Catalogue, distance: float = SUGGEST_DISTANCE) -> int:
    """Work out every suggestion again: an unnamed face closer than `distance` to a face of a
    named person (confirmed, or suggested in an earlier round: suggestions spread through a
    chain of close faces, SUGGEST_ROUNDS deep) is suggested for the nearest such person it was
    never rejected for. Returns how many faces are suggested."""
    cat.db.execute("UPDATE faces SET person_id = NULL, person_source = NULL WHERE person_source = 'suggested'")
    return _spread(cat, "person_source IN ('user', 'xmp')", (), distance)


_WATCH = (
    "CREATE TEMP TABLE IF NOT EXISTS people_touched (person INTEGER NOT NULL)",
    """CREATE TEMP TRIGGER IF NOT EXISTS people_touched_faces AFTER UPDATE OF person_id, person_source ON faces
    WHEN (old.person_source IN ('user', 'xmp') OR new.person_source IN ('user', 'xmp'))
     AND (old.person_id IS NOT new.person_id OR old.person_source IS NOT new.person_source)
    BEGIN
        INSERT INTO people_touched SELECT old.person_id WHERE old.person_id IS NOT NULL;
        INSERT INTO people_touched SELECT new.person_id WHERE new.person_id IS NOT NULL;
    END""",
    """CREATE TEMP TRIGGER IF NOT EXISTS people_touched_rejected AFTER INSERT ON face_rejections
    BEGIN INSERT INTO people_touched VALUES (new.person_id); END""",
    """CREATE TEMP TRIGGER IF NOT EXISTS people_touched_unrejected AFTER DELETE ON face_rejections
    BEGIN INSERT INTO people_touched VALUES (old.person_id); END""",
)


def watch(cat: Catalogue) -> None:
    """Note from now on (in this connection) which people's confirmed faces or rejections
    change, for `settle`: temporary triggers, so watching a decision costs nothing."""
    for statement in _WATCH:
        cat.db.execute(statement)
    cat.db.execute("DELETE FROM people_touched")


def settle(cat: Catalogue, distance: float = SUGGEST_DISTANCE) -> int:
    """After a decision (`watch` called before it): the suggestions of the people it changed
    (their confirmed faces or rejections) worked out again, then faces with no person and no
    group placed (`place_loose`). Returns how many faces are suggested for those people.

    Unlike `suggest`, a face already suggested for someone else stays theirs until the next
    full pass (after indexing)."""
    people = [int(r[0]) for r in cat.db.execute("SELECT DISTINCT person FROM people_touched ORDER BY person")]
    cat.db.execute("DELETE FROM people_touched")
    cat.db.execute("UPDATE faces SET person_source = NULL, cluster = NULL "
                   "WHERE person_id IS NULL AND person_source IS NOT NULL")  # a person deleted under them
    found = 0
    if people:
        marks = ",".join("?" * len(people))
        cat.db.execute(f"UPDATE faces SET person_id = NULL, person_source = NULL, cluster = NULL "
                       f"WHERE person_source = 'suggested' AND person_id IN ({marks})", people)
        found = _spread(cat, f"person_source IN ('user', 'xmp') AND person_id IN ({marks})", people, distance)
    place_loose(cat)
    return found


def place_loose(cat: Catalogue, distance: float = GROUP_DISTANCE) -> int:
    """Give each unnamed face with no group (taken from a person, or left by a suggestion) the
    group of its nearest grouped unnamed face closer than `distance`; the rest are grouped among
    themselves under new numbers. Returns how many faces were placed."""
    loose_ids, loose, _ = face_matrix(cat, "person_id IS NULL AND cluster IS NULL", "cluster")
    if not len(loose_ids):
        return 0
    _, grouped, clusters = face_matrix(cat, "person_id IS NULL AND cluster IS NOT NULL", "cluster")
    nearest = nearest_within(loose, grouped, distance)
    joined = [(clusters[int(row)], int(loose_ids[i])) for i, row in enumerate(nearest) if row >= 0]
    alone = np.nonzero(nearest < 0)[0]
    next_number = int(cat.db.execute("SELECT COALESCE(MAX(cluster), 0) FROM faces").fetchone()[0]) + 1
    labels = cluster_faces(loose[alone], distance)
    joined += [(next_number + label, int(loose_ids[row])) for row, label in zip(alone, labels, strict=True)]
    cat.db.executemany("UPDATE faces SET cluster = ? WHERE id = ?", joined)
    return len(joined)


def _spread(cat: Catalogue, anchors_where: str, values: Sequence[int], distance: float) -> int:
    """Suggest unnamed faces for the people of the anchors `anchors_where` selects: the faces
    closer than `distance` to an anchor, then to those, SUGGEST_ROUNDS deep; returns how many."""
    anchor_ids, anchors, owners = face_matrix(cat, anchors_where, "person_id", values)
    if not len(anchor_ids):
        return 0
    free_ids, free, _ = face_matrix(cat, "person_id IS NULL", "cluster")
    rejected: dict[int, set[int]] = {}
    for face_id, person in cat.db.execute("SELECT face_id, person_id FROM face_rejections"):
        rejected.setdefault(int(face_id), set()).add(int(person))
    anchor_people = np.array(owners, dtype=np.int64)
    chosen: dict[int, int] = {}  # row of `free` -> person
    open_rows = np.arange(len(free_ids))
    for _ in range(SUGGEST_ROUNDS):
        if not len(open_rows) or not len(anchors):
            break
        found = _nearest_people(free[open_rows], anchors, anchor_people, distance,
                                [rejected.get(int(free_ids[row]), set()) for row in open_rows])
        new_rows = [(int(open_rows[i]), person) for i, person in enumerate(found) if person is not None]
        if not new_rows:
            break
        for row, person in new_rows:
            chosen[row] = person
        rows = [row for row, _ in new_rows]
        anchors, anchor_people = free[rows], np.array([person for _, person in new_rows], dtype=np.int64)
        open_rows = np.array([row for row in open_rows if int(row) not in chosen], dtype=np.int64)
    cat.db.executemany("UPDATE faces SET person_id = ?, person_source = 'suggested', cluster = NULL WHERE id = ?",
                       [(person, int(free_ids[row])) for row, person in chosen.items()])
    return len(chosen)


def _nearest_people(faces: npt.NDArray[np.float32], anchors: npt.NDArray[np.float32],
                    people: npt.NDArray[np.int64], distance: float, rejected: list[set[int]]) -> list[int | None]:
    """For each of `faces`, the person of the nearest anchor closer than `distance` that the
    face was not rejected for (None: none)."""
    nearest = nearest_within(faces, anchors, distance)
    out: list[int | None] = [int(people[j]) if j >= 0 else None for j in nearest.tolist()]
    squares = (anchors ** 2).sum(axis=1)
    for i in [i for i, banned in enumerate(rejected) if banned]:  # rare: the user said "not them"
        apart = (faces[i] ** 2).sum() + squares - 2.0 * anchors @ faces[i]
        apart[np.isin(people, list(rejected[i]))] = np.inf
        j = int(np.argmin(apart))
        out[i] = int(people[j]) if apart[j] < distance * distance else None
    return out
