"""Decoding real image files of every awkward kind, and clear reasons for bad ones."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from helpers import png_header
from PIL import Image

from cbir_desktop.engine.errors import ImageTooLarge, ImageUnreadable
from cbir_desktop.engine.photos.decode import decode_photo
from cbir_desktop.engine.photos.preprocess import to_model_input


def test_large_jpeg_is_draft_decoded_to_just_above_model_size(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(path, quality=90)
    photo = decode_photo(str(path), min_side=224)
    assert (photo.width, photo.height) == (4000, 3000)  # the real size is kept
    assert 224 <= min(photo.image.size) < 448  # DCT scaling did most of the work
    assert photo.image.mode == "RGB"


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    image = Image.new("RGB", (300, 200), (200, 10, 10))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    image.save(path, exif=exif)
    photo = decode_photo(str(path))
    assert photo.image.size[0] < photo.image.size[1]
    assert (photo.width, photo.height) == (200, 300)


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "RGBA", "LA", "I;16", "1"])
def test_every_mode_becomes_rgb(tmp_path: Path, mode: str) -> None:
    suffix = ".jpg" if mode == "CMYK" else ".png"
    if mode == "I;16":
        array = np.full((40, 50), 40000, dtype=np.uint16)  # bright 16-bit grey
        image = Image.fromarray(array)
    else:
        image = Image.new("RGB", (50, 40), (200, 100, 50)).convert(mode)
    path = tmp_path / f"photo{suffix}"
    image.save(path)
    photo = decode_photo(str(path))
    assert photo.image.mode == "RGB"
    pixel = photo.image.getpixel((10, 10))
    if mode == "I;16":
        assert 140 < pixel[0] < 170  # 40000/65535*255 = 155, not clipped to white
    tensor = to_model_input(photo.image, 32)
    assert tensor.shape == (3, 32, 32) and tensor.dtype == np.float32
    assert 0.0 <= tensor.min() and tensor.max() <= 1.0


def test_transparent_areas_become_white(tmp_path: Path) -> None:
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (20, 20), (255, 0, 0, 0)).save(path)
    assert decode_photo(str(path)).image.getpixel((5, 5)) == (255, 255, 255)


def test_truncated_jpeg_has_a_reason(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageUnreadable, match="truncated"):
        decode_photo(str(path))


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty"), (b"this is a text file, not a photo\n", "not an image")],
)
def test_non_images_have_reasons(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "fake.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageUnreadable, match=reason) as info:
        decode_photo(str(path))
    assert "fake.jpg" in str(info.value)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header(30000, 30000))
    with pytest.raises(ImageTooLarge, match="900 MP is over the 200 MP limit"):
        decode_photo(str(path))


def test_unreadable_file_has_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "locked.jpg"
    if os.geteuid() == 0:
        # root reads any file, so use one whose read fails in the kernel (EIO).
        path.symlink_to("/proc/self/mem")
        expected = "error"
    else:
        Image.new("RGB", (8, 8)).save(path)
        path.chmod(0)
        expected = "permission denied"
    with pytest.raises(ImageUnreadable, match=expected):
        decode_photo(str(path))


def test_symlink_loop_has_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "loop.jpg"
    path.symlink_to(path)
    with pytest.raises(ImageUnreadable, match="symbolic link loop"):
        decode_photo(str(path))
