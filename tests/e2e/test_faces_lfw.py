"""Faces of 12 people (LFW, 8 photos each) indexed as one flat folder, so no name can leak from a
path: a face is found in at least 97% of the photos, and plain grouping of their descriptors at
distance 0.5 keeps people apart (pairwise precision) and together (pairwise recall)."""

from __future__ import annotations

import shutil
from itertools import combinations
from pathlib import Path

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.faces.grouping import group_faces
from cbir_desktop.engine.storage.face_rows import face_descriptors, faces_of

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"


def pairwise(truth: list[str], groups: list[int]) -> tuple[float, float]:
    """Pairwise precision and recall: of the pairs grouped together, how many are one person;
    of the pairs of one person, how many are grouped together."""
    together = same = both = 0
    for a, b in combinations(range(len(truth)), 2):
        grouped, one = groups[a] == groups[b], truth[a] == truth[b]
        together += grouped
        same += one
        both += grouped and one
    return both / max(together, 1), both / max(same, 1)


def test_faces_of_lfw12_are_found_and_grouped_by_person(tiny_models, tmp_path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    person_of: dict[str, str] = {}
    for n, source in enumerate(sorted(LFW.glob("*/*.jpg"))):
        name = f"{n * 37 % 96:03d}.jpg"  # shuffled plain names
        shutil.copy(source, flat / name)
        person_of[str(flat / name)] = source.parent.name
    assert len(person_of) == 96
    with open_library(tmp_path / "library") as library:
        report = library.index([flat])
        assert report.faces_photos == 96
        cat = library.catalogue
        paths = dict(cat.photo_paths())
        found = faces_of(cat, list(paths))
        with_face = sum(1 for photo_id in paths if found.get(photo_id))
        assert with_face >= 0.97 * 96, f"a face in {with_face} of 96 photos"
        # Each photo's main face (the best detector score; LFW crops centre one person).
        main = {faces[0].id: person_of[paths[photo_id]] for photo_id, faces in found.items()}
        ids, matrix = face_descriptors(cat)
        keep = [i for i, face_id in enumerate(ids) if int(face_id) in main]
        truth = [main[int(ids[i])] for i in keep]
        precision, recall = pairwise(truth, group_faces(matrix[keep], 0.5))
    print(f"faces in {with_face}/96 photos; pairwise precision {precision:.3f}, recall {recall:.3f} at 0.5")
    assert precision >= 0.95 and recall >= 0.80
