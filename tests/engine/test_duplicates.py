"""The duplicate finder on small real files: exact copies, the same shot in other sizes and
edits, series of shots, the suggested keeper, and the trash (never a permanent delete)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import camera_photo, run_cbir
from PIL import Image

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.culling.confirm import same_shot
from cbir_desktop.engine.culling.signature import SIGNATURE_VERSION, signature_of
from cbir_desktop.engine.storage.culling_rows import StoredSignature


def scene(seed: int, size: tuple[int, int] = (480, 320), mean: tuple[int, int, int] = (120, 110, 100)) -> Image.Image:
    """A textured picture (random detail at four scales, as in a photo) whose mean colour is
    `mean`: two seeds give two different pictures the tiny test model (mean colour) cannot tell apart."""
    rng = np.random.default_rng(seed)
    pixels = np.zeros((size[1], size[0], 3))
    for cells, weight in ((6, 1.0), (16, 0.6), (40, 0.3)):
        coarse = Image.fromarray(rng.integers(0, 256, (max(2, cells * size[1] // size[0]), cells, 3), dtype=np.uint8))
        pixels += weight * np.asarray(coarse.resize(size, Image.Resampling.BICUBIC), np.float64)
    pixels /= 1.9
    pixels += np.asarray(mean) - pixels.reshape(-1, 3).mean(axis=0)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def signed(image: Image.Image) -> StoredSignature:
    s = signature_of(image)
    return StoredSignature(0, SIGNATURE_VERSION, None, True, s.pixel_hash, s.grey, s.dct, s.sharpness)


def groups_by_name(library, level: str, **kwargs) -> list[set[str]]:  # noqa: ANN001 - a Library
    return [{Path(m.path).name for m in group.members} for group in library.duplicates(level, **kwargs)]


def test_same_shot_accepts_edits_of_one_picture_and_rejects_another_picture():
    original = scene(1)
    edits = {
        "smaller": original.resize((240, 160), Image.Resampling.LANCZOS),
        "mirrored": original.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "quarter turn": original.transpose(Image.Transpose.ROTATE_90),
        "black and white": original.convert("L").convert("RGB"),
        "warmer": Image.merge("RGB", [c.point(lambda v, k=k: min(255, int(v * k)))
                                      for c, k in zip(original.split(), (1.15, 1.0, 0.85), strict=True)]),
        "cropped": original.crop((60, 40, 420, 280)),
        "straightened": original.rotate(5, Image.Resampling.BICUBIC).crop((50, 40, 430, 280)),
    }
    first = signed(original)
    for name, edit in edits.items():
        assert same_shot(first, signed(edit)), name
    for seed in (2, 3, 4):
        assert not same_shot(first, signed(scene(seed))), seed


def test_exact_level_finds_byte_copies_and_the_same_pixels_in_another_format(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    scene(1).save(photos / "IMG_0001.png")
    shutil.copyfile(photos / "IMG_0001.png", photos / "IMG_0001 copy.png")
    scene(1).save(photos / "IMG_0001.bmp")  # the same pixels in another container
    scene(1).save(photos / "IMG_0001.jpg", quality=80)  # not the same pixels: "same", not "exact"
    scene(2).save(photos / "IMG_0002.png")
    with open_library(library_dir) as library:
        library.index([photos])
        groups = library.duplicates("exact")
        assert [{Path(m.path).name for m in g.members} for g in groups] == [
            {"IMG_0001.png", "IMG_0001 copy.png", "IMG_0001.bmp"}]
        assert Path(groups[0].keeper.path).name != "IMG_0001 copy.png"
        assert {m.why for m in groups[0].members} <= {"same bytes", "same pixels"}
        assert groups_by_name(library, "same") == [{"IMG_0001.png", "IMG_0001 copy.png", "IMG_0001.bmp",
                                                    "IMG_0001.jpg"}]


def test_same_level_groups_sizes_flips_turns_and_crops_but_not_another_photo_of_the_same_colours(
        tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    original = scene(5, size=(640, 420))
    original.save(photos / "IMG_0005.jpg", quality=95)
    original.resize((320, 210), Image.Resampling.LANCZOS).save(photos / "IMG_0005_small.jpg", quality=70)
    original.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(photos / "IMG_0005_mirror.webp")
    original.transpose(Image.Transpose.ROTATE_270).save(photos / "IMG_0005_turned.png")
    original.crop((80, 50, 560, 370)).save(photos / "IMG_E0005.jpg", quality=90)
    for seed in (6, 7, 8):  # other photos, same palette: the image vectors alone would group them
        scene(seed, size=(640, 420)).save(photos / f"IMG_000{seed}.jpg", quality=95)
    with open_library(library_dir) as library:
        library.index([photos])
        groups = library.duplicates("same")
    assert [{Path(m.path).name for m in g.members} for g in groups] == [
        {"IMG_0005.jpg", "IMG_0005_small.jpg", "IMG_0005_mirror.webp", "IMG_0005_turned.png", "IMG_E0005.jpg"}]
    group = groups[0]
    assert Path(group.keeper.path).name == "IMG_0005.jpg"
    assert "the highest resolution" in group.reasons
    small = next(m for m in group.members if m.path.endswith("_small.jpg"))
    assert "resolution" in small.differences and "file size" in small.differences
    mirror = next(m for m in group.members if m.path.endswith(".webp"))
    assert mirror.file_format == "WEBP" and "format" in mirror.differences


def test_the_original_is_kept_over_its_edit_and_copies(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    warm = scene(9, mean=(200, 90, 60))  # far from grey: the tiny model's vectors of the crop stay close
    warm.save(photos / "IMG_4120.jpg", quality=90)
    shutil.copyfile(photos / "IMG_4120.jpg", photos / "IMG_4120 (1).jpg")
    warm.crop((40, 0, 440, 320)).save(photos / "IMG_E4120.jpg", quality=90)
    with open_library(library_dir) as library:
        library.index([photos])
        (group,) = library.duplicates("same")
    assert Path(group.keeper.path).name == "IMG_4120.jpg"
    assert group.reasons[0] == "the original, not an edit, export or copy"
    assert {Path(m.path).name for m in group.rejects} == {"IMG_4120 (1).jpg", "IMG_E4120.jpg"}


def test_series_are_shots_of_one_camera_within_the_window(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    for n, (taken, camera) in enumerate([("2021:05:01 10:00:00", "X100V"), ("2021:05:01 10:00:04", "X100V"),
                                         ("2021:05:01 10:00:09", "X100V"), ("2021:05:01 10:05:00", "X100V"),
                                         ("2021:05:01 10:00:02", "X-T4")]):
        camera_photo(photos / f"DSCF{n:04d}.jpg", (200 - n, 40, 40), taken, "Fujifilm", camera)
    camera_photo(photos / "far.jpg", "blue", "2021:05:01 10:00:05", "Fujifilm", "X100V")  # another scene
    with open_library(library_dir) as library:
        library.index([photos])
        assert groups_by_name(library, "series") == [{"DSCF0000.jpg", "DSCF0001.jpg", "DSCF0002.jpg"}]
        assert groups_by_name(library, "series", window_s=2) == []
        library.set_series_window(600)
        assert library.series_window == 600
        assert groups_by_name(library, "series") == [{"DSCF0000.jpg", "DSCF0001.jpg", "DSCF0002.jpg",
                                                      "DSCF0003.jpg"}]
        (group,) = library.duplicates("series")
        assert all(m.sharpness is not None for m in group.members)


def test_signatures_are_kept_and_read_again_when_a_file_changes(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    scene(1).save(photos / "a.png")
    scene(1).resize((240, 160)).save(photos / "b.png")
    with open_library(library_dir) as library:
        library.index([photos])
        assert len(library.duplicates("same")) == 1
        db = library.catalogue.db
        assert db.execute("SELECT count(*) FROM signatures WHERE pixel_hash IS NOT NULL").fetchone()[0] == 2
        scene(3).resize((240, 160)).save(photos / "b.png")  # now another picture
        os.utime(photos / "b.png", (1_700_000_000, 1_700_000_000))
        library.index([photos])
        assert library.duplicates("same") == []


def test_trashed_rejects_leave_the_folder_and_the_library_and_wait_in_the_trash(tmp_path, tiny_models, library_dir,
                                                                                 monkeypatch):
    # This test's own trash: send2trash reads XDG_DATA_HOME once, when first imported.
    from send2trash import plat_other
    home_trash = tmp_path / "data" / "Trash"
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(tmp_path / "data"))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(home_trash))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(home_trash))
    photos = tmp_path / "photos"
    photos.mkdir()
    scene(1).save(photos / "IMG_0001.png")
    shutil.copyfile(photos / "IMG_0001.png", photos / "IMG_0001 copy.png")
    scene(1).resize((240, 160)).save(photos / "IMG_0001_small.jpg")
    scene(2).save(photos / "other.png")
    with open_library(library_dir) as library:
        library.index([photos])
        (group,) = library.duplicates("same")
        report = library.trash_photos([m.path for m in group.rejects])
        assert sorted(Path(p).name for p in report.moved) == ["IMG_0001 copy.png", "IMG_0001_small.jpg"]
        assert report.failed == ()
        assert sorted(p.name for p in photos.iterdir()) == ["IMG_0001.png", "other.png"]
        trash = tmp_path / "data" / "Trash"
        assert sorted(p.name for p in (trash / "files").iterdir()) == ["IMG_0001 copy.png", "IMG_0001_small.jpg"]
        assert len(list((trash / "info").iterdir())) == 2  # where each came from: restorable
        assert sorted(Path(p).name for _, p in library.catalogue.photo_paths()) == ["IMG_0001.png", "other.png"]
        assert library.duplicates("same") == []
        report = library.index([photos])
        assert (report.added, report.removed, report.updated) == (0, 0, 0)  # the catalogue was already right
        hits = library.search_image(photos / "IMG_0001.png", k=10)
        assert sorted(Path(h.path).name for h in hits) == ["IMG_0001.png", "other.png"]


def test_cli_trash_rejects_asks_first_and_refuses_without_a_terminal(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    scene(1).save(photos / "IMG_0001.png")
    shutil.copyfile(photos / "IMG_0001.png", photos / "IMG_0001 copy.png")
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    assert run_cbir("index", photos, library=library_dir, models=tiny_models).returncode == 0
    listed = run_cbir("duplicates", "--json", library=library_dir, models=tiny_models)
    assert listed.returncode == 0, listed.stderr
    import json
    (line,) = listed.stdout.splitlines()
    group = json.loads(line)
    assert Path(group["keeper"]).name == "IMG_0001.png"
    assert [m["keep"] for m in group["members"]] == [True, False]
    refused = run_cbir("duplicates", "--trash-rejects", library=library_dir, models=tiny_models, env=env)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert (photos / "IMG_0001 copy.png").exists()
    moved = run_cbir("duplicates", "--trash-rejects", "--yes", library=library_dir, models=tiny_models, env=env)
    assert moved.returncode == 0, moved.stderr
    assert "1 photo moved to the trash" in moved.stderr
    assert sorted(p.name for p in photos.iterdir()) == ["IMG_0001.png"]
    assert (tmp_path / "data" / "Trash" / "files" / "IMG_0001 copy.png").is_file()


@pytest.mark.parametrize("level", ["exact", "same", "series"])
def test_a_library_without_duplicates_has_no_groups(tmp_path, tiny_models, library_dir, level):
    photos = tmp_path / "photos"
    photos.mkdir()
    scene(1).save(photos / "a.jpg")
    scene(2, mean=(30, 160, 40)).save(photos / "b.jpg")
    with open_library(library_dir) as library:
        library.index([photos])
        assert library.duplicates(level) == []
