"""`cbir info`: the stored metadata of photos, as text and as JSON (real camera files, tiny models)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import REPO, run_cbir, solid

EXIF = REPO.parent / "shared" / "datasets" / "formats" / "exif"
PHOTOS = ["exif-samples__DSCN0010.jpg", "photoprism__smallFiji.JPG", "photoview__correct_gps.jpg"]


@pytest.fixture
def indexed(tiny_models_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    if not EXIF.is_dir():
        pytest.fail(f"needs the shared data set {EXIF}", pytrace=False)
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in PHOTOS:
        (photos / name).write_bytes((EXIF / name).read_bytes())
    solid(photos / "plain.png", "blue")
    result = run_cbir("index", photos, library=tmp_path / "lib", models=tiny_models_dir)
    assert result.returncode == 0, result.stderr
    return tmp_path / "lib", photos


def test_info_prints_what_the_library_stored(indexed: tuple[Path, Path], tiny_models_dir: Path) -> None:
    lib, photos = indexed
    result = run_cbir("info", photos / PHOTOS[0], photos / PHOTOS[2], library=lib, models=tiny_models_dir)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "taken     2008-10-22 16:28:39  (EXIF)" in text
    assert "camera    Nikon COOLPIX P6000" in text
    assert "exposure  1/75 s, f/5.9, ISO 64, 24 mm" in text
    assert "place     Arezzo, Tuscany, Italy (IT)" in text
    assert "taken     2023-12-14 16:59:06 +01:00  (EXIF)" in text  # the Pixel's own offset
    assert "not in the library" not in text


def test_info_json_has_every_field_and_a_file_outside_the_library_is_read(
        indexed: tuple[Path, Path], tiny_models_dir: Path, tmp_path: Path) -> None:
    lib, photos = indexed
    outside = tmp_path / "elsewhere" / "fiji.jpg"
    outside.parent.mkdir()
    outside.write_bytes((photos / PHOTOS[1]).read_bytes())
    result = run_cbir("info", "--json", photos / PHOTOS[1], outside, photos / "plain.png", library=lib,
                      models=tiny_models_dir)
    assert result.returncode == 0, result.stderr
    fiji, copy, plain = (json.loads(line) for line in result.stdout.splitlines())
    assert (fiji["in_library"], copy["in_library"]) == (True, False)
    for record in (fiji, copy):
        assert (record["make"], record["model"], record["country_code"], record["city"]) == (
            "Canon", "PowerShot A70", "FJ", "Nadi")
        assert record["lat"] == pytest.approx(-17.7732778, abs=1e-4)
    assert (plain["taken_source"], plain["file_type"], plain["width"], plain["make"]) == ("file", "PNG", 64, None)
    text = run_cbir("info", outside, library=lib, models=tiny_models_dir).stdout
    assert "(not in the library: read from the file)" in text


def test_info_on_a_missing_file_is_one_sentence_and_exit_1(indexed: tuple[Path, Path], tiny_models_dir: Path) -> None:
    lib, photos = indexed
    result = run_cbir("info", photos / "gone.jpg", library=lib, models=tiny_models_dir)
    assert result.returncode == 1 and "No such file" in result.stdout


def test_rescanning_an_old_library_says_it_read_the_metadata(indexed: tuple[Path, Path], tiny_models_dir: Path) -> None:
    lib, _ = indexed
    db = sqlite3.connect(lib / "catalogue.sqlite")
    db.executescript("DROP TABLE metadata; PRAGMA user_version = 4;")  # as schema 4 wrote it
    db.close()
    result = run_cbir("index", library=lib, models=tiny_models_dir)
    assert result.returncode == 0, result.stderr
    assert "reading metadata 4/4" in result.stderr
    assert "read the metadata of 4 photos indexed before (no model run)" in result.stdout
    assert "added 0, updated 0, moved 0, removed 0, unchanged 4" in result.stdout
