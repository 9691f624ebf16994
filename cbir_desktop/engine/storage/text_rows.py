"""Text in photos in the catalogue (schema v10): what the OCR step stores and has read, and the
full-text search over it. Functions over a `Catalogue`, so catalogue.py stays about photos."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .catalogue import Catalogue, decode_path

SNIPPET_WORDS = 8  # words of context a snippet shows around the match
SOME_WORDS_FROM = 3  # words a query needs before photos with only some of them match
TOP_LINES = 3  # a name in a photo's first lines is its heading: a receipt's shop, a sign's name
# The best matches by bm25 re-ranked by where the words stand (the rest follow by bm25): 200
# receipts' texts took 76 ms to place at load 15 on 2 cores, 50 take under 20.
CANDIDATES = 50


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
    those holding some of its words (recognition misreads a word now and then). Case and
    diacritics folded. Best first: the words as written in a row (a phrase) before scattered,
    in the photo's first lines (a heading: a receipt's shop) before further down, more of the
    query's words before fewer, then FTS5's bm25."""
    words = query_words(query)
    terms = _tokens(query)
    found = _ranked(_matching(cat, " AND ".join(words), limit, ()), terms)[:limit]
    if len(words) >= SOME_WORDS_FROM and len(found) < limit:
        some = _matching(cat, " OR ".join(words), limit - len(found), [m.photo_id for m in found])
        found += _ranked(some, terms)[:limit - len(found)]
    return found


def _ranked(rows: list[tuple[TextMatch, str]], terms: list[str]) -> list[TextMatch]:
    """`rows` (matches with their photo's text, by bm25) best first: the first `CANDIDATES` by
    `_placing` then bm25, the rest as they come."""
    words = [re.compile(rf"(?<!\S){_pattern(term)}(?!\S)") for term in terms]
    phrase = re.compile(r"(?<!\S)" + r"\s+".join(_pattern(term) for term in terms) + r"(?!\S)") if terms else None
    placed = sorted(rows[:CANDIDATES], key=lambda row: (_placing(words, phrase, row[1]), row[0].rank))
    return [match for match, _ in placed + rows[CANDIDATES:]]


def _placing(words: list[re.Pattern[str]], phrase: re.Pattern[str] | None, text: str) -> tuple[int, int, int]:
    """How well `text` holds the query (`words`: each term's pattern, `phrase`: all in a row),
    lower is better: (not as a phrase, not in the first `TOP_LINES` lines, query words missing)."""
    flat = _folded(text)
    top = "\n".join(flat.split("\n", TOP_LINES)[:TOP_LINES])
    found = phrase.search(flat) if phrase else None
    if found:
        return 0, int(flat.count("\n", 0, found.start()) >= TOP_LINES), 0
    heading = sum(1 for word in words if word.search(top))
    return 1, int(heading * 2 < len(words)), sum(1 for word in words if not word.search(flat))


def _pattern(term: str) -> str:
    """A query term as FTS5 matches it in the text's folded words: a prefix for words, whole numbers."""
    return re.escape(term) + (r"[^\W_]*" if term[-1:].isalpha() else "")


def _tokens(text: str) -> list[str]:
    """`text`'s words as FTS5's unicode61 tokenizer sees them: case and diacritics folded."""
    return _folded(text).split()


def _folded(text: str) -> str:
    """`text` case and diacritics folded, its words parted by single spaces, its lines kept."""
    folded = text.lower()
    if not folded.isascii():
        folded = _MARKS.sub("", unicodedata.normalize("NFKD", folded))
    return _NOT_WORD.sub(" ", folded)


_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")  # combining marks
_NOT_WORD = re.compile(r"(?:[^\w\n]|_)+")


def _matching(cat: Catalogue, match: str, limit: int, without: Sequence[int]) -> list[tuple[TextMatch, str]]:
    if not match:
        return []
    rows = cat.db.execute(
        "SELECT t.rowid, snippet(photo_text, 0, '[', ']', '…', ?), t.rank, t.text FROM photo_text t "
        "JOIN text_read r ON r.photo_id = t.rowid WHERE photo_text MATCH ? "
        f"AND t.rowid NOT IN ({', '.join('?' * len(without))}) ORDER BY t.rank LIMIT ?",
        (SNIPPET_WORDS, match, *without, max(limit, CANDIDATES)),
    ).fetchall()
    return [(TextMatch(int(r[0]), " ".join(str(r[1]).split()), float(r[2])), str(r[3])) for r in rows]


def query_words(text: str) -> list[str]:
    """`text`'s words as FTS5 terms: each quoted (so no word is read as FTS syntax) and matched
    as a prefix; numbers such as "9.00" stay one phrase."""
    words = re.findall(r"\w+(?:[.,:/-]\w+)*", text)
    return ['"' + word + '"' + ("*" if word[-1:].isalpha() else "") for word in words]
