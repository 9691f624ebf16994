"""Backups of the user's work, and repairing a damaged (or sound) catalogue from them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import shaded_folder

from cbir_desktop.engine.api import open_library, repair_library
from cbir_desktop.engine.errors import CatalogueDamaged, LibraryNotFound
from cbir_desktop.engine.storage import backups as backups_module
from cbir_desktop.engine.storage.backups import KEEP, back_up, backups, is_good
from cbir_desktop.engine.vectors import index as index_module

SUBJECTS = {"Herons": (200, 40, 40), "Lisbon": (40, 180, 60), "Gerenuk": (40, 60, 200)}
PER_SUBJECT = 5
N = PER_SUBJECT * len(SUBJECTS)


@dataclass(frozen=True)
class Built:
    root: Path
    lib: Path
    photos: Path
    confirmed: list[Path]  # tagged "mytag" by the user
    rejected: list[Path]  # "red" rejected by the user

    @property
    def catalogue(self) -> Path:
        return self.lib / "catalogue.sqlite"


@pytest.fixture
def annoy_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Annoy files even for a tiny library, so repairs must rebuild real index files."""
    monkeypatch.setattr(index_module, "EXACT_BELOW", 4)


@pytest.fixture
def built(tiny_models: Path, annoy_files: None, tmp_path: Path) -> Built:
    """A library whose user confirmed and rejected tags before its last indexing run."""
    photos = tmp_path / "photos"
    for seed, (folder, base) in enumerate(SUBJECTS.items()):
        shaded_folder(photos / folder, base, PER_SUBJECT, seed)
    lib = tmp_path / "lib"
    confirmed = sorted((photos / "Herons").glob("*.jpg"))[:3]
    rejected = sorted((photos / "Lisbon").glob("*.jpg"))[:2]
    with open_library(lib) as library:
        library.index([photos])
        library.edit_tags(confirmed, add=["mytag"])
        library.edit_tags(rejected, remove=["red"])
        library.index()  # backs up the user's work, which changed
    assert not Path(f"{lib / 'catalogue.sqlite'}-wal").exists()  # closed cleanly: all in the file
    assert list(lib.glob("index/tiny8/features.ann"))  # real index files for a repair to rebuild
    return Built(tmp_path, lib, photos, confirmed, rejected)


def _count(db_path: Path, table: str) -> int:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def _user_tags(db_path: Path) -> set[tuple[str, str, int]]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {(Path(bytes(p).decode()).name, t, c) for p, t, c in db.execute(
            "SELECT p.path, u.tag, u.confirmed FROM user_tags u JOIN photos p ON p.id = u.photo_id")}
    finally:
        db.close()


def _expected_tags(built: Built) -> set[tuple[str, str, int]]:
    return ({(p.name, "mytag", 1) for p in built.confirmed} | {(p.name, "red", 0) for p in built.rejected})


def test_backup_holds_the_users_work_but_no_vectors(built: Built) -> None:
    found = backups(built.lib / "backups")
    assert len(found) == 2  # after the first run, and after the tags changed
    newest = found[0]
    assert is_good(newest)
    assert _count(newest, "photos") == N
    assert _count(newest, "folders") == 1
    assert _user_tags(newest) == _expected_tags(built)
    for derived in ("vectors", "tags", "derived"):
        assert _count(newest, derived) == 0, derived
    assert _count(built.catalogue, "vectors") > 0  # the catalogue itself has them
    assert newest.stat().st_size < built.catalogue.stat().st_size
    # The older one predates the user's tags.
    assert _user_tags(found[1]) == set()


def test_unchanged_work_makes_no_new_backup(built: Built) -> None:
    before = backups(built.lib / "backups")
    with open_library(built.lib) as library:
        library.index()
    assert backups(built.lib / "backups") == before


def test_backups_rotate_to_keep_the_newest(built: Built) -> None:
    folder = built.root / "rotating"
    made = [back_up(built.catalogue, folder) for _ in range(KEEP + 3)]
    assert backups(folder) == sorted(made[-KEEP:], reverse=True)
    assert all(not p.exists() for p in made[:3])
    assert not list(folder.glob(".*.tmp"))
    small = [back_up(built.catalogue, folder, keep=2) for _ in range(2)]
    assert backups(folder) == sorted(small, reverse=True)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _zeroed(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def _random_second_half(path: Path) -> None:
    data = bytearray(path.read_bytes())
    half = len(data) // 2
    data[half:] = np.random.default_rng(7).integers(0, 256, len(data) - half, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def _emptied(path: Path) -> None:
    path.write_bytes(b"")


DAMAGES: dict[str, Callable[[Path], None]] = {
    "zero-length": _emptied, "zeroed": _zeroed, "truncated": _truncated, "random-second-half": _random_second_half,
}


@pytest.mark.parametrize("damage", ["zeroed", "truncated", "random-second-half", "header"])
def test_is_good_rejects_a_damaged_backup(built: Built, damage: str) -> None:
    backup = backups(built.lib / "backups")[0]
    assert is_good(backup)
    if damage == "header":
        data = bytearray(backup.read_bytes())
        data[:100] = bytes(100)
        backup.write_bytes(bytes(data))
    else:
        DAMAGES[damage](backup)
    assert not is_good(backup)


def test_is_good_rejects_an_empty_or_foreign_file(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite").write_bytes(b"")
    (tmp_path / "text.sqlite").write_text("not a database\n" * 100)
    db = sqlite3.connect(tmp_path / "other.sqlite")
    db.execute("CREATE TABLE things (x)")
    db.commit()
    db.close()
    for name in ("empty.sqlite", "text.sqlite", "other.sqlite", "absent.sqlite"):
        assert not is_good(tmp_path / name), name


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_repair_restores_a_damaged_catalogue_with_the_users_tags(built: Built, damage: str) -> None:
    with open_library(built.lib) as library:
        query = built.confirmed[0]
        before_image = [h.path for h in library.search_image(query, k=N)]
        before_text = [h.path for h in library.search_text("blue", k=3)]
    DAMAGES[damage](built.catalogue)
    damaged_bytes = built.catalogue.read_bytes()

    report = repair_library(built.lib)

    assert report.damaged and report.problems
    aside = Path(report.kept_aside)
    assert aside.parent == built.lib and aside.is_file()
    assert aside.name.startswith("catalogue.damaged-") and aside.suffix == ".sqlite"
    assert aside.read_bytes() == damaged_bytes  # kept aside as it was, for a closer look
    assert report.backups_used  # the user's work came from (or was checked against) backups
    assert _user_tags(built.catalogue) == _expected_tags(built)
    with open_library(built.lib) as library:
        library.index()
        status = library.status()
        assert status.problems == [], status.problems
        assert status.photos == N and status.indexed == {"tiny8": N}
        assert library.catalogue.photos_missing_kind("tiny8", "features") == []
        for photo in built.confirmed:
            assert library.user_tags(photo) == {"mytag": True}
        for photo in built.rejected:
            assert library.user_tags(photo) == {"red": False}
        assert [h.path for h in library.search_image(query, k=N)][:1] == before_image[:1] == [str(query)]
        assert set(h.path for h in library.search_image(query, k=N)) == set(before_image)
        assert [h.path for h in library.search_text("blue", k=3)] == before_text
        # What the user rejected stays rejected in what the photos show.
        for photo in built.rejected:
            assert "red" not in [t.tag for t in library.tags(photo, k=10)]


def test_repair_of_a_sound_catalogue_keeps_everything_and_rebuilds_indexes(built: Built) -> None:
    photos_before = _count(built.catalogue, "photos")
    vectors_before = _count(built.catalogue, "vectors")
    assert _count(built.catalogue, "derived") > 0
    backups_before = backups(built.lib / "backups")

    report = repair_library(built.lib)

    assert not report.damaged and report.problems == [] and report.kept_aside == ""
    assert not list(built.lib.glob("catalogue.damaged-*"))
    assert _count(built.catalogue, "derived") == 0
    assert _count(built.catalogue, "photos") == photos_before
    assert _count(built.catalogue, "vectors") == vectors_before
    assert _user_tags(built.catalogue) == _expected_tags(built)
    assert len(backups(built.lib / "backups")) == len(backups_before) + 1  # backed up first
    with open_library(built.lib) as library:
        report_index = library.index()
        assert any(h.startswith("features index") for h in report_index.healed), report_index.healed
        assert report_index.added == 0 and report_index.unchanged == N
        assert library.status().problems == []
    assert _count(built.catalogue, "derived") > 0


def test_open_refuses_an_empty_catalogue_that_had_backups(built: Built) -> None:
    _emptied(built.catalogue)
    with pytest.raises(CatalogueDamaged, match="cbir repair") as info:
        open_library(built.lib)
    assert "the file is empty" in str(info.value)
    assert built.catalogue.stat().st_size == 0  # not taken for a new library


def test_open_names_a_file_given_as_the_library(tiny_models: Path, tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("hello")
    with pytest.raises(LibraryNotFound, match="is a file"):
        open_library(file)
    with pytest.raises(LibraryNotFound, match="is a file"):
        repair_library(file)
    assert file.read_text() == "hello"


def test_an_older_catalogue_is_backed_up_before_migrating(built: Built) -> None:
    db = sqlite3.connect(built.catalogue)
    db.execute("DROP TABLE derived")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    before = set(backups(built.lib / "backups"))
    with open_library(built.lib) as library:
        assert library.catalogue.version == backups_module.SCHEMA_VERSION
    new = set(backups(built.lib / "backups")) - before
    assert len(new) == 1
    (backup,) = new
    assert is_good(backup)
    assert _user_tags(backup) == _expected_tags(built)
    assert _count(backup, "photos") == N
