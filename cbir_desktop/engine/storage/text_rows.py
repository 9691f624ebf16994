"""Text in photos in the catalogue (schema v10): what the OCR step stores and has read, and the
full-text search over it. Functions over a `Catalogue`, so catalogue.py stays about photos."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .catalogue import Catalogue, decode_path

SNIPPET_WORDS = 8  # words of context a snippet shows around the match
SOME_WORDS_FROM = 3  # words a query needs before photos with only some of them match


@dataclass(frozen=True)
class TextMatch:
    """A photo whose text matched a query: its id, the snippet around the match ([brackets]
    mark the matched words) and FTS5's rank (lower is better)."""

    photo_id: int
    snippet: str
    rank: float


def store_text(cat: Catalogue, photo_id: int, reader: int, detected: bool, text: str) -> None:
    """Replace what `photo_id`'s text was and mark it read by `reader`. Call inside a transaction."""
    cat.db.execute("DELETE FROM photo_text WHERE rowid = ?", (photo_id,))
    if text:
        cat.db.execute("INSERT INTO photo_text(rowid, text) VALUES (?, ?)", (photo_id, text))
    cat.db.execute(
        "INSERT INTO text_read(photo_id, reader, detected) VALUES (?, ?, ?) ON CONFLICT(photo_id) "
        "DO UPDATE SET reader = excluded.reader, detected = excluded.detected",
        (photo_id, reader, int(detected)),
    )


def photos_needing_text(cat: Catalogue, reader: int, folder_ranges: Sequence[tuple[bytes, bytes]] = ()
                        ) -> list[tuple[int, str]]:
    """(id, path) of the photos not yet read by `reader`, oldest first; only those under
    `folder_ranges` (byte ranges of paths) when any are given."""
    where = " OR ".join("(p.path >= ? AND p.path < ?)" for _ in folder_ranges) or "1"
    params: list[object] = [reader]
    for low, high in folder_ranges:
        params += [low, high]
    rows = cat.db.execute(
        "SELECT p.id, p.path FROM photos p LEFT JOIN text_read r ON r.photo_id = p.id "
        f"WHERE (r.photo_id IS NULL OR r.reader <> ?) AND ({where}) ORDER BY p.id",
        params,
    ).fetchall()
    return [(int(r[0]), decode_path(r[1])) for r in rows]


def forget_orphan_text(cat: Catalogue) -> None:
    """Drop indexed text whose photo has left the library (the FTS table keeps no foreign key)."""
    cat.db.execute("DELETE FROM photo_text WHERE rowid NOT IN (SELECT photo_id FROM text_read)")


def count_text_read(cat: Catalogue, reader: int) -> tuple[int, int]:
    """(photos read by `reader`, those in which its detector saw text)."""
    row = cat.db.execute("SELECT COUNT(*), COALESCE(SUM(detected), 0) FROM text_read WHERE reader = ?",
                         (reader,)).fetchone()
    return int(row[0]), int(row[1])


def search_photo_text(cat: Catalogue, query: str, limit: int) -> list[TextMatch]:
    """The photos whose text holds every word of `query` (a word also matches as the start of
    a longer one: "recei" finds "receipt"), best first; then, when those are fewer than
    `limit` and the query is a line of text (`SOME_WORDS_FROM` words or more: a company's name),
    those holding some of its words (recognition misreads a word now and then), best first by
    FTS5's bm25; two words ("red car") must both be there. Case and diacritics folded."""
    words = query_words(query)
    found = _matching(cat, " AND ".join(words), limit, ())
    if len(words) >= SOME_WORDS_FROM and len(found) < limit:
        found += _matching(cat, " OR ".join(words), limit - len(found), [m.photo_id for m in found])
    return found


def _matching(cat: Catalogue, match: str, limit: int, without: Sequence[int]) -> list[TextMatch]:
    if not match:
        return []
    rows = cat.db.execute(
        "SELECT t.rowid, snippet(photo_text, 0, '[', ']', '…', ?), t.rank FROM photo_text t "
        "JOIN text_read r ON r.photo_id = t.rowid WHERE photo_text MATCH ? "
        f"AND t.rowid NOT IN ({', '.join('?' * len(without))}) ORDER BY t.rank LIMIT ?",
        (SNIPPET_WORDS, match, *without, limit),
    ).fetchall()
    return [TextMatch(int(r[0]), " ".join(str(r[1]).split()), float(r[2])) for r in rows]


def query_words(text: str) -> list[str]:
    """`text`'s words as FTS5 terms: each quoted (so no word is read as FTS syntax) and matched
    as a prefix; numbers such as "9.00" stay one phrase."""
    words = re.findall(r"\w+(?:[.,:/-]\w+)*", text)
    return ['"' + word + '"' + ("*" if word[-1:].isalpha() else "") for word in words]
