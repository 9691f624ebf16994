"""The keeper of a burst with faces: the shot whose faces are sharpest, on a real two-person
photo made into a burst (faces blurred in one shot, the background in the other)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.culling.face_sharpness import crop_sharpness, least_sharp_face, main_faces

TWO_PEOPLE = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_groups" / "two_people.jpg"
# The two faces dlib's HOG detector finds on it (x, y, w, h as fractions of the photo).
LEFT_FACE, RIGHT_FACE = (0.217, 0.094, 0.134, 0.227), (0.703, 0.144, 0.133, 0.227)


def photo() -> Image.Image:
    with Image.open(TWO_PEOPLE) as image:
        return image.convert("RGB")


def blurred(image: Image.Image, radius: float, faces: list[tuple[float, float, float, float]],
            inside: bool = True) -> Image.Image:
    """`image` blurred inside ovals around `faces` (or outside them, `inside` False)."""
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for x, y, w, h in faces:
        draw.ellipse(((x - 0.3 * w) * image.width, (y - 0.3 * h) * image.height,
                      (x + 1.3 * w) * image.width, (y + 1.3 * h) * image.height), fill=255)
    soft = image.filter(ImageFilter.GaussianBlur(radius))
    return Image.composite(soft, image, mask) if inside else Image.composite(image, soft, mask)


def shot(image: Image.Image, path: Path, taken: str) -> Path:
    """`image` saved as one camera's shot taken at `taken` ("2023:06:10 14:02:07")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif.update({0x010F: "FUJIFILM", 0x0110: "X-T4"})  # Make, Model
    exif[0x8769] = {0x9003: taken}  # DateTimeOriginal
    image.save(path, quality=92, exif=exif)
    return path


@pytest.fixture
def burst(tmp_path: Path) -> Path:
    """DSCF0001: faces blurred, background sharp (the sharper picture as a whole);
    DSCF0002, a second later: faces sharp, background blurred."""
    folder = tmp_path / "photos"
    both = [LEFT_FACE, RIGHT_FACE]
    shot(blurred(photo(), 3, both), folder / "DSCF0001.jpg", "2023:06:10 14:02:07")
    shot(blurred(photo(), 3, both, inside=False), folder / "DSCF0002.jpg", "2023:06:10 14:02:08")
    return folder


def test_a_blurred_face_measures_less_sharp_the_more_it_is_blurred():
    image = photo()
    scores = [crop_sharpness(blurred(image, radius, [LEFT_FACE]), LEFT_FACE) for radius in (0, 1.5, 3, 6)]
    assert scores == sorted(scores, reverse=True) and scores[0] > 3 * scores[2]
    # The right face was not touched: it measures the same in each.
    assert crop_sharpness(blurred(image, 6, [LEFT_FACE]), RIGHT_FACE) == pytest.approx(
        crop_sharpness(image, RIGHT_FACE), rel=0.02)


def test_a_photo_scores_its_least_sharp_face_and_ignores_small_faces_in_the_background():
    image = photo()
    both = [LEFT_FACE, RIGHT_FACE]
    one_blurred = blurred(image, 4, [RIGHT_FACE])
    assert least_sharp_face(one_blurred, both) == crop_sharpness(one_blurred, RIGHT_FACE)
    assert least_sharp_face(one_blurred, both) < 0.5 * least_sharp_face(image, both)
    bystander = (0.45, 0.75, 0.04, 0.07)  # a small face low in the frame, out of focus in every shot
    assert main_faces([*both, bystander]) == both
    background = blurred(image, 6, [bystander])
    assert least_sharp_face(background, [*both, bystander]) == least_sharp_face(background, both)


def test_the_keeper_of_a_burst_with_faces_is_the_shot_with_the_sharpest_faces(burst, tiny_models, tmp_path):
    with open_library(tmp_path / "library") as library:
        library.index([burst])
        assert len(library.faces(burst / "DSCF0001.jpg")) == 2 and len(library.faces(burst / "DSCF0002.jpg")) == 2
        (group,) = library.duplicates("series")
    assert Path(group.keeper.path).name == "DSCF0002.jpg"
    assert group.reasons[0] == "the sharpest faces"
    (other,) = group.rejects
    assert other.sharpness is not None and group.keeper.sharpness is not None
    assert other.sharpness > group.keeper.sharpness  # the picture as a whole would have chosen the other


def test_without_face_recognition_the_sharpest_picture_is_kept(burst, tiny_models, tmp_path):
    with open_library(tmp_path / "library") as library:
        library.set_face_recognition(False)
        library.index([burst])
        (group,) = library.duplicates("series")
    assert Path(group.keeper.path).name == "DSCF0001.jpg"
    assert group.reasons[0] == "the sharpest"


def test_a_shot_the_faces_step_has_not_read_yet_is_not_taken_for_one_without_faces(burst, tiny_models, tmp_path):
    with open_library(tmp_path / "library") as library:
        library.index([burst])
        shot(blurred(photo(), 5, [LEFT_FACE, RIGHT_FACE]), burst / "DSCF0003.jpg", "2023:06:10 14:02:09")
        library.index([burst], faces=False)  # `cbir index --no-faces`: DSCF0003 waits for the faces step
        (group,) = library.duplicates("series")
        assert len(group.members) == 3 and Path(group.keeper.path).name != "DSCF0002.jpg"
        assert "the sharpest faces" not in group.reasons
        library.index([burst])
        (group,) = library.duplicates("series")
        assert Path(group.keeper.path).name == "DSCF0002.jpg" and group.reasons[0] == "the sharpest faces"


def test_a_shot_changed_on_disk_has_its_faces_measured_again(burst, tiny_models, tmp_path):
    with open_library(tmp_path / "library") as library:
        library.index([burst])
        assert Path(library.duplicates("series")[0].keeper.path).name == "DSCF0002.jpg"
        shot(blurred(photo(), 8, [LEFT_FACE, RIGHT_FACE]), burst / "DSCF0002.jpg", "2023:06:10 14:02:08")
        library.index([burst])
        (group,) = library.duplicates("series")
    assert Path(group.keeper.path).name == "DSCF0001.jpg"
