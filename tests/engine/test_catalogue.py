"""The SQLite catalogue: schema versions, paths as bytes, vectors kept per model."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from cbir_desktop.engine.errors import CatalogueTooNew
from cbir_desktop.engine.photos.pairs import raw_pairs_among
from cbir_desktop.engine.storage.catalogue import (
    FEATURES,
    SCHEMA_VERSION,
    Catalogue,
    PhotoVectors,
)
from cbir_desktop.engine.types import PhotoMetadata, TagScore


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
    cat.db.executescript("DROP TABLE user_tags; DROP TABLE derived; DROP TABLE tag_decisions; DROP TABLE metadata; "
                         "PRAGMA user_version = 1;")  # as v1 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [1]  # the backup hook ran before anything changed
    assert cat.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
    with cat.transaction():
        cat.set_user_tag(cat.photo_by_path("/p/1.jpg").id, "heron", True)
    assert cat.count_photos() == 1 and cat.integrity_ok()


def _user_tags_at(cat: Catalogue, photo_id: int, tags: dict[str, tuple[bool, float]]) -> None:
    cat.db.executemany("INSERT INTO user_tags(photo_id, tag, confirmed, changed_at) VALUES (?, ?, ?, ?)",
                       [(photo_id, tag, int(ok), at) for tag, (ok, at) in tags.items()])


def test_a_version_3_library_keeps_its_tags_by_content_after_migrating(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cat = Catalogue(path)
    with cat.transaction():
        one = cat.upsert_photo("/p/1.jpg", 1, 1, b"same", 1, 1)
        copy = cat.upsert_photo("/q/1.jpg", 1, 1, b"same", 1, 1)
        other = cat.upsert_photo("/p/2.jpg", 1, 1, b"other", 1, 1)
        unhashed = cat.upsert_photo("/p/3.jpg", 1, 1, b"", 1, 1)  # nothing to key a decision by
        _user_tags_at(cat, one, {"heron": (True, 10.0), "blue": (False, 10.0)})
        _user_tags_at(cat, copy, {"heron": (False, 20.0), "bird": (True, 5.0)})  # the later word wins
        _user_tags_at(cat, other, {"tram": (True, 1.0)})
        _user_tags_at(cat, unhashed, {"lost": (True, 1.0)})
    cat.db.executescript("DROP TABLE tag_decisions; DROP TABLE metadata; PRAGMA user_version = 3;")  # as v3 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [3] and cat.version == SCHEMA_VERSION == 11
    assert cat.decisions_of(b"same") == {"heron": False, "blue": False, "bird": True}
    assert cat.decisions_of(b"other") == {"tram": True}
    assert cat.db.execute("SELECT COUNT(*) FROM tag_decisions").fetchone()[0] == 4
    cat.remove_folder("/p")
    with cat.transaction():
        back = cat.upsert_photo("/p/1.jpg", 1, 2, b"same", 1, 1)
    assert cat.user_tags_of([back]) == {back: {"bird": True, "blue": False, "heron": False}}
    assert cat.integrity_ok()


def test_a_photo_whose_content_changed_takes_its_tags_to_the_new_content(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path / "c.sqlite")
    with cat.transaction():
        pid = cat.upsert_photo("/p/1.jpg", 1, 1, b"before", 1, 1)
        cat.set_user_tag(pid, "heron", True)
        cat.set_user_tag(pid, "blue", False)
        cat.add_file_keywords(pid, ["Blue", "Lisbon", " "])  # a rejection is not overridden
        cat.upsert_photo("/p/1.jpg", 2, 2, b"edited", 1, 1)  # edited in another program
    assert cat.decisions_of(b"edited") == cat.decisions_of(b"before") == {
        "blue": False, "heron": True, "lisbon": True}
    cat.remove_folder("/p")
    with cat.transaction():
        back = cat.upsert_photo("/p/1.jpg", 2, 2, b"edited", 1, 1)
    assert cat.user_tags_of([back])[back] == {"blue": False, "heron": True, "lisbon": True}


def test_a_version_4_library_gains_an_empty_metadata_table_after_its_backup(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cat = Catalogue(path)
    with cat.transaction():
        pid = cat.upsert_photo("/p/1.jpg", 1, 1, b"1", 4, 3)
    cat.db.executescript("DROP TABLE metadata; PRAGMA user_version = 4;")  # as v4 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [4] and cat.version == SCHEMA_VERSION == 11
    assert cat.metadata_of(pid) is None
    assert [row.id for row in cat.photos_needing_metadata("/p", 1)] == [pid]
    indexes = {r[0] for r in cat.db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'metadata' "
                                            "AND type = 'index'")}
    assert {"metadata_taken", "metadata_day", "metadata_camera", "metadata_lens", "metadata_place",
            "metadata_type"} <= indexes
    assert cat.integrity_ok()


def test_a_version_5_library_finds_its_raw_jpeg_pairs_when_it_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cat = Catalogue(path)
    with cat.transaction():
        jpeg = cat.upsert_photo("/p/IMG_1.JPG", 1, 1, b"1", 4, 3)
        raw = cat.upsert_photo("/p/img_1.CR2", 2, 1, b"2", 4, 3)
        cat.upsert_photo("/p/alone.nef", 3, 1, b"3", 4, 3)
        cat.upsert_photo("/q/IMG_1.CR2", 4, 1, b"4", 4, 3)  # another folder: not the JPEG's
    cat.db.executescript("DROP TABLE raw_pairs; PRAGMA user_version = 5;")  # as v5 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [5] and cat.version == SCHEMA_VERSION == 11
    assert cat.needs_raw_pairs() and not cat.has_raw_pairs()
    cat.replace_raw_pairs(None, raw_pairs_among(cat.photo_paths()))  # as the library's opener does
    assert cat.raw_pairs_of([jpeg]) == [(raw, jpeg)] and cat.has_raw_pairs()
    assert cat.newest_photos(None, 0, 10, hide_paired_raws=True) == [4, 3, 1]  # the paired RAW (2) is left out
    with cat.transaction():
        cat.delete_photos([jpeg])
    assert not cat.has_raw_pairs()  # a pair goes with either of its photos
    assert cat.integrity_ok()


def test_metadata_round_trips_goes_with_its_photo_and_is_read_again_for_a_newer_reader(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path / "c.sqlite")
    full = PhotoMetadata(
        taken_local="2019-07-14T18:03:21", taken_offset="+01:00", taken_utc=1563123801.5, taken_source="exif",
        make="Fujifilm", model="X100V", lens="23mm F2", focal_mm=23.0, aperture=2.0, exposure_s=0.004, iso=160,
        width=6240, height=4160, lat=43.4674, lon=11.8851, city="Arezzo", region="Tuscany", country="Italy",
        country_code="IT", file_type="JPEG", notes=("ISO 0 is out of range", "GPS 0,0 (a receiver without a fix)"))
    with cat.transaction():
        one = cat.upsert_photo("/p/1.jpg", 1, 1, b"1", 6240, 4160)
        two = cat.upsert_photo("/p/2.jpg", 1, 1, b"2", 1, 1)
        cat.store_metadata(one, full, reader=2)
        cat.store_metadata(two, PhotoMetadata(), reader=1)
    assert cat.metadata_of(one) == full
    assert cat.metadata_of(two) == PhotoMetadata()
    assert [row.id for row in cat.photos_needing_metadata("/p", 2)] == [two]  # an older reader's row
    assert cat.photos_needing_metadata("/q", 2) == []
    # The filters to come are plain SQL on an index.
    plan = " ".join(str(r) for r in cat.db.execute(
        "EXPLAIN QUERY PLAN SELECT photo_id FROM metadata WHERE country_code = ? AND city = ?", ("IT", "Arezzo")))
    assert "metadata_place" in plan
    with cat.transaction():
        cat.delete_photos([one])
    assert cat.metadata_of(one) is None
    assert cat.db.execute("SELECT COUNT(*) FROM metadata").fetchone()[0] == 1


def test_a_version_6_library_gets_the_face_tables_when_it_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cat = Catalogue(path)
    with cat.transaction():
        photo = cat.upsert_photo("/p/1.jpg", 1, 1, b"1", 4, 3)
        other = cat.upsert_photo("/p/2.jpg", 1, 1, b"2", 4, 3)
    cat.db.executescript("DROP TABLE face_rejections; DROP TABLE faces; DROP TABLE people; DROP TABLE faces_read; "
                         "PRAGMA user_version = 6;")  # as v6 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [6] and cat.version == SCHEMA_VERSION == 11
    blob = np.zeros(128, np.float32).tobytes()
    with cat.transaction():
        anna = cat.db.execute("INSERT INTO people(name) VALUES ('Anna') RETURNING id").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError):
            cat.db.execute("INSERT INTO people(name) VALUES ('anna')")  # names are unique whatever their case
        faces = [cat.db.execute("INSERT INTO faces(photo_id, x, y, w, h, score, landmarks, descriptor, person_id, "
                                "person_source) VALUES (?, .1, .2, .3, .4, 1.5, ?, ?, ?, 'user') RETURNING id",
                                (p, np.zeros(10, np.float32).tobytes(), blob, anna)).fetchone()[0]
                 for p in (photo, other)]
        cat.db.execute("INSERT INTO face_rejections(face_id, person_id) VALUES (?, ?)", (faces[1], anna))
        cat.db.execute("INSERT INTO faces_read(photo_id, reader, face_count) VALUES (?, 1, 1), (?, 1, 1)",
                       (photo, other))
        with pytest.raises(sqlite3.IntegrityError):
            cat.db.execute("UPDATE faces SET person_source = 'guess' WHERE id = ?", (faces[0],))
    with cat.transaction():
        cat.delete_photos([other])  # its face, its rejection and its read mark go with it
    assert cat.db.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 1
    assert cat.db.execute("SELECT COUNT(*) FROM face_rejections").fetchone()[0] == 0
    assert cat.db.execute("SELECT photo_id FROM faces_read").fetchall() == [(photo,)]
    with cat.transaction():
        cat.db.execute("DELETE FROM people WHERE id = ?", (anna,))  # a person deleted unnames their faces
    assert cat.db.execute("SELECT person_id FROM faces").fetchall() == [(None,)]
    with cat.transaction():
        cat.upsert_photo("/p/1.jpg", 2, 2, b"changed", 4, 3)  # new content: its faces are read again
    assert cat.db.execute("SELECT COUNT(*) FROM faces_read").fetchone()[0] == 0
    assert cat.integrity_ok()


def test_a_version_7_library_gets_the_signatures_table_whose_rows_leave_with_their_photo(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cat = Catalogue(path)
    with cat.transaction():
        photo = cat.upsert_photo("/p/1.jpg", 1, 1, b"1", 4, 3)
    cat.db.executescript("DROP TABLE signatures; PRAGMA user_version = 7;")  # as v7 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [7] and cat.version == SCHEMA_VERSION == 11
    with cat.transaction():
        cat.db.execute("INSERT INTO signatures(photo_id, reader, content_hash) VALUES (?, 1, ?)", (photo, b"1"))
    assert cat.db.execute("SELECT count(*) FROM signatures").fetchone()[0] == 1
    with cat.transaction():
        cat.delete_photos([photo])
    assert cat.db.execute("SELECT count(*) FROM signatures").fetchone()[0] == 0


def test_a_version_9_library_gets_the_text_index_folding_case_and_accents(tmp_path: Path) -> None:
    from cbir_desktop.engine.storage.text_rows import (
        forget_orphan_text,
        photos_needing_text,
        search_photo_text,
        store_text,
    )

    path = tmp_path / "c.sqlite"
    cat = Catalogue(path)
    with cat.transaction():
        photo = cat.upsert_photo("/p/1.jpg", 1, 1, b"1", 4, 3)
        other = cat.upsert_photo("/p/2.jpg", 1, 1, b"2", 4, 3)
    cat.db.executescript("DROP TABLE text_read; DROP TABLE photo_text; PRAGMA user_version = 9;")  # as v9 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [9] and cat.version == SCHEMA_VERSION == 11
    with cat.transaction():
        store_text(cat, photo, 1, True, "Crème Brûlée\nTOTAL 9.00")
        store_text(cat, other, 1, False, "")
    assert [m.photo_id for m in search_photo_text(cat, "creme brulee", 5)] == [photo]
    assert search_photo_text(cat, "BRÛL", 5)[0].snippet == "Crème [Brûlée] TOTAL 9.00"  # a prefix matches
    assert [m.photo_id for m in search_photo_text(cat, "9.00", 5)] == [photo]
    assert search_photo_text(cat, "9.50", 5) == [] and search_photo_text(cat, '" OR *', 5) == []
    assert photos_needing_text(cat, 1) == [] and len(photos_needing_text(cat, 2)) == 2  # a new reader reads all
    with cat.transaction():
        cat.upsert_photo("/p/2.jpg", 2, 2, b"changed", 4, 3)  # new content: its text is read again
    assert [pid for pid, _ in photos_needing_text(cat, 1)] == [other]
    with cat.transaction():
        cat.delete_photos([photo])
        forget_orphan_text(cat)
    assert search_photo_text(cat, "creme", 5) == []
    assert cat.integrity_ok()


def test_a_version_10_library_gets_the_colours_table_whose_rows_leave_with_their_photo(tmp_path: Path) -> None:
    from cbir_desktop.engine.storage.colour_rows import colour_descriptions, photos_needing_colours, store_colours

    path = tmp_path / "c.sqlite"
    cat = Catalogue(path)
    with cat.transaction():
        photo = cat.upsert_photo("/p/1.jpg", 1, 1, b"1", 4, 3)
        other = cat.upsert_photo("/p/2.jpg", 1, 1, b"2", 4, 3)
    cat.db.executescript("DROP TABLE photo_colours; PRAGMA user_version = 10;")  # as v10 wrote it
    cat.close()
    seen = []
    cat = Catalogue(path, before_migration=lambda db: seen.append(db.execute("PRAGMA user_version").fetchone()[0]))
    assert seen == [10] and cat.version == SCHEMA_VERSION == 11
    assert [pid for pid, _ in photos_needing_colours(cat, 1)] == [photo, other]  # the pass describes both
    with cat.transaction():
        store_colours(cat, photo, 1, np.arange(13, dtype=np.uint8))
    assert [pid for pid, _ in photos_needing_colours(cat, 1)] == [other]
    assert len(photos_needing_colours(cat, 2)) == 2  # a new rule describes every photo again
    ids, rows = colour_descriptions(cat, 13)
    assert ids.tolist() == [photo] and rows.tolist() == [list(range(13))]
    with cat.transaction():
        cat.delete_photos([photo])
    assert colour_descriptions(cat, 13)[0].tolist() == [] and cat.integrity_ok()
