"""Names given in the app reach other tools, and other tools' names reach the app: after naming
faces and `Library.write_xmp`, exiftool reads the sidecar's MWG face regions (names, type Face,
centre-based areas over the stored pixels, AppliedToDimensions) and the People keywords, for an
upright photo and one stored turned (orientation 6); MWG and Microsoft regions that exiftool
writes into a photo are read at indexing as confirmed ('xmp') names."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import require_tool, stored_turned
from PIL import Image

from cbir_desktop.engine.api import find_photo_faces, open_library
from cbir_desktop.engine.storage.face_rows import faces_of

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"


@pytest.fixture(autouse=True)
def _needs_exiftool() -> None:
    require_tool("exiftool", "libimage-exiftool-perl")


def _exiftool(path: Path) -> dict:
    out = subprocess.run(["exiftool", "-j", "-struct", "-XMP-mwg-rs:all", "-XMP-dc:Subject",
                          "-XMP-lr:HierarchicalSubject", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


def _lfw(person: str, n: int) -> Path:
    return sorted((LFW / person).glob("*.jpg"))[n]


def _upright_of_stored_6(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A box on the stored pixels of an orientation-6 photo, as a box on the upright photo:
    the stored picture turns a quarter clockwise to stand up, so stored (s, t) shows at (1 - t, s)."""
    x, y, w, h = box
    return 1 - (y + h), x, h, w


def test_names_written_to_sidecars_are_read_by_exiftool_upright_and_turned(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    upright = Path(shutil.copy(_lfw("Laura_Bush", 0), photos / "laura.jpg"))
    with Image.open(_lfw("Hugo_Chavez", 0)) as image:
        picture = image.convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = photos / "hugo_turned.jpg"
    stored_turned(picture, 6).save(turned, exif=exif, quality=95)
    wide = Image.new("RGB", (500, 250), "grey")  # not square, so a turn changes the dimensions
    wide.paste(picture, (0, 0))
    exif_wide = Image.Exif()
    exif_wide[0x0112] = 6
    turned_wide = photos / "hugo_wide_turned.jpg"
    stored_turned(wide, 6).save(turned_wide, exif=exif_wide, quality=95)

    with open_library(tmp_path / "library") as library:
        library.index([photos])
        names = {upright: "Laura Bush", turned: "Hugo Chávez", turned_wide: "Hugo Chávez"}
        boxes = {}
        for path, name in names.items():
            faces = library.faces(path)
            assert len(faces) == 1, path
            row = library.catalogue.photo_by_path(str(path))
            [stored] = faces_of(library.catalogue, [row.id])[row.id]
            library.name_faces([stored.id], name)
            boxes[path] = faces[0].box
        written = library.write_xmp(list(names))

    for path, sidecar in zip(names, written, strict=True):
        assert sidecar == path.with_suffix(".xmp")
        seen = _exiftool(sidecar)
        info = seen["RegionInfo"]
        with Image.open(path) as image:  # regions apply to the pixels as stored (MWG 2.0, 5.9)
            width, height = image.size
        assert info["AppliedToDimensions"] == {"W": width, "H": height, "Unit": "pixel"}
        [region] = info["RegionList"]
        assert region["Name"] == names[path] and region["Type"] == "Face"
        area = region["Area"]
        assert area["Unit"] == "normalized"
        box = (area["X"] - area["W"] / 2, area["Y"] - area["H"] / 2, area["W"], area["H"])  # MWG: x, y the centre
        if path != upright:
            box = _upright_of_stored_6(box)
        assert box == pytest.approx(boxes[path], abs=1e-4)
        assert seen["Subject"] == [names[path]]
        assert seen["HierarchicalSubject"] == [f"People|{names[path]}"]


def test_mwg_and_microsoft_regions_exiftool_wrote_into_photos_are_confirmed_names_at_indexing(
        tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    mwg = Path(shutil.copy(_lfw("Serena_Williams", 0), photos / "serena.jpg"))
    microsoft = Path(shutil.copy(_lfw("Tony_Blair", 0), photos / "tony.jpg"))
    plain = Path(shutil.copy(_lfw("Serena_Williams", 1), photos / "serena_2.jpg"))
    (x, y, w, h), = (face.box for face in find_photo_faces(mwg))
    subprocess.run(["exiftool", "-q", "-overwrite_original",
                    f"-RegionInfo={{AppliedToDimensions={{W=250,H=250,Unit=pixel}},RegionList=[{{Area={{"
                    f"X={x + w / 2},Y={y + h / 2},W={w},H={h},Unit=normalized}},Name=Serena,Type=Face}}]}}",
                    str(mwg)], check=True)
    (x, y, w, h), = (face.box for face in find_photo_faces(microsoft))  # "|," is a comma in exiftool's struct
    rectangle = "|, ".join(f"{value:.4f}" for value in (x, y, w, h))  # Microsoft's: top left, w, h
    subprocess.run(["exiftool", "-q", "-overwrite_original",
                    f"-RegionInfoMP={{Regions=[{{PersonDisplayName=Tony,Rectangle={rectangle}}}]}}",
                    str(microsoft)], check=True)

    with open_library(tmp_path / "library") as library:
        library.index([photos])
        for path, name in ((mwg, "Serena"), (microsoft, "Tony")):
            row = library.catalogue.photo_by_path(str(path))
            [face] = faces_of(library.catalogue, [row.id])[row.id]
            assert (face.person, face.person_source) == (name, "xmp")
        assert {group.name for group in library.people() if group.name} == {"Serena", "Tony"}
        # A confirmed name brings suggestions like the user's own: Serena's other photo is offered.
        assert [face.path for face in library.suggestions("Serena")] == [str(plain)]
