"""The facts (culling_rows.CopyFacts) a kept result of the duplicate finder was built from,
mirrored in a temporary table of the catalogue's connection, so that SQLite says which of
them changed since (a photo moved, re-read, given new content or gone) in about 0.1 s at
65,000 photos, where reading every photo's facts again takes 0.3-1.5 s.

The table lives as long as the connection and is seen by it alone (SQLite's temp schema: no
file of the library changes, and a read-only catalogue can hold it). A table that is missing
or holds another number of rows than the caller kept (a reopened connection, a write rolled
back by another thread's transaction) says nothing: the caller then builds its result afresh.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable

from .catalogue import Catalogue, _chunks, encode_path
from .culling_rows import CopyFacts

_TABLE = "temp.duplicate_facts"
_COLUMNS = "id, path, size, mtime_ns, content_hash, width, height, taken_utc, taken_local, make, model, file_type"
_CHANGED = (
    f"SELECT t.id FROM {_TABLE} t LEFT JOIN photos p ON p.id = t.id LEFT JOIN metadata m ON m.photo_id = t.id "
    "WHERE p.id IS NULL OR p.path IS NOT t.path OR p.size IS NOT t.size OR p.mtime_ns IS NOT t.mtime_ns "
    "OR p.content_hash IS NOT t.content_hash OR p.width IS NOT t.width OR p.height IS NOT t.height "
    "OR m.taken_utc IS NOT t.taken_utc OR m.taken_local IS NOT t.taken_local OR m.make IS NOT t.make "
    "OR m.model IS NOT t.model OR m.file_type IS NOT t.file_type")


def changed_since(catalogue: Catalogue, kept: int) -> set[int] | None:
    """The photos of the snapshot whose facts differ now or that are gone; None when the
    snapshot does not hold the `kept` photos the caller remembers."""
    try:
        if catalogue.db.execute(f"SELECT count(*) FROM {_TABLE}").fetchone()[0] != kept:
            return None
        return {int(r[0]) for r in catalogue.db.execute(_CHANGED)}
    except sqlite3.OperationalError:  # no snapshot on this connection
        return None


def keep_snapshot(catalogue: Catalogue, facts: Iterable[CopyFacts], forget: Collection[int] = (),
                  replace_all: bool = False) -> bool:
    """Put these facts in the snapshot (over what it held of those photos) and take `forget`
    out; `replace_all`: the snapshot holds these alone. False when it could not be written."""
    rows = [(f.id, encode_path(f.path), f.size, f.mtime_ns, f.content_hash, f.width, f.height, f.taken_utc,
             f.taken_local, f.make, f.model, f.file_type) for f in facts]
    db = catalogue.db
    try:
        db.execute("SAVEPOINT duplicate_facts")  # one write, inside a caller's transaction or not
        try:
            db.execute(f"CREATE TABLE IF NOT EXISTS {_TABLE} (id INTEGER PRIMARY KEY, path BLOB, size INTEGER, "
                       "mtime_ns INTEGER, content_hash BLOB, width INTEGER, height INTEGER, taken_utc REAL, "
                       "taken_local TEXT, make TEXT, model TEXT, file_type TEXT)")
            if replace_all:
                db.execute(f"DELETE FROM {_TABLE}")
            for chunk in _chunks(sorted(forget), 900):
                db.execute(f"DELETE FROM {_TABLE} WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            db.executemany(f"INSERT OR REPLACE INTO {_TABLE}({_COLUMNS}) VALUES ({','.join('?' * 12)})", rows)
        except BaseException:
            db.execute("ROLLBACK TO duplicate_facts")
            db.execute("RELEASE duplicate_facts")
            raise
        db.execute("RELEASE duplicate_facts")
    except sqlite3.Error:
        return False
    return True
