"""A typed query split into its content and its filters: `beach place:lisbon year:2019`.

`key:value` terms (a value with spaces in quotes: `camera:"EOS 40D"`) become `Filters`;
everything else is the content searched for. A term whose key is not a filter's
("http://...", "12:30") stays content, so a colon never breaks a search; a filter with a
value it cannot use ("year:soon") is an `EngineError` naming the term.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ..errors import EngineError
from ..types import Filters

__all__ = ["FILE_TYPES", "Query", "date_range", "filter_term", "filter_terms", "parse_query"]

# File kinds a `type:` filter names, by extension (the scanner's list decides what is indexed).
FILE_TYPES: dict[str, frozenset[str]] = {
    "jpeg": frozenset({".jpg", ".jpeg", ".jpe"}),
    "heic": frozenset({".heic", ".heif", ".hif"}),
    "avif": frozenset({".avif"}),
    "png": frozenset({".png"}),
    "tiff": frozenset({".tif", ".tiff"}),
    "webp": frozenset({".webp"}),
    "gif": frozenset({".gif"}),
    "bmp": frozenset({".bmp"}),
    "raw": frozenset({".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".raf", ".orf",
                      ".rw2", ".pef", ".srw", ".kdc", ".dcr", ".mrw", ".x3f", ".3fr", ".iiq", ".erf", ".mef",
                      ".mos", ".rwl"}),
}
_TYPE_NAMES = {"jpg": "jpeg", "heif": "heic", "tif": "tiff"}
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_TERM = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_LIST_KEYS = {"place": "places", "camera": "cameras", "lens": "lenses", "folder": "folders", "tag": "tags",
              "person": "people"}
_DATE_KEYS = ("year", "month", "date", "from", "to")


@dataclass(frozen=True)
class Query:
    """The content of a typed query (words, or nothing) and its filters."""

    text: str
    filters: Filters


def parse_query(typed: str) -> Query:
    """Split `typed` into content words and `key:value` filters."""
    try:
        tokens = shlex.split(typed, posix=True)
    except ValueError:  # an unclosed quote: take the words as they are
        tokens = typed.split()
    words: list[str] = []
    filters = Filters()
    for token in tokens:
        match = _TERM.match(token)
        key = match.group(1).lower() if match else ""
        if not match or (key not in _LIST_KEYS and key not in _DATE_KEYS and key not in ("type", "gps")):
            words.append(token)
            continue
        filters = _apply(filters, key, match.group(2).strip())
    return Query(" ".join(words), filters)


def _apply(filters: Filters, key: str, value: str) -> Filters:
    if not value:
        raise EngineError(f"The filter {key}: needs a value, as in {key}:{_EXAMPLES[key]}.")
    if key in _LIST_KEYS:
        field = _LIST_KEYS[key]
        values: dict[str, Any] = {field: (*getattr(filters, field), value)}
        return replace(filters, **values)
    if key == "type":
        kind = _TYPE_NAMES.get(value.lower(), value.lower())
        if kind not in FILE_TYPES:
            raise EngineError(f"Unknown file type in type:{value}; use one of {', '.join(sorted(FILE_TYPES))}.")
        return replace(filters, types=(*filters.types, kind))
    if key == "gps":
        if value.lower() not in ("yes", "no"):
            raise EngineError(f"gps:{value} is not yes or no.")
        return replace(filters, has_gps=value.lower() == "yes")
    start, end = date_range(value, key)
    if key == "from":
        return replace(filters, since=start)
    if key == "to":
        return replace(filters, before=end)
    return replace(filters, since=start, before=end)


_EXAMPLES = {"place": "lisbon", "camera": "x100v", "lens": "35mm", "folder": "Holidays", "tag": "beach",
             "person": "Anna", "type": "raw", "gps": "yes", "year": "2019", "month": "2019-06", "date": "2019-06-15",
             "from": "2019-06", "to": "2019-09"}


def date_range(value: str, key: str = "date") -> tuple[str, str]:
    """[start, end) of a year, month or day ("2019", "2019-06", "2019-06-15") as local ISO times."""
    match = _DATE.match(value.strip())
    if not match:
        raise EngineError(f"{key}:{value} is not a date; write a year, month or day: "
                          f"{key}:{_EXAMPLES.get(key, '2019-06-15')}.")
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    try:
        start = datetime(year, month or 1, day or 1)
        if day is not None:
            end = start + timedelta(days=1)
        elif month is not None:
            end = datetime(year + month // 12, month % 12 + 1, 1)
        else:
            end = datetime(year + 1, 1, 1)
    except (ValueError, OverflowError):
        raise EngineError(f"{key}:{value} is not a real date.") from None
    return start.isoformat(), end.isoformat()


def filter_terms(filters: Filters) -> list[str]:
    """`filters` written back as `key:value` terms (for chips and for saying what was searched)."""
    terms: list[str] = []
    if filters.since or filters.before:
        terms.append(_dates_term(filters.since, filters.before))
    for key, field in _LIST_KEYS.items():
        terms += [f"{key}:{_quoted(value)}" for value in getattr(filters, field)]
    terms += [f"type:{kind}" for kind in filters.types]
    if filters.has_gps is not None:
        terms.append(f"gps:{'yes' if filters.has_gps else 'no'}")
    return terms


def filter_term(key: str, value: str) -> str:
    """One `key:value` term as the search bar takes it (`place:"New York"`): a picker's choice."""
    return f"{key}:{_quoted(value)}"


def _dates_term(since: str | None, before: str | None) -> str:
    """The shortest way to write a date range back: year:2019, month:2019-06, or from:/to:."""
    for key, width in (("year", 4), ("month", 7), ("date", 10)):
        if since and before and date_range(since[:width], key) == (since, before):
            return f"{key}:{since[:width]}"
    parts = []
    if since:
        parts.append(f"from:{since[:10]}")
    if before:  # exclusive: the last day is the one before
        parts.append(f"to:{(datetime.fromisoformat(before) - timedelta(days=1)).date().isoformat()}")
    return " ".join(parts)


def _quoted(value: str) -> str:
    """`value` as one shell-like word: in double quotes when it has spaces or quotes."""
    if not any(c.isspace() or c in "'\"\\" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
