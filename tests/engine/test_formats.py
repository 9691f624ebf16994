"""Every photo format the library lists: HEIC, AVIF, GIF, camera RAW, and reasons for the rest.

The files are written here: HEIC with pillow-heif's encoder, AVIF with Pillow's, DNG with
the app's own writer (`cbir_desktop.sample_photos`), which LibRaw reads like a camera's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import COLOURS, UPRIGHT_CORNERS, corner_colours, corner_picture, solid, stored_turned
from PIL import Image

from cbir_desktop.engine.api import PHOTO_EXTENSIONS, is_photo_name, open_library, photo_pixels
from cbir_desktop.engine.errors import ImageTooLarge, ImageUnreadable
from cbir_desktop.engine.indexing.scanner import ScannedFile, walk
from cbir_desktop.engine.photos.decode import decode_photo
from cbir_desktop.engine.photos.thumbnails import thumbnail
from cbir_desktop.sample_photos import write_dng, write_heic

REPO = Path(__file__).resolve().parents[2]
TURNS = [1, 2, 3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize("orientation", TURNS)
def test_heic_decodes_upright_at_its_size(tmp_path: Path, orientation: int) -> None:
    upright = corner_picture((240, 160))
    path = write_heic(tmp_path / "photo.heic", stored_turned(upright, orientation), orientation)
    photo = decode_photo(str(path), min_side=64)
    assert (photo.width, photo.height) == (240, 160)
    assert photo.image.size == (240, 160)
    assert corner_colours(photo.image) == UPRIGHT_CORNERS


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_avif_decodes_upright_at_its_size(tmp_path: Path, orientation: int) -> None:
    upright = corner_picture((240, 160))
    stored = stored_turned(upright, orientation)
    exif = stored.getexif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.avif"
    stored.save(path, "AVIF", exif=exif, quality=90)
    photo = decode_photo(str(path), min_side=64)
    assert (photo.width, photo.height) == (240, 160)
    assert corner_colours(photo.image) == UPRIGHT_CORNERS


def test_heic_saved_as_jpg_still_decodes(tmp_path: Path) -> None:
    """Some phones' exports keep HEIC content under a .jpg name."""
    path = write_heic(tmp_path / "IMG_0001.jpg", corner_picture())
    assert corner_colours(decode_photo(str(path), min_side=64).image) == UPRIGHT_CORNERS


def test_gif_gives_its_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (80, 60), COLOURS[c]) for c in ("red", "blue", "green")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(path).n_frames == 3
    photo = decode_photo(str(path), min_side=32)
    assert photo.image.getpixel((40, 30)) == COLOURS["red"]


@pytest.mark.parametrize("fmt, suffix", [("WEBP", ".webp"), ("TIFF", ".tif"), ("BMP", ".bmp"), ("PNG", ".png")])
def test_common_formats_decode_upright(tmp_path: Path, fmt: str, suffix: str) -> None:
    stored = stored_turned(corner_picture(), 6)
    exif = stored.getexif()
    exif[0x0112] = 6
    path = tmp_path / f"photo{suffix}"
    if fmt == "BMP":  # BMP holds no EXIF: it is stored upright
        corner_picture().save(path, fmt)
    else:
        stored.save(path, fmt, exif=exif)
    photo = decode_photo(str(path), min_side=32)
    assert (photo.width, photo.height) == (240, 160)
    assert corner_colours(photo.image) == UPRIGHT_CORNERS


# -- camera RAW -----------------------------------------------------------------------------
@pytest.mark.parametrize("orientation", TURNS)
def test_raw_without_preview_is_demosaiced_upright(tmp_path: Path, orientation: int) -> None:
    upright = corner_picture((600, 400))
    path = write_dng(tmp_path / "IMG_0001.dng", stored_turned(upright, orientation), orientation)
    photo = decode_photo(str(path), min_side=100)
    assert (photo.width, photo.height) == (600, 400)
    assert photo.image.size == (300, 200)  # half size: each 2x2 Bayer cell becomes one pixel
    assert corner_colours(photo.image) == UPRIGHT_CORNERS


def test_raw_too_small_for_half_size_is_demosaiced_in_full(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "small.dng", corner_picture((300, 200)))
    photo = decode_photo(str(path), min_side=150)
    assert photo.image.size == (300, 200)
    assert corner_colours(photo.image) == UPRIGHT_CORNERS


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_raw_uses_its_preview_when_large_enough(tmp_path: Path, orientation: int) -> None:
    """The preview here is purple, the sensor data is not: the colour says which was decoded."""
    stored = stored_turned(corner_picture((600, 400)), orientation)
    preview = stored.resize((stored.width // 2, stored.height // 2))
    preview.paste(COLOURS["purple"], (preview.width // 3, preview.height // 3,
                                      2 * preview.width // 3, 2 * preview.height // 3))
    path = write_dng(tmp_path / "IMG_0002.dng", stored, orientation, preview=preview)
    photo = decode_photo(str(path), min_side=150)
    assert (photo.width, photo.height) == (600, 400)  # the sensor's size, not the preview's
    centre = photo.image.getpixel((photo.image.width // 2, photo.image.height // 2))
    assert centre == pytest.approx(COLOURS["purple"], abs=12)
    assert corner_colours(photo.image) == UPRIGHT_CORNERS
    # Asked for more than the preview holds, the sensor data is demosaiced instead.
    full = decode_photo(str(path), min_side=250)
    assert full.image.getpixel((full.image.width // 2, full.image.height // 2)) != pytest.approx(
        COLOURS["purple"], abs=40)
    assert corner_colours(full.image) == UPRIGHT_CORNERS


def test_raw_with_a_letterboxed_preview_is_demosaiced(tmp_path: Path) -> None:
    stored = corner_picture((600, 400))
    letterboxed = Image.new("RGB", (400, 400), (0, 0, 0))  # 3:2 frame padded into a square
    letterboxed.paste(stored.resize((400, 266)), (0, 67))
    path = write_dng(tmp_path / "IMG_0003.dng", stored, preview=letterboxed)
    photo = decode_photo(str(path), min_side=150)
    assert photo.image.size == (300, 200)  # demosaiced at half size, not the 400x400 preview
    assert corner_colours(photo.image) == UPRIGHT_CORNERS


def test_raw_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "big.dng", corner_picture((400, 300)))
    with pytest.raises(ImageTooLarge, match="over the 0 MP limit"):
        decode_photo(str(path), pixel_limit=100_000)


def test_thumbnails_and_the_window_show_turned_heic_and_raw_upright(tmp_path: Path) -> None:
    upright = corner_picture((600, 400))
    files = [write_heic(tmp_path / "a.heic", stored_turned(upright, 6), 6),
             write_dng(tmp_path / "b.dng", stored_turned(upright, 8), 8),
             write_dng(tmp_path / "c.dng", stored_turned(upright, 5), 5, preview=stored_turned(upright, 5))]
    for path in files:
        with Image.open(thumbnail(tmp_path / "cache", str(path))) as thumb:
            assert thumb.size == (512, 341)
            assert corner_colours(thumb) == UPRIGHT_CORNERS, path.name
        pixels = photo_pixels(path, 200)
        assert pixels.shape == (133, 200, 3)
        assert corner_colours(Image.fromarray(pixels)) == UPRIGHT_CORNERS, path.name


# -- what cannot be decoded says why, in one line -------------------------------------------
def _reason(path: Path) -> str:
    with pytest.raises(ImageUnreadable) as info:
        decode_photo(str(path))
    reason = info.value.reason
    assert "\n" not in reason and len(reason) < 140, reason
    return reason


def test_broken_files_have_a_one_line_reason(tmp_path: Path) -> None:
    heic = write_heic(tmp_path / "whole.heic", corner_picture())
    dng = write_dng(tmp_path / "whole.dng", corner_picture((400, 300)))
    cut_heic = tmp_path / "cut.heic"
    cut_heic.write_bytes(heic.read_bytes()[: heic.stat().st_size // 2])
    cut_dng = tmp_path / "cut.dng"
    cut_dng.write_bytes(dng.read_bytes()[: dng.stat().st_size // 2])
    noise = tmp_path / "noise.cr2"
    noise.write_bytes(bytes(range(256)) * 40)
    page = tmp_path / "download.nef"
    page.write_text("<html><body>404 Not Found</body></html>\n")
    assert _reason(cut_heic) == "the file is truncated (incomplete download or copy)"  # libheif alone: black tiles
    assert _reason(cut_dng) == "the file is truncated (incomplete download or copy)"  # LibRaw alone: black rows
    assert _reason(noise).startswith("format not supported: LibRaw")
    assert _reason(page) == "not an image file (it holds text)"


def test_tiled_heic_cut_short_is_truncated_not_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """libheif opens and decodes some cut-short HEICs with no error (a real iPhone photo cut to
    10% decodes 60% black: tests/e2e/test_real_formats.py); the file's own box lengths tell."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    monkeypatch.setattr(pillow_heif.options, "GRID_TILE_SIZE", 64)  # a grid of tiles, as phones write
    whole = tmp_path / "whole.heic"
    Image.new("RGB", (256, 192), COLOURS["red"]).save(whole, "HEIF")
    cut = tmp_path / "cut.heic"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 4 // 5])
    with Image.open(cut) as image:  # libheif alone: no error
        image.load()
        assert image.size == (256, 192)
    assert _reason(cut) == "the file is truncated (incomplete download or copy)"


def test_unknown_content_behind_an_image_extension_is_not_supported(tmp_path: Path) -> None:
    jxl = tmp_path / "photo.jxl"
    jxl.write_bytes(b"\xff\x0a" + bytes(200))
    hidden = tmp_path / "photo.jpg"  # a JPEG XL saved under a .jpg name
    hidden.write_bytes(b"\x00\x00\x00\x0cJXL \r\n\x87\n" + bytes(200))
    blob = tmp_path / "photo.png"
    blob.write_bytes(bytes(range(256)) * 4)
    assert _reason(jxl) == "format not supported (JPEG XL)"
    assert _reason(hidden) == "format not supported (JPEG XL)"
    assert _reason(blob) == "format not supported (unrecognised content)"


def test_scanner_lists_every_photo_format_and_nothing_else(tmp_path: Path) -> None:
    names = ["a.HEIC", "b.hif", "c.avif", "d.CR2", "e.cr3", "f.nef", "g.ARW", "h.dng", "i.raf", "j.orf",
             "k.rw2", "l.pef", "m.srw", "n.kdc", "o.jxl", "p.gif", "q.bmp", "r.tiff", "s.webp", "t.png"]
    for name in names + ["notes.txt", "clip.mp4", "a.HEIC.xmp"]:
        (tmp_path / name).write_bytes(b"x")
    found = sorted(Path(f.path).name for f in walk(str(tmp_path)) if isinstance(f, ScannedFile))
    assert found == sorted(names)
    assert all(is_photo_name(name) for name in names)
    assert {".heic", ".avif", ".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2", ".pef", ".srw",
            ".kdc", ".gif", ".webp", ".tif", ".bmp", ".png", ".jpg"} <= set(PHOTO_EXTENSIONS)


def test_index_lists_every_undecodable_photo_with_its_reason(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    solid(root / "red.jpg", "red")
    write_heic(root / "blue.heic", Image.new("RGB", (64, 48), COLOURS["blue"]))
    write_dng(root / "green.dng", Image.new("RGB", (64, 48), COLOURS["green"]))
    (root / "cut.heic").write_bytes((root / "blue.heic").read_bytes()[:300])
    (root / "photo.jxl").write_bytes(b"\xff\x0a" + bytes(100))
    (root / "unknown.cr3").write_bytes(bytes(range(256)) * 8)
    with open_library(tmp_path / "lib") as library:
        report = library.index([root])
        reasons = {Path(f.path).name: f.reason for f in library.status().failed}
        assert report.added == 3, report
        assert set(reasons) == {"cut.heic", "photo.jxl", "unknown.cr3"}
        assert reasons["photo.jxl"] == "format not supported (JPEG XL)"
        assert reasons["unknown.cr3"].startswith("format not supported: LibRaw")
        assert _names(library.search_image(root / "green.dng", k=1)) == ["green.dng"]


def _names(hits: list) -> list[str]:
    return [Path(h.path).name for h in hits]


def test_missing_decoders_make_heic_and_raw_skipped_not_ignored(tiny_models: Path, tmp_path: Path) -> None:
    """Without pillow-heif and rawpy (their import blocked, as if not installed), HEIC and RAW
    files are still found and listed as skipped with what to install; once installed, the
    next scan indexes them although the files did not change."""
    root = tmp_path / "photos"
    solid(root / "red.jpg", "red")
    write_heic(root / "blue.heic", Image.new("RGB", (64, 48), COLOURS["blue"]))
    write_dng(root / "green.dng", Image.new("RGB", (64, 48), COLOURS["green"]))
    script = (
        "import sys; sys.modules['pillow_heif'] = None; sys.modules['rawpy'] = None\n"
        "from cbir_desktop.engine.api import open_library\n"
        f"with open_library({str(tmp_path / 'lib')!r}) as library:\n"
        f"    report = library.index([{str(root)!r}])\n"
        "    print(report.added)\n"
        "    for failure in sorted(report.failed, key=lambda f: f.path):\n"
        "        print(failure.path.rsplit('/', 1)[1], '|', failure.reason)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "1",
        "blue.heic | format not supported: HEIC/HEIF needs the pillow-heif package, which is not installed",
        "green.dng | format not supported: camera RAW files need the rawpy package, which is not installed",
    ]
    with open_library(tmp_path / "lib") as library:  # this process has both
        report = library.index([root])
        assert (report.added, report.unchanged, report.failed) == (2, 1, [])
        assert _names(library.search_image(root / "green.dng", k=1)) == ["green.dng"]

