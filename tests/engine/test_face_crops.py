"""Face crops for the People panel: a square around the face, cut from the upright photo (EXIF
rotation and greyscale included), kept inside the photo at its borders, the face itself in view."""

from __future__ import annotations

from pathlib import Path

from helpers import stored_turned
from PIL import Image

from cbir_desktop.engine.api import face_pixels, find_photo_faces
from cbir_desktop.engine.faces.crops import square_around

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"


def _one_face_in(pixels, tmp_path: Path) -> tuple[float, float, float, float]:
    """The box of the one face the detector finds in a crop (fractions of the crop)."""
    Image.fromarray(pixels).save(tmp_path / "crop.png")
    found = find_photo_faces(tmp_path / "crop.png")
    assert len(found) == 1
    return found[0].box


def test_the_crop_is_the_face_of_an_exif_rotated_greyscale_photo(tmp_path: Path) -> None:
    picture = Image.open(sorted((LFW / "Laura_Bush").glob("*.jpg"))[0]).convert("L")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: the face is sideways in the file, upright when shown
    stored_turned(picture, 6).save(tmp_path / "turned.jpg", exif=exif, quality=95)
    face = find_photo_faces(tmp_path / "turned.jpg")[0]
    pixels = face_pixels(tmp_path / "turned.jpg", face.box, 120)
    assert pixels.shape == (120, 120, 3)
    x, y, w, h = _one_face_in(pixels, tmp_path)  # upright, centred and filling most of the square
    assert 0.3 < x + w / 2 < 0.7 and 0.3 < y + h / 2 < 0.7 and 0.4 < w < 0.9


def test_a_small_face_in_a_large_photo_comes_out_sharp_at_the_size_asked(tmp_path: Path) -> None:
    canvas = Image.new("RGB", (3000, 2000), (90, 120, 90))
    with Image.open(sorted((LFW / "Tony_Blair").glob("*.jpg"))[0]) as face:
        canvas.paste(face.convert("RGB"), (2600, 1700))  # a small face near the corner
    canvas.save(tmp_path / "big.jpg", quality=92)
    box = find_photo_faces(tmp_path / "big.jpg")[0].box
    pixels = face_pixels(tmp_path / "big.jpg", box, 160)
    assert pixels.shape == (160, 160, 3)
    _one_face_in(pixels, tmp_path)


def test_the_square_stays_inside_the_photo_at_its_borders() -> None:
    assert square_around((0.0, 0.0, 0.1, 0.1), 1000, 500) == (0, 0, 170, 170)
    left, top, right, bottom = square_around((0.95, 0.9, 0.05, 0.1), 1000, 500)
    assert (right, bottom) == (1000, 500) and right - left == bottom - top
    assert square_around((0.2, 0.1, 0.6, 0.8), 400, 300) == (50, 0, 350, 300)  # no larger than the photo
