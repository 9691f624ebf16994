"""The SQLite catalogue: schema versions, paths as bytes, vectors kept per model."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from cbir_desktop.engine.errors import CatalogueTooNew
from cbir_desktop.engine.storage.catalogue import (
    FEATURES,
    SCHEMA_VERSION,
    Catalogue,
    PhotoVectors,
)
from cbir_desktop.engine.types import TagScore


def test_new_catalogue_is_wal_with_current_schema(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path / "c.sqlite")
    assert cat.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cat.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert cat.integrity_ok()
    cat.close()
    Catalogue(tmp_path / "c.sqlite").close()  # reopening migrates nothing, fails nothing


def test_catalogue_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    Catalogue(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(CatalogueTooNew, match="install a newer cbir-desktop"):
        Catalogue(path)


def test_undecodable_file_names_round_trip(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path / "c.sqlite")
    name = str(tmp_path) + "/caf" + b"\xe9".decode("utf-8", "surrogateescape") + ".jpg"
    with cat.transaction():
        photo_id = cat.upsert_photo(name, 10, 1, b"h", 4, 3)
    assert cat.photo_by_path(name).id == photo_id
    assert list(cat.photos_under(str(tmp_path))) == [name]


def test_folder_prefix_does_not_match_sibling_folders(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path / "c.sqlite")
    with cat.transaction():
        cat.upsert_photo("/photos/a/1.jpg", 1, 1, b"1", 1, 1)
        cat.upsert_photo("/photos/ab/2.jpg", 1, 1, b"2", 1, 1)
    assert list(cat.photos_under("/photos/a")) == ["/photos/a/1.jpg"]


def test_vectors_are_kept_per_model_with_their_dimension(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path / "c.sqlite")
    with cat.transaction():
        pid = cat.upsert_photo("/p/1.jpg", 1, 1, b"1", 1, 1)
        cat.store_vectors(pid, "m4096", PhotoVectors(np.ones(4096, np.float32), None, [TagScore("cat", 0.9, 281)]))
        cat.store_vectors(pid, "m2048", PhotoVectors(np.ones(2048, np.float32), None, []))
    assert cat.vector_of(pid, "m4096", FEATURES).shape == (4096,)
    assert cat.vector_of(pid, "m2048", FEATURES).shape == (2048,)
    assert cat.tags_of([pid], "m4096") == {pid: [TagScore("cat", pytest.approx(0.9), 281)]}
    assert cat.count_indexed() == {"m4096": 1, "m2048": 1}
    with cat.transaction():
        cat.delete_photos([pid])
    assert cat.count_indexed() == {}  # vectors and tags go with the photo


def test_a_damaged_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    from cbir_desktop.engine.errors import CatalogueDamaged

    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogueDamaged, match="is damaged .* run `cbir repair`"):
        Catalogue(path)


def test_a_version_1_library_is_migrated_and_keeps_its_photos(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cat = Catalogue(path)
    with cat.transaction():
        cat.upsert_photo("/p/1.jpg", 1, 1, b"1", 1, 1)
    cat.db.executescript("DROP TABLE user_tags; DROP TABLE derived; PRAGMA user_version = 1;")  # as v1 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [1]  # the backup hook ran before anything changed
    assert cat.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    with cat.transaction():
        cat.set_user_tag(cat.photo_by_path("/p/1.jpg").id, "heron", True)
    assert cat.count_photos() == 1 and cat.integrity_ok()
