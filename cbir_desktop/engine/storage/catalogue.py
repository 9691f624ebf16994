"""The SQLite catalogue: the source of truth for folders, photos, vectors, tags, failures.

Paths are stored as the file system's bytes (BLOB), so a file name that is not
valid UTF-8 is kept exactly and can be opened again. Vectors are float32 BLOBs,
one row per (photo, model, kind); `seq` grows on every write, which lets the
vector index tell which vectors it has not seen yet.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .. import faults
from ..errors import CatalogueDamaged, CatalogueTooNew
from ..types import Failure, Filters, PhotoMetadata, TagScore
from .filtering import ids_query, where_clause
from .vocabulary import Vocabulary, VocabularyCache

SCHEMA_VERSION = 11
FEATURES = "features"  # kind of vector: the image model's pooled features
WORDS = "words"  # kind of vector: the photo projected into word-vector space

_SCHEMA_V1 = """
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL UNIQUE,
    added_at REAL NOT NULL
);
CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash BLOB,
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    colour BLOB,
    indexed_at REAL NOT NULL
);
CREATE INDEX photos_size ON photos(size);
CREATE INDEX photos_hash ON photos(content_hash);
CREATE TABLE vectors (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    dim INTEGER NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (photo_id, model_id, kind)
);
CREATE INDEX vectors_model ON vectors(model_id, kind, seq);
CREATE TABLE tags (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    tag TEXT NOT NULL,
    score REAL NOT NULL,
    class_index INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (photo_id, model_id, rank)
);
CREATE TABLE failures (
    path BLOB PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    reason TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


_SCHEMA_V2 = """
CREATE TABLE user_tags (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    changed_at REAL NOT NULL,
    PRIMARY KEY (photo_id, tag)
);
"""


_SCHEMA_V3 = """
CREATE TABLE derived (
    name TEXT PRIMARY KEY,
    built_from INTEGER NOT NULL,
    detail TEXT NOT NULL,
    built_at REAL NOT NULL
);
"""
# `derived` records each file rebuilt from the catalogue (vector indexes, learned models)
# once it is complete: its name, the catalogue state it was built from (a vector `seq`)
# and what to check it against (size, count). A file without a matching row is partial
# or damaged and is rebuilt (engine/healing.py).


_SCHEMA_V4 = """
CREATE TABLE IF NOT EXISTS tag_decisions (
    content_hash BLOB NOT NULL,
    tag TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    changed_at REAL NOT NULL,
    PRIMARY KEY (content_hash, tag)
);
INSERT INTO tag_decisions(content_hash, tag, confirmed, changed_at)
SELECT p.content_hash, u.tag, u.confirmed, u.changed_at FROM user_tags u JOIN photos p ON p.id = u.photo_id
WHERE length(p.content_hash) > 0
ON CONFLICT(content_hash, tag) DO UPDATE SET confirmed = excluded.confirmed, changed_at = excluded.changed_at
WHERE excluded.changed_at > tag_decisions.changed_at
"""
# `tag_decisions` keeps the user's tags (confirmed, added, rejected) by the photo's content
# (`photos.content_hash`), not by its row: `user_tags` goes with a photo when its folder is
# removed, these stay, and a photo entering the catalogue with that content (the folder
# added again, a copy elsewhere) gets them back. The step fills it from `user_tags`; where
# copies disagree the latest decision wins. IF NOT EXISTS and the upsert let the step run
# again over a catalogue whose version number was set back. It keeps rowids (no WITHOUT
# ROWID): salvage copies tables by rowid range.


_SCHEMA_V5 = """
CREATE TABLE IF NOT EXISTS metadata (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    reader INTEGER NOT NULL,
    taken_local TEXT,
    taken_offset TEXT,
    taken_utc REAL,
    taken_source TEXT NOT NULL,
    make TEXT,
    model TEXT,
    lens TEXT,
    focal_mm REAL,
    aperture REAL,
    exposure_s REAL,
    iso INTEGER,
    width INTEGER,
    height INTEGER,
    lat REAL,
    lon REAL,
    city TEXT,
    region TEXT,
    country TEXT,
    country_code TEXT,
    file_type TEXT,
    notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS metadata_taken ON metadata(taken_utc);
CREATE INDEX IF NOT EXISTS metadata_day ON metadata(taken_local);
CREATE INDEX IF NOT EXISTS metadata_camera ON metadata(make, model);
CREATE INDEX IF NOT EXISTS metadata_lens ON metadata(lens);
CREATE INDEX IF NOT EXISTS metadata_place ON metadata(country_code, region, city);
CREATE INDEX IF NOT EXISTS metadata_type ON metadata(file_type)
"""
# `metadata` holds what each photo's own metadata says (types.PhotoMetadata), one row per photo,
# one column per field, so that the coming filters are plain SQL on an index: a date range on
# `taken_utc` (a timeline's order) or on `taken_local` (a day as the camera's clock said it:
# `taken_local >= '2019-07-14' AND taken_local < '2019-07-15'`), a camera on (make, model), a
# lens, a place on (country_code, region, city), a type on file_type. `reader` is the version
# of the reader that wrote the row: photos without a row, or with an older reader's, get one
# on the next indexing run without running the image model. `notes` are one per line. A new
# library and an old one migrated in place (after the usual backup) both start with none.

KEPT_FILTER_ANSWERS = 8  # filters whose photo ids a connection keeps until the catalogue changes

_SCHEMA_V6 = """
CREATE TABLE IF NOT EXISTS raw_pairs (
    raw_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    jpeg_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS raw_pairs_jpeg ON raw_pairs(jpeg_id)
"""
# `raw_pairs` links a RAW file to the JPEG beside it (same folder, same stem; storage/pairs.py),
# found from the paths at the end of each indexing run, so a search finds a hit's partner with
# one indexed query and a listing leaves the paired RAWs out with one subquery. Either photo
# leaving takes its link with it. Derived from `photos` (never backed up): whoever opens a
# catalogue this step upgraded fills it (`needs_raw_pairs`; handles.py), and a salvaged
# catalogue gets it on its next indexing run.

_SCHEMA_V7 = """
CREATE TABLE IF NOT EXISTS people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE IF NOT EXISTS faces (
    id INTEGER PRIMARY KEY,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    x REAL NOT NULL,
    y REAL NOT NULL,
    w REAL NOT NULL,
    h REAL NOT NULL,
    score REAL NOT NULL,
    landmarks BLOB NOT NULL,
    descriptor BLOB NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    person_source TEXT CHECK (person_source IN ('user', 'suggested', 'xmp')),
    cluster INTEGER
);
CREATE INDEX IF NOT EXISTS faces_photo ON faces(photo_id);
CREATE INDEX IF NOT EXISTS faces_person ON faces(person_id);
CREATE INDEX IF NOT EXISTS faces_cluster ON faces(cluster);
CREATE TABLE IF NOT EXISTS face_rejections (
    face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (face_id, person_id)
);
CREATE TABLE IF NOT EXISTS faces_read (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    reader INTEGER NOT NULL,
    face_count INTEGER NOT NULL
)
"""
# People (issue 13). `faces` holds each face the faces step found (engine/faces/): its box as
# fractions of the upright photo (x, y from the top left, w, h), the detector's score, the 5
# landmarks (float32[10], fractions too) and the 128-d descriptor (float32[128]). `person_id`
# names it, `person_source` says who did: 'user' (confirmed), 'suggested' (the app, waiting for
# a yes or no), 'xmp' (a face region read from the file); `cluster` is its automatic group.
# `people` are names, unique whatever their case. `face_rejections` are the user's "not Anna":
# that face is never suggested for that person again. `faces_read` says which photos the step
# has read with which reader version (and how many faces it found, 0 included), so a run resumes
# where the last stopped and a new reader reads them all again. Deleting a photo takes its
# faces, its rejections and its row in `faces_read`; deleting a person unnames their faces.

_SCHEMA_V8 = """
CREATE TABLE IF NOT EXISTS signatures (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    reader INTEGER NOT NULL,
    content_hash BLOB,
    pixel_hash BLOB,
    grey BLOB,
    grey_width INTEGER NOT NULL DEFAULT 0,
    dct BLOB,
    sharpness REAL
)
"""
# Duplicates (issue 14): what the checks of engine/culling/ read from a photo's pixels (its
# signature: a hash of the upright pixels, a small grey copy, the low DCT frequencies, a
# sharpness), worked out the first time a photo is a candidate and kept, with the content it
# was read from (`content_hash`: a changed file is read again) and the version of the reader
# (`reader`). An unreadable photo keeps a row without pixels, so it is not tried again until
# it changes. Derived from the files (never backed up); leaves with its photo.

_SCHEMA_V9 = """
CREATE TABLE IF NOT EXISTS pair_verdicts (
    a INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    b INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    cosine REAL NOT NULL,
    verdict TEXT NOT NULL,
    registered INTEGER NOT NULL,
    checks INTEGER NOT NULL,
    hash_a BLOB,
    hash_b BLOB,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pair_verdicts_b ON pair_verdicts(b);
CREATE TABLE IF NOT EXISTS neighbours_searched (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    searched_with TEXT NOT NULL,
    seq INTEGER NOT NULL,
    radius REAL NOT NULL
)
"""
# Duplicates kept between runs (issue 14). `pair_verdicts` holds every candidate pair (a < b)
# the "same" level found and checked: the vectors' cosine, the verdict ("" or how the pixel
# checks found the pair the same), whether the costly check for crops was allowed, the version
# of the checks and both photos' content hashes: a verdict is reused only while both files and
# the checks are unchanged. `neighbours_searched` says which photos had their nearest searched,
# how (model and search settings) and for which vector (`seq`), with the cosine of their
# farthest kept neighbour (`radius`): only photos without a current row are searched next time.
# Derived (never backed up); rows leave with their photos.

_SCHEMA_V10 = """
CREATE TABLE IF NOT EXISTS text_read (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    reader INTEGER NOT NULL,
    detected INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS photo_text USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS neighbours (
    model_id TEXT NOT NULL,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    neighbour_id INTEGER NOT NULL,
    similarity REAL NOT NULL,
    PRIMARY KEY (model_id, photo_id, neighbour_id)
);
CREATE INDEX IF NOT EXISTS neighbours_of ON neighbours(model_id, neighbour_id)
"""
# Text in photos (issue 15): `text_read` says which photos the OCR step has read with which
# reader version (engine/ocr/reader.py) and whether its detector pass saw text, so a run resumes
# where the last stopped. `photo_text` is the full-text index of what was recognised, its rowid
# the photo's id (case and diacritics folded). An FTS table takes no foreign key: searches join
# `text_read`, which leaves with its photo, and the step clears rows left without one.
# Look-alike search (issue 15): `neighbours` lists each photo's nearest photos per model, whose
# similarity-weighted mean is its augmented vector (vectors/neighbours.py); derived, never backed up.

_SCHEMA_V11 = """
CREATE TABLE IF NOT EXISTS photo_colours (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    rule INTEGER NOT NULL,
    description BLOB NOT NULL
)
"""
# Colour words in text search (issue 15): each photo's colour description (photos/colour_terms.py:
# 13 bytes, how much of it is each basic colour term, its chroma and hue spread) and the rule
# version that computed it. Derived (never backed up): indexing fills it for the photos it
# embeds, the colour pass (indexing/colours_step.py) for those a library held before.

MIGRATIONS = ((1, _SCHEMA_V1), (2, _SCHEMA_V2), (3, _SCHEMA_V3), (4, _SCHEMA_V4), (5, _SCHEMA_V5),
              (6, _SCHEMA_V6), (7, _SCHEMA_V7), (8, _SCHEMA_V8), (9, _SCHEMA_V9), (10, _SCHEMA_V10),
              (11, _SCHEMA_V11))
PAIRS_STEP = 6  # the step after which an existing library's RAW+JPEG pairs are found
PAIRED_RAWS = "SELECT raw_id FROM raw_pairs"  # the RAWs a listing shows as their JPEG
METADATA_FIELDS = (
    "taken_local", "taken_offset", "taken_utc", "taken_source", "make", "model", "lens", "focal_mm",
    "aperture", "exposure_s", "iso", "width", "height", "lat", "lon", "city", "region", "country",
    "country_code", "file_type",
)


def encode_path(path: str) -> bytes:
    """A path as the file system's bytes (lossless for undecodable names)."""
    return os.fsencode(path)


def decode_path(blob: bytes) -> str:
    return os.fsdecode(bytes(blob))


def prefix_range(folder: str) -> tuple[bytes, bytes]:
    """Byte range [low, high) holding every path below `folder` (no LIKE escaping needed)."""
    low = encode_path(os.path.join(folder, ""))
    return low, low[:-1] + bytes([low[-1] + 1])


@dataclass(frozen=True)
class PhotoRow:
    id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: bytes | None
    width: int
    height: int
    taken_utc: float | None = None  # capture time from the metadata (photos_by_ids only; None: unknown)


@dataclass(frozen=True)
class PhotoVectors:
    """Vectors of one model for one photo, ready to store."""

    features: npt.NDArray[np.float32]
    words: npt.NDArray[np.float32] | None
    tags: Sequence[TagScore]


class Catalogue:
    """One SQLite connection to a library's catalogue (one per thread)."""

    def __init__(self, path: Path, readonly: bool = False, immutable: bool = False,
                 before_migration: Callable[[sqlite3.Connection], object] | None = None) -> None:
        """`readonly` opens for reading only; `immutable` also tells SQLite nothing can change
        the file (read-only media, where it could not even create its WAL index).
        `before_migration` runs (a backup) before an existing catalogue's schema changes."""
        self.path = Path(path)
        self.migrated_from: int | None = None  # the schema version this connection upgraded, if any
        mode = "?mode=ro&immutable=1" if immutable else "?mode=ro" if readonly else ""
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one per batch.
        self.db = sqlite3.connect(f"file:{uri_path(self.path)}{mode}", uri=True, timeout=30.0,
                                  isolation_level=None, check_same_thread=False)
        try:
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("PRAGMA foreign_keys = ON")
            if not (readonly or immutable):
                self.db.execute("PRAGMA journal_mode = WAL")
                # NORMAL in WAL mode is durable across application crashes; a power
                # cut can lose the last batch, which the next run simply redoes.
                self.db.execute("PRAGMA synchronous = NORMAL")
                self._migrate(before_migration)
            else:
                self._check_version()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise CatalogueDamaged(str(self.path), str(exc)) from exc
        self._vocabulary = VocabularyCache(self.db, self.change_marker)
        self._filter_answers: dict[tuple[Filters, tuple[int, int]], npt.NDArray[np.int64]] = {}

    def close(self) -> None:
        self.db.close()

    # -- schema ---------------------------------------------------------------
    def _check_version(self) -> int:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise CatalogueTooNew(version, SCHEMA_VERSION)
        return version

    def _migrate(self, before: Callable[[sqlite3.Connection], object] | None) -> None:
        version = self._check_version()
        if version == SCHEMA_VERSION:
            return
        if version >= 1 and before is not None:
            before(self.db)
        # Each step commits on its own, so a crash mid-migration leaves the previous
        # version intact and the next open carries on from there.
        for step, script in MIGRATIONS:
            if version < step:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in statements(script):
                        self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {step}")
                    faults.reached("commit:migrate")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")
        self.migrated_from = version

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def transaction(self, label: str = "write") -> _Transaction:
        """`with catalogue.transaction("batch"):` commits on success, rolls back on error;
        the label names the write point for fault injection (engine/faults.py)."""
        return _Transaction(self.db, label)

    def integrity_ok(self) -> bool:
        return not self.problems(quick=False)

    def problems(self, quick: bool = True) -> list[str]:
        """What SQLite's integrity check finds ([] when sound); `quick` skips index contents."""
        pragma = "quick_check" if quick else "integrity_check"
        try:
            rows = [str(r[0]) for r in self.db.execute(f"PRAGMA {pragma}(20)")]
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        return [] if rows == ["ok"] else rows

    def work_stamp(self) -> str:
        """A cheap fingerprint of the user's work (folders, photos, tags): backups follow its changes."""
        row = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM folders), (SELECT COUNT(*) FROM photos), (SELECT MAX(id) FROM photos), "
            "(SELECT COUNT(*) FROM user_tags), (SELECT MAX(changed_at) FROM user_tags)").fetchone()
        return ":".join(str(v) for v in row)

    # -- derived files ----------------------------------------------------------
    def record_derived(self, name: str, built_from: int, detail: dict[str, object]) -> None:
        """Record that derived file(s) `name` are complete, built from catalogue state `built_from`."""
        with self.transaction("derived"):
            self.db.execute(
                "INSERT INTO derived(name, built_from, detail, built_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET built_from = excluded.built_from, "
                "detail = excluded.detail, built_at = excluded.built_at",
                (name, built_from, json.dumps(detail, sort_keys=True), time.time()),
            )

    def forget_derived(self, name: str) -> None:
        """Mark derived file(s) as being rebuilt: until recorded again they count as partial."""
        with self.transaction("derived"):
            self.db.execute("DELETE FROM derived WHERE name = ?", (name,))

    def derived_names(self, prefix: str) -> list[str]:
        """Names of derived records starting with `prefix`."""
        try:
            rows = self.db.execute("SELECT name FROM derived WHERE substr(name, 1, ?) = ?", (len(prefix), prefix))
        except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
            return []
        return [str(r[0]) for r in rows]

    def clear_derived(self) -> None:
        """Forget every derived record: the next heal rebuilds every derived file."""
        with self.transaction("derived"):
            self.db.execute("DELETE FROM derived")

    def kinds_of(self, model_id: str) -> list[tuple[str, int]]:
        """The kinds of vector stored for a model, with their dimension."""
        kinds = [str(r[0]) for r in self.db.execute(
            "SELECT DISTINCT kind FROM vectors WHERE model_id = ?", (model_id,))]
        found = []
        for kind in kinds:
            row = self.db.execute("SELECT dim FROM vectors WHERE model_id = ? AND kind = ? LIMIT 1",
                                  (model_id, kind)).fetchone()
            found.append((kind, int(row[0])))
        return found

    def derived(self, name: str) -> tuple[int, dict[str, object]] | None:
        """(built_from, detail) of a complete derived file, or None (never built, or partial)."""
        try:
            row = self.db.execute("SELECT built_from, detail FROM derived WHERE name = ?", (name,)).fetchone()
        except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
            return None
        return (int(row[0]), json.loads(row[1])) if row else None

    # -- settings ---------------------------------------------------------------
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- folders ----------------------------------------------------------------
    def add_folder(self, folder: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)",
            (encode_path(folder), time.time()),
        )

    def remove_folder(self, folder: str) -> int:
        """Forget a folder and every photo below it; returns photos removed. The user's tag
        decisions stay (`tag_decisions`, by content) for when the photos come back."""
        low, high = prefix_range(folder)
        with self.transaction("folders"):
            self.db.execute("DELETE FROM folders WHERE path = ?", (encode_path(folder),))
            cur = self.db.execute("DELETE FROM photos WHERE path >= ? AND path < ?", (low, high))
            self.db.execute("DELETE FROM failures WHERE path >= ? AND path < ?", (low, high))
        return cur.rowcount

    def count_photos_under(self, folder: str) -> int:
        """How many photos `remove_folder(folder)` would drop."""
        low, high = prefix_range(folder)
        row = self.db.execute("SELECT COUNT(*) FROM photos WHERE path >= ? AND path < ?", (low, high)).fetchone()
        return int(row[0])

    def folders(self) -> list[str]:
        return [decode_path(r[0]) for r in self.db.execute("SELECT path FROM folders ORDER BY path")]

    # -- photos -----------------------------------------------------------------
    def photos_under(self, folder: str) -> dict[str, PhotoRow]:
        """Every catalogued photo below `folder`, by path."""
        low, high = prefix_range(folder)
        rows = self.db.execute(
            "SELECT id, path, size, mtime_ns, content_hash, width, height FROM photos "
            "WHERE path >= ? AND path < ?",
            (low, high),
        )
        return {decode_path(r[1]): PhotoRow(r[0], decode_path(r[1]), *r[2:]) for r in rows}

    def newest_photos(self, folder: str | None, offset: int, limit: int, hide_paired_raws: bool = False) -> list[int]:
        """One page of photo ids, newest file first (ties: newest row first), all or below `folder`;
        `hide_paired_raws` leaves out the RAWs that have a JPEG beside them (shown as that JPEG)."""
        # No index on mtime_ns: SQLite keeps only the top offset+limit rows while it scans,
        # which takes tens of milliseconds on 100k photos (and a folder's range uses the path index).
        where, params = ("path >= ? AND path < ?", prefix_range(folder)) if folder is not None else ("1", ())
        if not (hide_paired_raws and self.has_raw_pairs()):
            rows = self.db.execute(f"SELECT id FROM photos WHERE {where} ORDER BY mtime_ns DESC, id DESC "
                                   "LIMIT ? OFFSET ?", (*params, limit, offset))
            return [int(r[0]) for r in rows]
        # The paired RAWs are left out of the newest `window` rows, not tested on every row while
        # the whole table is scanned: bench/pairs.py, 100k photos with 33k pairs, a first page took
        # 35 ms that way against 18 ms unpaired. A window holding fewer than offset+limit photos
        # to show doubles until it does, or holds every row.
        window = 2 * (offset + limit)
        while True:
            ids = [int(r[0]) for r in self.db.execute(
                f"SELECT id FROM (SELECT id, mtime_ns FROM photos WHERE {where} ORDER BY mtime_ns DESC, id DESC "
                f"LIMIT ?) WHERE id NOT IN ({PAIRED_RAWS}) ORDER BY mtime_ns DESC, id DESC LIMIT ? OFFSET ?",
                (*params, window, limit, offset))]
            if len(ids) == limit or self._rows_within(where, params, window) < window:
                return ids
            window *= 2

    def _rows_within(self, where: str, params: tuple[bytes, ...], most: int) -> int:
        """How many photos match `where`, counted up to `most`."""
        row = self.db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM photos WHERE {where} LIMIT ?)",
                              (*params, most)).fetchone()
        return int(row[0])

    def filtered_photos(self, filters: Filters, offset: int = 0, limit: int | None = None,
                        hide_paired_raws: bool = False) -> list[int]:
        """Ids of the photos `filters` allow, newest taken first (the file's time where the photo
        has no capture time); `limit` of them from `offset`, or all. `hide_paired_raws` leaves out
        the RAWs whose JPEG `filters` allow too (shown as that JPEG)."""
        where, params = where_clause(filters, self.vocabulary())
        page = " LIMIT ? OFFSET ?" if limit is not None else ""
        hide, hide_params = "", []
        if hide_paired_raws and self.has_raw_pairs():
            # The subquery's own `p` and `m` (the JPEG's) shadow the outer ones.
            hide = (" AND p.id NOT IN (SELECT c.raw_id FROM raw_pairs c JOIN photos p ON p.id = c.jpeg_id "
                    f"LEFT JOIN metadata m ON m.photo_id = p.id WHERE {where})")
            hide_params = params
        rows = self.db.execute(
            f"SELECT p.id FROM photos p LEFT JOIN metadata m ON m.photo_id = p.id WHERE {where}{hide} "
            f"ORDER BY coalesce(m.taken_utc, p.mtime_ns / 1e9) DESC, p.id DESC{page}",
            (*params, *hide_params, *((limit, offset) if limit is not None else ())))
        return [int(r[0]) for r in rows]

    def filter_ids(self, filters: Filters) -> npt.NDArray[np.int64]:
        """Ids of the photos `filters` allow, in no particular order: what a filtered search
        ranks. An index drives the query (milliseconds for a narrow filter at 100k photos);
        the last few filters' answers are kept until the catalogue changes, since a person
        keeps a filter while changing what they search for."""
        key = (filters, self.change_marker())
        found = self._filter_answers.get(key)
        if found is None:
            found = self._filter_ids(filters, self.vocabulary())
            found.setflags(write=False)
            self._filter_answers[key] = found
            while len(self._filter_answers) > KEPT_FILTER_ANSWERS:
                self._filter_answers.pop(next(iter(self._filter_answers)))
        return found

    def _filter_ids(self, filters: Filters, vocabulary: Vocabulary) -> npt.NDArray[np.int64]:
        sql, params = ids_query(filters, vocabulary)
        return np.fromiter((r[0] for r in self.db.execute(sql, params)), dtype=np.int64)

    def change_marker(self) -> tuple[int, int]:
        """Changes when anything was written: by another connection (SQLite's data_version)
        or by this one. What is derived from the catalogue is read again only then."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0]), self.db.total_changes

    def vocabulary(self) -> Vocabulary:
        """The distinct places, cameras and lenses the library's photos were taken in and with."""
        try:
            return self._vocabulary.get()
        except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
            return Vocabulary((), (), ())

    def photo_by_path(self, path: str) -> PhotoRow | None:
        r = self.db.execute(
            "SELECT id, path, size, mtime_ns, content_hash, width, height FROM photos WHERE path = ?",
            (encode_path(path),),
        ).fetchone()
        return PhotoRow(r[0], decode_path(r[1]), *r[2:]) if r else None

    def photo_ids_with_vectors(self, model_id: str) -> set[int]:
        rows = self.db.execute(
            "SELECT photo_id FROM vectors WHERE model_id = ? AND kind = ?", (model_id, FEATURES)
        )
        return {r[0] for r in rows}

    def count_photos(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM photos").fetchone()[0])

    def count_indexed(self) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT model_id, COUNT(*) FROM vectors WHERE kind = ? GROUP BY model_id", (FEATURES,)
        )
        return {r[0]: int(r[1]) for r in rows}

    def upsert_photo(
        self, path: str, size: int, mtime_ns: int, content_hash: bytes, width: int, height: int,
        colour: npt.NDArray[np.float32] | None = None,
    ) -> int:
        """Insert or update a photo row; returns its id (stable across updates). The user's
        decisions on this content apply to it (see `_merge_decisions`)."""
        blob = colour.astype(np.float16).tobytes() if colour is not None else None
        before = self.db.execute("SELECT id, content_hash FROM photos WHERE path = ?", (encode_path(path),)).fetchone()
        if before is not None and before[1] != content_hash:  # new content: its faces are read again
            self.db.execute("DELETE FROM faces WHERE photo_id = ?", (before[0],))
            self.db.execute("DELETE FROM faces_read WHERE photo_id = ?", (before[0],))
            self.db.execute("DELETE FROM text_read WHERE photo_id = ?", (before[0],))  # and its text
        row = self.db.execute(
            "INSERT INTO photos(path, size, mtime_ns, content_hash, width, height, colour, indexed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size = excluded.size, "
            "mtime_ns = excluded.mtime_ns, content_hash = excluded.content_hash, "
            "width = excluded.width, height = excluded.height, colour = excluded.colour, "
            "indexed_at = excluded.indexed_at RETURNING id",
            (encode_path(path), size, mtime_ns, content_hash, width, height, blob, time.time()),
        ).fetchone()
        self.db.execute("DELETE FROM failures WHERE path = ?", (encode_path(path),))
        self._merge_decisions(int(row[0]), content_hash)
        return int(row[0])

    def _merge_decisions(self, photo_id: int, content_hash: bytes | None) -> None:
        """Bring a photo's tags and the decisions on its content together, the latest word on
        each tag winning: decisions made on this content (here, on a copy, or in a folder since
        removed) apply to the photo, and the photo's own tags follow it to new content (a file
        edited in another program keeps its tags across a folder's removal)."""
        if not content_hash:
            return
        self.db.execute(
            "INSERT INTO tag_decisions(content_hash, tag, confirmed, changed_at) "
            "SELECT ?, tag, confirmed, changed_at FROM user_tags WHERE photo_id = ? "
            "ON CONFLICT(content_hash, tag) DO UPDATE SET confirmed = excluded.confirmed, "
            "changed_at = excluded.changed_at WHERE excluded.changed_at > tag_decisions.changed_at",
            (content_hash, photo_id),
        )
        self.db.execute(
            "INSERT INTO user_tags(photo_id, tag, confirmed, changed_at) "
            "SELECT ?, tag, confirmed, changed_at FROM tag_decisions WHERE content_hash = ? "
            "ON CONFLICT(photo_id, tag) DO UPDATE SET confirmed = excluded.confirmed, "
            "changed_at = excluded.changed_at WHERE excluded.changed_at > user_tags.changed_at",
            (photo_id, content_hash),
        )

    def move_photo(self, photo_id: int, new_path: str, mtime_ns: int) -> None:
        """A renamed or moved file keeps its id, vectors and tags."""
        self.db.execute(
            "UPDATE photos SET path = ?, mtime_ns = ? WHERE id = ?",
            (encode_path(new_path), mtime_ns, photo_id),
        )

    def delete_photos(self, photo_ids: Iterable[int]) -> int:
        ids = [(i,) for i in photo_ids]
        self.db.executemany("DELETE FROM photos WHERE id = ?", ids)
        return len(ids)

    def photos_by_ids(self, ids: Sequence[int]) -> dict[int, PhotoRow]:
        if not ids:
            return {}
        found: dict[int, PhotoRow] = {}
        for chunk in _chunks(list(ids), 900):
            marks = ",".join("?" * len(chunk))
            for r in self.db.execute(  # with the capture time, for hits sorted by date
                f"SELECT p.id, p.path, p.size, p.mtime_ns, p.content_hash, p.width, p.height, m.taken_utc "
                f"FROM photos p LEFT JOIN metadata m ON m.photo_id = p.id WHERE p.id IN ({marks})",
                chunk,
            ):
                found[r[0]] = PhotoRow(r[0], decode_path(r[1]), *r[2:])
        return found

    def colours_of(self, photo_ids: Sequence[int]) -> dict[int, npt.NDArray[np.float32]]:
        """Colour signatures (see `decode.colour_signature`) of the given photos."""
        found: dict[int, npt.NDArray[np.float32]] = {}
        for chunk in _chunks(list(photo_ids), 900):
            marks = ",".join("?" * len(chunk))
            for photo_id, blob in self.db.execute(
                f"SELECT id, colour FROM photos WHERE colour IS NOT NULL AND id IN ({marks})", chunk
            ):
                found[photo_id] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return found

    # -- RAW+JPEG pairs ---------------------------------------------------------------
    def needs_raw_pairs(self) -> bool:
        """Whether this connection upgraded a library from before RAW+JPEG pairs were kept: its
        opener finds them (`replace_raw_pairs`), as each indexing run does for its folders."""
        return self.migrated_from is not None and 1 <= self.migrated_from < PAIRS_STEP

    def photo_paths(self, folder: str | None = None) -> list[tuple[int, str]]:
        """(id, path) of every photo below `folder` (None: all)."""
        if folder is None:
            rows = self.db.execute("SELECT id, path FROM photos")
        else:
            rows = self.db.execute("SELECT id, path FROM photos WHERE path >= ? AND path < ?", prefix_range(folder))
        return [(int(r[0]), decode_path(r[1])) for r in rows]

    def replace_raw_pairs(self, folder: str | None, pairs: Iterable[tuple[int, int]]) -> None:
        """Make (raw_id, jpeg_id) `pairs` the links of the photos below `folder` (None: all), in
        one transaction (photos/pairs.py finds them from `photo_paths`). A photo's removal takes
        its link at once; moves and new files wait for this."""
        params: tuple[bytes, ...]
        below, params = "", ()
        if folder is not None:
            low, high = prefix_range(folder)
            below, params = " WHERE path >= ? AND path < ?", (low, high, low, high)
        with self.transaction("pairs"):
            self.db.execute(f"DELETE FROM raw_pairs WHERE raw_id IN (SELECT id FROM photos{below}) "
                            f"OR jpeg_id IN (SELECT id FROM photos{below})", params)
            self.db.executemany("INSERT OR REPLACE INTO raw_pairs(raw_id, jpeg_id) VALUES (?, ?)", pairs)

    def has_raw_pairs(self) -> bool:
        """Whether any RAW has a JPEG beside it (False on a catalogue opened read-only before
        the pairs' migration)."""
        try:
            return bool(self.db.execute("SELECT EXISTS (SELECT 1 FROM raw_pairs)").fetchone()[0])
        except sqlite3.OperationalError:
            return False

    def raw_pairs_of(self, photo_ids: Sequence[int]) -> list[tuple[int, int]]:
        """(raw_id, jpeg_id) of the pairs that any of `photo_ids` belongs to."""
        if not photo_ids or not self.has_raw_pairs():
            return []
        found: set[tuple[int, int]] = set()
        for chunk in _chunks(list(photo_ids), 450):
            marks = ",".join("?" * len(chunk))
            found.update((int(r[0]), int(r[1])) for r in self.db.execute(
                f"SELECT raw_id, jpeg_id FROM raw_pairs WHERE raw_id IN ({marks}) OR jpeg_id IN ({marks})",
                (*chunk, *chunk)))
        return sorted(found)

    # -- vectors and tags ---------------------------------------------------------
    def store_vectors(self, photo_id: int, model_id: str, vectors: PhotoVectors) -> None:
        """Replace a photo's vectors and tags for one model (new `seq` values)."""
        rows = [(photo_id, model_id, FEATURES, vectors.features.shape[0],
                 vectors.features.astype(np.float32).tobytes())]
        if vectors.words is not None:
            rows.append((photo_id, model_id, WORDS, vectors.words.shape[0],
                         vectors.words.astype(np.float32).tobytes()))
        self.db.execute(
            "DELETE FROM vectors WHERE photo_id = ? AND model_id = ?", (photo_id, model_id)
        )
        self.db.executemany(
            "INSERT INTO vectors(photo_id, model_id, kind, dim, data) VALUES (?, ?, ?, ?, ?)", rows
        )
        self.db.execute("DELETE FROM tags WHERE photo_id = ? AND model_id = ?", (photo_id, model_id))
        self.db.executemany(
            "INSERT INTO tags(photo_id, model_id, rank, tag, score, class_index) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(photo_id, model_id, rank, t.tag, t.score, t.index) for rank, t in enumerate(vectors.tags)],
        )

    def vector_of(self, photo_id: int, model_id: str, kind: str) -> npt.NDArray[np.float32] | None:
        row = self.db.execute(
            "SELECT data FROM vectors WHERE photo_id = ? AND model_id = ? AND kind = ?",
            (photo_id, model_id, kind),
        ).fetchone()
        return np.frombuffer(row[0], dtype=np.float32) if row else None

    def iter_vectors(
        self, model_id: str, kind: str, after_seq: int = 0
    ) -> Iterator[tuple[int, int, npt.NDArray[np.float32]]]:
        """Yield (seq, photo_id, vector) for one model and kind, oldest first."""
        rows = self.db.execute(
            "SELECT seq, photo_id, data FROM vectors WHERE model_id = ? AND kind = ? AND seq > ? "
            "ORDER BY seq",
            (model_id, kind, after_seq),
        )
        for seq, photo_id, data in rows:
            yield seq, photo_id, np.frombuffer(data, dtype=np.float32)

    def photos_missing_kind(self, model_id: str, kind: str) -> list[int]:
        """Photos with features for `model_id` but no vector of `kind` yet."""
        rows = self.db.execute(
            "SELECT f.photo_id FROM vectors f WHERE f.model_id = ? AND f.kind = ? AND NOT EXISTS "
            "(SELECT 1 FROM vectors w WHERE w.photo_id = f.photo_id AND w.model_id = f.model_id "
            "AND w.kind = ?)",
            (model_id, FEATURES, kind),
        )
        return [r[0] for r in rows]

    def store_kind(self, model_id: str, kind: str, vectors: dict[int, npt.NDArray[np.float32]]) -> None:
        """Add one extra kind of vector (e.g. words in another space) to photos."""
        self.db.executemany(
            "INSERT OR REPLACE INTO vectors(photo_id, model_id, kind, dim, data) VALUES (?, ?, ?, ?, ?)",
            [(pid, model_id, kind, v.shape[0], v.astype(np.float32).tobytes()) for pid, v in vectors.items()],
        )

    def vectors_of(self, photo_ids: Sequence[int], model_id: str, kind: str) -> dict[int, npt.NDArray[np.float32]]:
        """Vectors of one kind for the given photos (absent: none stored)."""
        found: dict[int, npt.NDArray[np.float32]] = {}
        for chunk in _chunks(list(photo_ids), 900):
            marks = ",".join("?" * len(chunk))
            for photo_id, data in self.db.execute(
                f"SELECT photo_id, data FROM vectors WHERE model_id = ? AND kind = ? AND photo_id IN ({marks})",
                (model_id, kind, *chunk),
            ):
                found[photo_id] = np.frombuffer(data, dtype=np.float32)
        return found

    def indexed_paths(self, model_id: str) -> list[tuple[int, str]]:
        """(photo id, path) of every photo with features for `model_id`."""
        rows = self.db.execute(
            "SELECT p.id, p.path FROM photos p JOIN vectors v ON v.photo_id = p.id "
            "WHERE v.model_id = ? AND v.kind = ?",
            (model_id, FEATURES),
        )
        return [(r[0], decode_path(r[1])) for r in rows]

    def delete_kind(self, model_id: str, kind: str) -> None:
        self.db.execute("DELETE FROM vectors WHERE model_id = ? AND kind = ?", (model_id, kind))

    def max_seq(self, model_id: str, kind: str) -> int:
        row = self.db.execute(
            "SELECT MAX(seq) FROM vectors WHERE model_id = ? AND kind = ?", (model_id, kind)
        ).fetchone()
        return int(row[0] or 0)

    def count_vectors(self, model_id: str, kind: str, after_seq: int = 0) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM vectors WHERE model_id = ? AND kind = ? AND seq > ?",
            (model_id, kind, after_seq),
        ).fetchone()
        return int(row[0])

    def seqs_of(self, model_id: str, kind: str, photo_ids: Sequence[int]) -> dict[int, int]:
        """Current vector `seq` of each photo (absent: no vector any more)."""
        found: dict[int, int] = {}
        for chunk in _chunks(list(photo_ids), 900):
            marks = ",".join("?" * len(chunk))
            for photo_id, seq in self.db.execute(
                f"SELECT photo_id, seq FROM vectors WHERE model_id = ? AND kind = ? "
                f"AND photo_id IN ({marks})",
                (model_id, kind, *chunk),
            ):
                found[photo_id] = seq
        return found

    def tags_of(self, photo_ids: Sequence[int], model_id: str) -> dict[int, list[TagScore]]:
        """Each photo's stored tags for one model, best first."""
        found: dict[int, list[TagScore]] = {}
        for chunk in _chunks(list(photo_ids), 900):
            marks = ",".join("?" * len(chunk))
            for photo_id, tag, score, index in self.db.execute(
                f"SELECT photo_id, tag, score, class_index FROM tags WHERE model_id = ? "
                f"AND photo_id IN ({marks}) ORDER BY photo_id, rank",
                (model_id, *chunk),
            ):
                found.setdefault(photo_id, []).append(TagScore(tag, score, index))
        return found

    # -- the user's own tags -------------------------------------------------------------
    def set_user_tag(self, photo_id: int, tag: str, confirmed: bool) -> None:
        """Confirm (or add) a tag, or reject one, on the photo and on its content; the latest
        word wins."""
        now = time.time()
        self.db.execute(
            "INSERT INTO user_tags(photo_id, tag, confirmed, changed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(photo_id, tag) DO UPDATE SET confirmed = excluded.confirmed, "
            "changed_at = excluded.changed_at",
            (photo_id, tag, int(confirmed), now),
        )
        self.db.execute(
            "INSERT INTO tag_decisions(content_hash, tag, confirmed, changed_at) "
            "SELECT content_hash, ?, ?, ? FROM photos WHERE id = ? AND length(content_hash) > 0 "
            "ON CONFLICT(content_hash, tag) DO UPDATE SET confirmed = excluded.confirmed, "
            "changed_at = excluded.changed_at",
            (tag, int(confirmed), now, photo_id),
        )

    def clear_user_tag(self, photo_id: int, tag: str) -> None:
        """Take back any decision on a tag: the photo has neither confirmed nor rejected it.
        Its content keeps the latest decision still held by a copy of it, if any."""
        self.db.execute("DELETE FROM user_tags WHERE photo_id = ? AND tag = ?", (photo_id, tag))
        row = self.db.execute("SELECT content_hash FROM photos WHERE id = ? AND length(content_hash) > 0",
                              (photo_id,)).fetchone()
        if row is None:
            return
        self.db.execute("DELETE FROM tag_decisions WHERE content_hash = ? AND tag = ?", (row[0], tag))
        self.db.execute(
            "INSERT INTO tag_decisions(content_hash, tag, confirmed, changed_at) "
            "SELECT p.content_hash, u.tag, u.confirmed, u.changed_at FROM user_tags u "
            "JOIN photos p ON p.id = u.photo_id WHERE p.content_hash = ? AND u.tag = ? "
            "ORDER BY u.changed_at DESC LIMIT 1",
            (row[0], tag),
        )

    def set_user_tags(self, states: Iterable[tuple[int, str, bool | None]]) -> None:
        """Put (photo, tag) in a given state: confirmed (True), rejected (False) or no decision
        (None); undo and redo of tag edits."""
        for photo_id, tag, state in states:
            if state is None:
                self.clear_user_tag(photo_id, tag)
            else:
                self.set_user_tag(photo_id, tag, state)

    def add_file_keywords(self, photo_id: int, keywords: Iterable[str]) -> None:
        """Keywords found in the file or its sidecar count as confirmed tags (of the photo and
        its content), but never override a choice the user made in the app (a rejected keyword
        stays rejected, even one rejected before the photo's folder was removed and added again:
        `upsert_photo` has applied the decisions on its content by now)."""
        now = time.time()
        words = sorted({word.strip().lower() for word in keywords if word.strip()})
        self.db.executemany(
            "INSERT OR IGNORE INTO user_tags(photo_id, tag, confirmed, changed_at) VALUES (?, ?, 1, ?)",
            [(photo_id, word, now) for word in words],
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO tag_decisions(content_hash, tag, confirmed, changed_at) "
            "SELECT content_hash, ?, 1, ? FROM photos WHERE id = ? AND length(content_hash) > 0",
            [(word, now, photo_id) for word in words],
        )

    def user_tags_of(self, photo_ids: Sequence[int]) -> dict[int, dict[str, bool]]:
        """Each photo's user tags: tag -> confirmed (True) or rejected (False)."""
        found: dict[int, dict[str, bool]] = {}
        for chunk in _chunks(list(photo_ids), 900):
            marks = ",".join("?" * len(chunk))
            for photo_id, tag, confirmed in self.db.execute(
                f"SELECT photo_id, tag, confirmed FROM user_tags WHERE photo_id IN ({marks}) ORDER BY tag",
                chunk,
            ):
                found.setdefault(photo_id, {})[tag] = bool(confirmed)
        return found

    def decisions_of(self, content_hash: bytes) -> dict[str, bool]:
        """The user's decisions on a photo's content: tag -> confirmed (True) or rejected (False)."""
        rows = self.db.execute("SELECT tag, confirmed FROM tag_decisions WHERE content_hash = ? ORDER BY tag",
                               (content_hash,))
        return {str(tag): bool(confirmed) for tag, confirmed in rows}

    # -- photo metadata -------------------------------------------------------------------
    def store_metadata(self, photo_id: int, metadata: PhotoMetadata, reader: int) -> None:
        """Replace a photo's metadata row; `reader` is the version of the reader that read it."""
        values = [getattr(metadata, name) for name in METADATA_FIELDS]
        self.db.execute(
            f"INSERT OR REPLACE INTO metadata(photo_id, reader, {', '.join(METADATA_FIELDS)}, notes) "
            f"VALUES (?, ?, {', '.join('?' * len(METADATA_FIELDS))}, ?)",
            (photo_id, reader, *values, "\n".join(metadata.notes)),
        )

    def metadata_of(self, photo_id: int) -> PhotoMetadata | None:
        """A photo's stored metadata, or None when it has none yet."""
        try:
            row = self.db.execute(f"SELECT {', '.join(METADATA_FIELDS)}, notes FROM metadata WHERE photo_id = ?",
                                  (photo_id,)).fetchone()
        except sqlite3.OperationalError:  # a catalogue opened read-only before its migration
            return None
        if row is None:
            return None
        fields = dict(zip(METADATA_FIELDS, row[:-1], strict=True))
        return PhotoMetadata(**fields, notes=tuple(note for note in row[-1].split("\n") if note))

    def photos_needing_metadata(self, folder: str, reader: int) -> list[PhotoRow]:
        """Photos below `folder` with no metadata row, or one an older reader wrote."""
        low, high = prefix_range(folder)
        rows = self.db.execute(
            "SELECT p.id, p.path, p.size, p.mtime_ns, p.content_hash, p.width, p.height FROM photos p "
            "LEFT JOIN metadata m ON m.photo_id = p.id "
            "WHERE p.path >= ? AND p.path < ? AND (m.photo_id IS NULL OR m.reader < ?) ORDER BY p.path",
            (low, high, reader),
        )
        return [PhotoRow(r[0], decode_path(r[1]), *r[2:]) for r in rows]

    # -- failures ---------------------------------------------------------------------
    def record_failure(self, path: str, size: int, mtime_ns: int, reason: str) -> None:
        self.db.execute(
            "INSERT INTO failures(path, size, mtime_ns, reason, failed_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "reason = excluded.reason, failed_at = excluded.failed_at",
            (encode_path(path), size, mtime_ns, reason, time.time()),
        )

    def failures_under(self, folder: str) -> dict[str, tuple[int, int, str]]:
        low, high = prefix_range(folder)
        rows = self.db.execute(
            "SELECT path, size, mtime_ns, reason FROM failures WHERE path >= ? AND path < ?",
            (low, high),
        )
        return {decode_path(r[0]): (r[1], r[2], r[3]) for r in rows}

    def delete_failures(self, paths: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM failures WHERE path = ?", [(encode_path(p),) for p in paths])

    def failures(self) -> list[Failure]:
        return [
            Failure(decode_path(r[0]), r[1])
            for r in self.db.execute("SELECT path, reason FROM failures ORDER BY path")
        ]


class _Transaction:
    def __init__(self, db: sqlite3.Connection, label: str) -> None:
        self.db = db
        self.label = label

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                faults.reached(f"commit:{self.label}")
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        else:
            self._rollback()

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:  # SQLite already rolled back (a full disk does that itself)
            pass


def statements(script: str) -> list[str]:
    """A schema script's statements, to run one by one inside our own transaction."""
    return [s.strip() for s in script.split(";") if s.strip()]


def uri_path(path: Path) -> str:
    """A file path made safe inside an SQLite URI (`?` or `#` in a folder name)."""
    from urllib.parse import quote

    return quote(str(path.absolute()), safe="/")


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
