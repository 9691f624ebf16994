"""Photos' colour descriptions in the catalogue (schema v11): what indexing and the colour pass
store, which photos still need one, and the descriptions colour words rank by. Functions over a
`Catalogue`, so catalogue.py stays about photos."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

from .catalogue import Catalogue, decode_path

CHUNK = 900  # ids a query names (SQLite allows 999 parameters)


def store_colours(cat: Catalogue, photo_id: int, rule: int, description: npt.NDArray[np.uint8]) -> None:
    """Replace `photo_id`'s colour description, computed by `rule`. Call inside a transaction."""
    cat.db.execute(
        "INSERT INTO photo_colours(photo_id, rule, description) VALUES (?, ?, ?) ON CONFLICT(photo_id) "
        "DO UPDATE SET rule = excluded.rule, description = excluded.description",
        (photo_id, rule, description.astype(np.uint8).tobytes()),
    )


def photos_needing_colours(cat: Catalogue, rule: int, folder_ranges: Sequence[tuple[bytes, bytes]] = ()
                           ) -> list[tuple[int, str]]:
    """(id, path) of the photos with no description by `rule`, oldest first; only those under
    `folder_ranges` (byte ranges of paths) when any are given."""
    where = " OR ".join("(p.path >= ? AND p.path < ?)" for _ in folder_ranges) or "1"
    params: list[object] = [rule]
    for low, high in folder_ranges:
        params += [low, high]
    rows = cat.db.execute(
        "SELECT p.id, p.path FROM photos p LEFT JOIN photo_colours c ON c.photo_id = p.id "
        f"WHERE (c.photo_id IS NULL OR c.rule <> ?) AND ({where}) ORDER BY p.id",
        params,
    ).fetchall()
    return [(int(r[0]), decode_path(r[1])) for r in rows]


def colour_descriptions(cat: Catalogue, size: int, within: Collection[int] | None = None
                        ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """(photo ids, their descriptions as rows) of every described photo, or of those `within`;
    `size` bytes a description (photos/colour_terms.py's DESCRIPTION_SIZE).
    The whole library's is one scan of 13-byte rows (100,000 photos: a few tens of ms)."""
    if within is None:
        rows = cat.db.execute("SELECT photo_id, description FROM photo_colours").fetchall()
    else:
        wanted = [int(pid) for pid in within]
        rows = []
        for first in range(0, len(wanted), CHUNK):
            chunk = wanted[first : first + CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += cat.db.execute(
                f"SELECT photo_id, description FROM photo_colours WHERE photo_id IN ({marks})", chunk).fetchall()
    rows = [r for r in rows if len(r[1]) == size]
    ids = np.fromiter((int(r[0]) for r in rows), np.int64, len(rows))
    table = np.frombuffer(b"".join(bytes(r[1]) for r in rows), np.uint8).reshape(len(rows), size)
    return ids, table


def count_described(cat: Catalogue, rule: int) -> int:
    """How many photos have a description by `rule`."""
    return int(cat.db.execute("SELECT COUNT(*) FROM photo_colours WHERE rule = ?", (rule,)).fetchone()[0])
