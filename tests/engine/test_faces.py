"""The faces step on real faces (LFW crops): found on the upright photo, stored, resumable,
switched off, forgotten, and its index rebuilt when damaged."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import solid, stored_turned
from PIL import Image

from cbir_desktop.engine.api import find_photo_faces, open_library
from cbir_desktop.engine.faces.index import FaceIndex
from cbir_desktop.engine.faces.reader import READER_VERSION
from cbir_desktop.engine.storage.face_rows import count_faces_read, face_descriptors, faces_state

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"


def lfw_photos(folder: Path, count: int) -> list[Path]:
    """`count` LFW photos of different people copied into `folder` under plain names."""
    folder.mkdir(parents=True, exist_ok=True)
    people = sorted(LFW.iterdir())
    out = []
    for n in range(count):
        source = sorted(people[n % len(people)].glob("*.jpg"))[n // len(people)]
        out.append(Path(shutil.copy(source, folder / f"photo_{n:02d}.jpg")))
    return out


def test_a_face_is_found_on_the_upright_photo_of_an_exif_rotated_copy(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    upright = lfw_photos(photos, 1)[0]
    with Image.open(upright) as image:
        picture = image.convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned, shown upright after a quarter turn clockwise
    stored_turned(picture, 6).save(photos / "turned.jpg", exif=exif, quality=95)
    with open_library(tmp_path / "library") as library:
        report = library.index([photos])
        assert report.faces_photos == 2 and report.faces_found >= 2
        straight, turned = library.faces(upright), library.faces(photos / "turned.jpg")
    assert len(turned) >= 1 and len(straight) >= 1
    # The same box on the same upright photo (fractions of its width and height).
    assert np.allclose(turned[0].box, straight[0].box, atol=0.04)
    sideways = Image.open(photos / "turned.jpg")  # the stored pixels, lying on their side
    assert sideways.size == (picture.height, picture.width)


def test_a_plain_photo_has_no_faces_and_is_recorded_as_read(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    solid(photos / "wall.jpg", "grey", (640, 480))
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    with open_library(tmp_path / "library") as library:
        report = library.index([photos])
        assert library.faces(photos / "wall.jpg") == []
        assert count_faces_read(library.catalogue, READER_VERSION) == (1, 0)  # the broken one is not a photo
        assert report.faces_photos == 1 and report.faces_found == 0


def test_a_cancelled_faces_step_resumes_with_the_photos_it_had_not_read(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    lfw_photos(photos, 8)
    cancel = threading.Event()
    with open_library(tmp_path / "library") as library:
        phases = []
        for progress in library.iter_index([photos], cancel=cancel):
            phases.append(progress.phase)
            if progress.phase == "finding faces" and progress.done >= 2:
                cancel.set()
        assert "indexing" in phases and phases.index("indexing") < phases.index("finding faces")
        assert library.catalogue.count_photos() == 8  # every photo searchable before faces start
        read_first, _ = count_faces_read(library.catalogue, READER_VERSION)
        assert 2 <= read_first < 8
        totals = [p.total for p in library.iter_index([photos]) if p.phase == "finding faces"]
        assert totals and set(totals) == {8 - read_first}
        read, faces = count_faces_read(library.catalogue, READER_VERSION)
        assert read == 8 and faces >= 8
        assert not [p for p in library.iter_index([photos]) if p.phase == "finding faces"]  # nothing left


def test_with_face_recognition_off_indexing_finds_no_faces_until_it_is_on(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    lfw_photos(photos, 2)
    with open_library(tmp_path / "library") as library:
        assert library.face_recognition
        library.set_face_recognition(False)
        report = library.index([photos])
        assert report.added == 2 and report.faces_photos == 0
        assert faces_state(library.catalogue) == (0, 0)
        assert library.index([photos], faces=True).faces_photos == 0  # off is off
        library.set_face_recognition(True)
        assert not library.index([photos], faces=False).faces_photos  # `cbir index --no-faces`
        report = library.index([photos])
        assert report.added == 0 and report.faces_photos == 2 and report.faces_found >= 2
    with open_library(tmp_path / "library") as library:
        assert library.face_recognition  # kept in the catalogue


def test_delete_face_data_forgets_faces_people_and_decisions_but_keeps_photos_and_tags(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    paths = lfw_photos(photos, 3)
    with open_library(tmp_path / "library") as library:
        library.index([photos])
        library.edit_tags([paths[0]], add=["portrait"])
        cat = library.catalogue
        with cat.transaction():
            person = cat.db.execute("INSERT INTO people(name) VALUES ('Anna') RETURNING id").fetchone()[0]
            first, second = [r[0] for r in cat.db.execute("SELECT id FROM faces ORDER BY id LIMIT 2")]
            cat.db.execute("UPDATE faces SET person_id = ?, person_source = 'user' WHERE id = ?", (person, first))
            cat.db.execute("INSERT INTO face_rejections(face_id, person_id) VALUES (?, ?)", (second, person))
        assert library.faces(paths[0]) or library.faces(paths[1])
        assert library.delete_face_data() >= 3
        for table in ("faces", "people", "face_rejections", "faces_read"):
            assert cat.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
        assert cat.count_photos() == 3 and library.user_tags(paths[0]) == {"portrait": True}
        assert not (tmp_path / "library" / "faces" / "descriptors.npz").exists()
        assert library.index([photos]).faces_photos == 3  # read again on the next run


def test_a_damaged_face_index_is_rebuilt_from_the_catalogue(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    lfw_photos(photos, 3)
    with open_library(tmp_path / "library") as library:
        library.index([photos])
        index = FaceIndex(tmp_path / "library")
        ids, matrix = face_descriptors(library.catalogue)
        assert not index.is_stale(library.catalogue)
        assert index.nearest(library.catalogue, matrix[1], k=1) == [(int(ids[1]), pytest.approx(0.0, abs=1e-5))]
        index.path.write_bytes(b"PK\x03\x04 damaged" + bytes(100))
        damaged = FaceIndex(tmp_path / "library")
        assert damaged.is_stale(library.catalogue) and "damaged" in damaged.problem
        # A search meanwhile answers from the catalogue.
        assert damaged.nearest(library.catalogue, matrix[2], k=1)[0][0] == int(ids[2])
        report = library.index([photos])
        assert any("face index" in healed for healed in report.healed)
        assert not FaceIndex(tmp_path / "library").is_stale(library.catalogue)


def test_faces_of_a_file_outside_the_library_are_found_now() -> None:
    photo = sorted(LFW.glob("*/*_0001.jpg"))[0]
    faces = find_photo_faces(photo)
    assert faces and all(0 <= v <= 1 for v in faces[0].box) and faces[0].box[2] > 0.1
