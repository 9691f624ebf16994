"""The faces step on awkward photos, made in tmp folders from real LFW faces: a photo with no
face, a mosaic of 50 faces, faces too small for the detector, a face cut by the border, a
greyscale and a 16-bit photo, photos stored turned (EXIF orientation 3, 6, 8).

(A damaged face index, faces/descriptors.npz, is rebuilt from the catalogue: tests/engine/test_faces.py
and the four damage cases of "faces.npz" in tests/e2e/test_damaged_library.py.)
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import stored_turned
from PIL import Image

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.errors import EngineError
from cbir_desktop.engine.faces.reader import READER_VERSION, SMALL_FACES
from cbir_desktop.engine.storage.face_rows import count_faces_read

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"
PEOPLE = sorted(p.name for p in LFW.iterdir())
CELL = 160  # side of one LFW crop in the mosaic
COLUMNS, ROWS = 10, 5
MISSED = 2  # crops of the mosaic the detector may find no face in
EXTRA = 5  # faces it may find besides one a crop: LFW crops show bits of bystanders at their edges


def _crop(person: str, n: int) -> Image.Image:
    with Image.open(sorted((LFW / person).glob("*.jpg"))[n]) as image:
        return image.convert("RGB")


def _mosaic(path: Path) -> list[str]:
    """50 LFW crops in a 10x5 grid (1600x800): 5 people x 4 photos, 10 x 3, and the rest
    one each; returns whose face is in each cell, row by row."""
    who = [PEOPLE[p] for p in range(5) for _ in range(4)] + [PEOPLE[5 + p] for p in range(5) for _ in range(3)]
    who += [PEOPLE[10 + (n % 2)] for n in range(COLUMNS * ROWS - len(who))]
    seen: Counter[str] = Counter()
    picture = Image.new("RGB", (COLUMNS * CELL, ROWS * CELL), "grey")
    for cell, person in enumerate(who):
        corner = ((cell % COLUMNS) * CELL, (cell // COLUMNS) * CELL)
        picture.paste(_crop(person, seen[person]).resize((CELL, CELL)), corner)
        seen[person] += 1
    picture.save(path, quality=92)
    return who


def _backdrop(size: tuple[int, int]) -> Image.Image:
    """A large photo's background: smooth shades, no face."""
    width, height = size
    ramp = np.linspace(60, 200, width, dtype=np.float32)[None, :] + np.linspace(0, 40, height)[:, None]
    return Image.fromarray(np.stack([ramp, ramp * 0.9, ramp * 0.8], axis=2).clip(0, 255).astype(np.uint8))


def _upright_exif(picture: Image.Image, orientation: int, path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored_turned(picture, orientation).save(path, exif=exif, quality=95)


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory,
            tiny_models_dir: Path) -> Iterator[tuple[Library, Path, list[str]]]:
    """One library of every awkward photo, indexed once."""
    root = tmp_path_factory.mktemp("bad-faces")
    photos = root / "photos"
    photos.mkdir()
    who = _mosaic(photos / "mosaic.jpg")
    face = _crop("Laura_Bush", 0)
    shutil.copy(sorted((LFW / "Laura_Bush").glob("*.jpg"))[0], photos / "upright.jpg")
    _backdrop((640, 480)).save(photos / "no_faces.jpg", quality=90)
    for name, side in (("tiny", 45), ("small", 270), ("medium", 640)):  # a face box ~20, ~120, ~270 px wide
        big = _backdrop((4000, 3000))
        big.paste(face.resize((side, side)), (1500, 1200))
        big.save(photos / f"{name}.jpg", quality=90)
    face.crop((70, 0, 250, 250)).save(photos / "cut.jpg", quality=95)  # the left third of the face cut off
    face.convert("L").save(photos / "grey.jpg", quality=95)
    sixteen = Image.fromarray(np.asarray(face.convert("L"), dtype=np.uint16) * 257)
    assert sixteen.mode == "I;16"
    sixteen.save(photos / "sixteen.png")
    for orientation in (3, 6, 8):
        _upright_exif(face, orientation, photos / f"turned_{orientation}.jpg")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CBIR_MODELS_DIR", str(tiny_models_dir))
        with open_library(root / "library") as library:
            library.index([photos])
            yield library, photos, who


def test_a_photo_with_no_faces_is_read_once_and_never_again(awkward) -> None:
    library, photos, _ = awkward
    assert library.faces(photos / "no_faces.jpg") == []
    read, _ = count_faces_read(library.catalogue, READER_VERSION)
    assert read == len(list(photos.iterdir()))  # every photo, faceless or not, is recorded as read
    report = library.index([photos])
    assert report.faces_photos == 0 and report.faces_found == 0  # nothing is read again


def _cell(box: tuple[float, float, float, float]) -> int:
    """The mosaic cell a face's centre is in."""
    x, y, w, h = box
    return int((y + h / 2) * ROWS) * COLUMNS + int((x + w / 2) * COLUMNS)


def test_a_mosaic_of_50_faces_finds_them_all_and_groups_them_by_person(awkward) -> None:
    library, photos, who = awkward
    faces = library.faces(photos / "mosaic.jpg")
    main: dict[int, tuple[float, float, float, float]] = {}
    for face in faces:  # best first: a crop's own face, then bits of a bystander at its edge
        main.setdefault(_cell(face.box), face.box)
    assert len(main) >= len(who) - MISSED
    assert len(faces) <= len(who) + EXTRA
    # Grouped sanely: no group mixes two people's main faces, and most repeated faces are in groups.
    grouped = 0
    for group in library.people(samples=60):
        people = {who[_cell(f.box)] for f in group.faces if f.path.endswith("mosaic.jpg") and f.box in main.values()}
        assert len(people) <= 1, group
        grouped += sum(f.path.endswith("mosaic.jpg") and f.box in main.values() for f in group.faces)
    assert grouped >= 0.8 * len(who)


def test_faces_below_the_detectors_smallest_size_are_not_found_and_larger_ones_are(awkward) -> None:
    """The detector sees a 1600-px copy without upsampling (faces/reader.py), so its smallest
    face is HOG's 80-px window there: 1/20 of the photo's long side. Face boxes of about 20 px
    (0.5%) and 120 px (3%) in a 4000-px photo are not found, and those photos count as read
    with no face; one of about 270 px (7%) is found, its box in the photo's fractions."""
    library, photos, _ = awkward
    assert library.faces(photos / "tiny.jpg") == []
    assert library.faces(photos / "small.jpg") == []
    [medium] = library.faces(photos / "medium.jpg")
    x, y, w, h = medium.box
    assert 1500 / 4000 < x + w / 2 < (1500 + 640) / 4000 and 1200 / 3000 < y + h / 2 < (1200 + 640) / 3000
    assert 0.05 < w < 0.09


def test_the_small_faces_setting_reads_every_photo_again_and_finds_a_3_percent_face(
        awkward, tmp_path: Path, tiny_models: Path) -> None:
    """`set_face_detail("small")` (1200 px upsampled once: faces from 1/30 of the long side) reads
    the photos again at the next indexing run, finds the 3% face the standard detail misses, and
    keeps the name the user gave the face on the larger one."""
    _, photos, _ = awkward
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("small.jpg", "medium.jpg"):
        shutil.copy(photos / name, folder / name)
    with open_library(tmp_path / "library") as library:
        library.index([folder])
        assert library.faces(folder / "small.jpg") == [] and library.face_detail == "standard"
        [face] = [f for f in library.people(min_faces=1)[0].faces]
        library.name_faces([face.face_id], "Laura")
        library.set_face_detail("small")
        report = library.index([folder])
        assert report.faces_photos == 2  # both read again
        assert count_faces_read(library.catalogue, SMALL_FACES.reader)[0] == 2
        [small] = library.faces(folder / "small.jpg")
        assert 0.02 < small.box[2] < 0.05
        assert [f.person for f in library.faces(folder / "medium.jpg")] == ["Laura"]
        with pytest.raises(EngineError, match="standard or small"):
            library.set_face_detail("tiny")


def test_a_face_cut_by_the_border_is_found_with_its_box_inside_the_photo(awkward) -> None:
    library, photos, _ = awkward
    [cut] = library.faces(photos / "cut.jpg")
    x, y, w, h = cut.box
    assert x == 0.0 and 0 <= y and x + w <= 1 and y + h <= 1 and w > 0 and h > 0


@pytest.mark.parametrize("name", ["grey.jpg", "sixteen.png"])
def test_greyscale_and_16_bit_photos_find_the_face_of_the_colour_one(awkward, name: str) -> None:
    library, photos, _ = awkward
    [colour] = library.faces(photos / "upright.jpg")
    [found] = library.faces(photos / name)
    assert np.allclose(found.box, colour.box, atol=0.02)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_photo_stored_turned_finds_the_face_where_the_upright_photo_has_it(awkward, orientation: int) -> None:
    library, photos, _ = awkward
    [upright] = library.faces(photos / "upright.jpg")
    [turned] = library.faces(photos / f"turned_{orientation}.jpg")
    assert np.allclose(turned.box, upright.box, atol=0.04)  # fractions of the upright photo
