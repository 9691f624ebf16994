"""Backups of the user's work in the catalogue, and rebuilding a damaged catalogue.

A backup holds what cannot be recomputed: folders, photos (paths, hashes, sizes),
the user's tags and rejections, failures and settings — not vectors or model tags,
which the next indexing run recomputes. That keeps a 100k-photo backup at a few
percent of the catalogue's ~1 GB, so several rotate cheaply. It is copied table by
table inside one read transaction (a consistent snapshot; SQLite's page-level backup
API would copy every vector page too) into a temporary file that replaces nothing
until complete (`files.replacing`).

`salvage` rebuilds a catalogue from a damaged one: every readable row is copied
(chunk by chunk, then row by row around damaged pages), and the newest good backups
fill in what could not be read, so tags and decisions survive.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..files import replacing
from .catalogue import FEATURES, MIGRATIONS, SCHEMA_VERSION, WORDS, statements, uri_path

log = logging.getLogger(__name__)

BACKUP_FOLDER = "backups"
KEEP = 5
# The user's work: what a backup holds and what a salvage takes from backups.
USER_TABLES = ("folders", "photos", "user_tags", "tag_decisions", "failures", "settings")
# Salvaged from a damaged catalogue in this order (photos before what refers to them).
SALVAGED_TABLES = ("folders", "photos", "vectors", "tags", "user_tags", "tag_decisions", "failures", "settings")
CHUNK = 2000
# Left out of backups: a photo's colour signature (1 KB each, recomputed when a photo restored
# from a backup is embedded again, as every photo without vectors is).
BACKUP_SKIPS = frozenset({"photos.colour"})


@dataclass
class SalvageReport:
    """What a salvage kept: rows per table, and the backups it drew on."""

    rows: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)  # rows lost per table
    backups_used: list[str] = field(default_factory=list)


def create_schema(db: sqlite3.Connection) -> None:
    """The current schema in an empty database (a backup or a salvaged catalogue)."""
    db.execute("BEGIN IMMEDIATE")
    for _, script in MIGRATIONS:
        for statement in statements(script):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.execute("COMMIT")


def back_up(catalogue: Path, folder: Path, keep: int = KEEP) -> Path:
    """Copy the user's work out of `catalogue` into a new file in `folder`; keep the newest `keep`."""
    now = time.time_ns()  # one reading: names sort in the order the backups were made
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now // 1_000_000_000)) + f"-{now % 1_000_000_000:09d}"
    target = folder / f"catalogue-{stamp}.sqlite"
    with replacing(target) as tmp:
        db = _connect(tmp)
        try:
            create_schema(db)
            db.execute("ATTACH DATABASE ? AS src", (_read_only(catalogue),))
            db.execute("BEGIN")  # one snapshot of the source across every table
            for table in USER_TABLES:
                _copy_all(db, "src", table, skip=BACKUP_SKIPS)
            db.execute("COMMIT")
            db.execute("DETACH DATABASE src")
        finally:
            db.close()
    for old in backups(folder)[keep:]:
        old.unlink(missing_ok=True)
    return target


def backups(folder: Path) -> list[Path]:
    """The backups in `folder`, newest first."""
    return sorted(folder.glob("catalogue-*.sqlite"), reverse=True)


def newest_backup_age(folder: Path) -> float | None:
    """Seconds since the newest backup was written (None: there is none)."""
    found = backups(folder)
    return time.time() - found[0].stat().st_mtime if found else None


def is_good(path: Path) -> bool:
    """Whether a backup (or catalogue) opens and passes SQLite's quick check."""
    try:
        db = sqlite3.connect(_read_only(path), uri=True)
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            ok = [r[0] for r in db.execute("PRAGMA quick_check")] == ["ok"]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return ok and 1 <= version <= SCHEMA_VERSION and "photos" in tables
        finally:
            db.close()
    except sqlite3.Error:
        return False


def salvage(damaged: Path, sources: list[Path], target: Path) -> SalvageReport:
    """Write into `target` (an empty file) every readable row of `damaged`, then fill in the
    user's work from `sources` (good backups, newest first) where the damaged file lost it."""
    report = SalvageReport()
    db = _connect(target)
    try:
        create_schema(db)
        db.execute("PRAGMA foreign_keys = OFF")
        if damaged.is_file() and damaged.stat().st_size:
            _salvage_rows(db, damaged, report)
        for backup in sources:
            _fill_from_backup(db, backup)
            report.backups_used.append(backup.name)
        _drop_orphans(db)
        for table in SALVAGED_TABLES:
            report.rows[table] = int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        db.close()
    return report


def _connect(path: Path) -> sqlite3.Connection:
    """A connection that can ATTACH read-only URIs."""
    return sqlite3.connect(f"file:{uri_path(path)}", uri=True, isolation_level=None)


def _read_only(path: Path) -> str:
    return f"file:{uri_path(path)}?mode=ro"


def _columns(db: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [str(r[1]) for r in db.execute(f"PRAGMA {schema}.table_info({table})")]


def _shared_columns(db: sqlite3.Connection, schema: str, table: str) -> str:
    """Columns both the source (maybe an older schema) and ours have."""
    ours = _columns(db, "main", table)
    theirs = set(_columns(db, schema, table))
    return ", ".join(c for c in ours if c in theirs)


def _copy_all(db: sqlite3.Connection, schema: str, table: str, skip: frozenset[str] = frozenset()) -> None:
    cols = ", ".join(c for c in _shared_columns(db, schema, table).split(", ") if c and f"{table}.{c}" not in skip)
    if cols:
        db.execute(f"INSERT OR IGNORE INTO main.{table}({cols}) SELECT {cols} FROM {schema}.{table}")


def _salvage_rows(db: sqlite3.Connection, damaged: Path, report: SalvageReport) -> None:
    try:
        db.execute("ATTACH DATABASE ? AS old", (_read_only(damaged),))
        tables = {r[0] for r in db.execute("SELECT name FROM old.sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        log.warning("Nothing readable in %s (%s)", damaged, exc)
        return
    try:
        for table in SALVAGED_TABLES:
            if table in tables:
                report.unreadable[table] = _salvage_table(db, table)
    finally:
        db.execute("DETACH DATABASE old")


def _salvage_table(db: sqlite3.Connection, table: str) -> int:
    """Copy `table` from `old`, around damaged pages; returns rows (or chunks) lost."""
    try:
        cols = _shared_columns(db, "old", table)
        top = db.execute(f"SELECT MAX(rowid) FROM old.{table}").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        try:  # the table's b-tree root is damaged: nothing of it can be read
            _copy_all(db, "old", table)
        except sqlite3.DatabaseError:
            return -1
        return 0
    lost = 0
    for low, high in _ranges(1, top, CHUNK):
        lost += _copy_range(db, table, cols, low, high)
    return lost


def _copy_range(db: sqlite3.Connection, table: str, cols: str, low: int, high: int) -> int:
    """Copy rows low..high; on damage split the range down to single rows. Returns rows lost."""
    try:
        db.execute("BEGIN")
        db.execute(f"INSERT OR IGNORE INTO main.{table}({cols}) SELECT {cols} FROM old.{table} "
                   f"WHERE rowid BETWEEN ? AND ?", (low, high))
        db.execute("COMMIT")
        return 0
    except sqlite3.DatabaseError:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if low == high:
            return 1
        middle = (low + high) // 2
        return _copy_range(db, table, cols, low, middle) + _copy_range(db, table, cols, middle + 1, high)


def _ranges(low: int, high: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(low, high + 1, size):
        yield start, min(start + size - 1, high)


def _fill_from_backup(db: sqlite3.Connection, backup: Path) -> None:
    """Add the backup's folders, photos, tags and settings the salvage lacks. A tag joins only
    the photo it was made on: same id and same path."""
    db.execute("ATTACH DATABASE ? AS b", (_read_only(backup),))
    try:
        db.execute("BEGIN")
        for table in ("folders", "photos", "tag_decisions", "settings"):
            _copy_all(db, "b", table)
        db.execute(
            "INSERT OR IGNORE INTO main.user_tags(photo_id, tag, confirmed, changed_at) "
            "SELECT u.photo_id, u.tag, u.confirmed, u.changed_at FROM b.user_tags u "
            "JOIN b.photos bp ON bp.id = u.photo_id JOIN main.photos mp ON mp.id = u.photo_id "
            "AND mp.path = bp.path")
        db.execute("COMMIT")
    finally:
        db.execute("DETACH DATABASE b")


def _drop_orphans(db: sqlite3.Connection) -> None:
    """Rows whose photo was lost go; so do a photo's vectors for a model when one of its main
    kinds was lost (features, or zero-shot words where the model has them): the next indexing
    run embeds that photo again instead of leaving it half-searchable."""
    db.execute("BEGIN")
    for table in ("vectors", "tags", "user_tags"):
        db.execute(f"DELETE FROM {table} WHERE photo_id NOT IN (SELECT id FROM photos)")
    db.execute(
        "DELETE FROM vectors WHERE (photo_id, model_id) IN ("
        " SELECT p.photo_id, p.model_id FROM (SELECT DISTINCT photo_id, model_id FROM vectors) p"
        " JOIN (SELECT DISTINCT model_id, kind FROM vectors WHERE kind IN (?, ?)) k ON k.model_id = p.model_id"
        " WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.photo_id = p.photo_id"
        "  AND v.model_id = p.model_id AND v.kind = k.kind))", (FEATURES, WORDS))
    db.execute("DELETE FROM tags WHERE (photo_id, model_id) NOT IN "
               "(SELECT photo_id, model_id FROM vectors WHERE kind = ?)", (FEATURES,))
    db.execute("COMMIT")
