"""Automatic groups of unnamed faces and suggestions of named people, worked out again from the
catalogue's faces whenever faces arrive or names change (storage/people_rows.py holds the rows).

Groups: chinese whispers over faces closer than GROUP_DISTANCE (faces/grouping.py). Suggestions:
an unnamed face close to a named person's face is offered for that person ('suggested'), and
from it to the faces close to it, a few rounds deep; never for a person it was rejected for.
Both cost a pass over the descriptors (n x anchors distances, in blocks).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import numpy.typing as npt

from ..storage.catalogue import Catalogue
from ..storage.people_rows import face_matrix
from .grouping import GROUP_DISTANCE, cluster_faces

__all__ = ["SUGGEST_DISTANCE", "regroup", "suggest"]

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
    anchor_ids, anchors, owners = face_matrix(cat, "person_source IN ('user', 'xmp')", "person_id")
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
    out: list[int | None] = []
    squares = (anchors ** 2).sum(axis=1)
    for first in range(0, len(faces), 1024):
        block = faces[first:first + 1024]
        apart = (block ** 2).sum(axis=1)[:, None] + squares[None, :] - 2.0 * block @ anchors.T
        order = np.argsort(apart, axis=1, kind="stable")
        for i in range(len(block)):
            person = None
            for j in order[i]:
                if apart[i, j] >= distance * distance:
                    break
                if int(people[j]) not in rejected[first + i]:
                    person = int(people[j])
                    break
            out.append(person)
    return out
