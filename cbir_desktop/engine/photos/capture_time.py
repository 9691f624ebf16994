"""When a photo was taken: the date formats cameras and XMP write, and the dates no camera took.

A camera's clock says local wall-clock time; EXIF 2.31 added its UTC offset in a separate
field, XMP writes it inside the date. A time with no offset is kept as the clock said it and
sorted as if it were UTC (`taken_utc`), the usual choice of photo managers: a timeline then
puts a day's photos on that day, wherever it was.

An impossible date is refused with the reason (never guessed at): the next source is used
instead, down to the file's own modification time.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# Niépce's first photograph; an earlier date is a broken clock or a broken field.
EARLIEST_YEAR = 1826
# A camera whose clock was never set counts from its epoch: 1904 is the classic Mac's and
# QuickTime's, 1970-01-01 the Unix one. No digital photo was taken in 1904.
EPOCH_YEARS = frozenset({1904})
EPOCH_DAYS = frozenset({(1970, 1, 1)})
# Local time runs up to 14 h ahead of UTC (Kiribati); a day's slack on top of that.
FUTURE_SLACK_S = 38 * 3600

# "2019:07:14 18:03:21" (EXIF), "2019-07-14T18:03:21.53+01:00" (XMP), "2019-07-14" and the
# mixes programs write: date, then optional time, fraction and offset.
_DATE = re.compile(
    r"^\s*(?P<y>\d{4})(?:[:\-](?P<mo>\d{2})(?:[:\-](?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"\s*(?P<tz>Z|[+\-]\d{2}:?\d{2})?)?)?)?\s*$"
)
_OFFSET = re.compile(r"^\s*(?P<sign>[+\-])(?P<h>\d{2}):?(?P<m>\d{2})\s*$")


@dataclass(frozen=True)
class CaptureTime:
    """A capture time: `local` as ISO 8601 without offset, `offset` ("+01:00") when known."""

    local: str
    offset: str | None
    utc: float
    date_only: bool = False  # the source gave a day, not a time of day


def parse_capture_time(text: object, offset_text: object = None, subsec: object = None,
                       now: float | None = None) -> tuple[CaptureTime | None, str]:
    """A capture time from a date field (EXIF or XMP), its separate offset field (EXIF
    OffsetTimeOriginal) and sub-seconds (EXIF SubSecTimeOriginal). Returns the time and a note
    (an unreadable offset), or None and why the date was refused; (None, "") for an empty field."""
    value = _text(text)
    if not value.strip(" :-"):  # blank ("    :  :     :  :  ") is the EXIF way of saying unknown
        return None, ""
    match = _DATE.match(value)
    if match is None:
        return None, f"unreadable date {value!r}"
    year, month, day, hour, minute, second = (int(match[k] or 0) for k in ("y", "mo", "d", "h", "mi", "s"))
    if year == 0 or (match["mo"] and month == 0) or (match["d"] and day == 0):
        return None, f"impossible date {value!r}"
    try:
        local = datetime(year, month or 1, day or 1, hour, minute, second)
    except ValueError:
        return None, f"impossible date {value!r}"
    refused = _refusal(local, value)
    if refused:
        return None, refused
    offset, note = _offset(match["tz"] if match["tz"] is not None else offset_text)
    utc = local.replace(tzinfo=timezone.utc).timestamp()
    if offset is not None:
        utc -= _offset_seconds(offset)
    utc += _fraction(match["frac"] if match["frac"] else subsec)
    if utc > (time.time() if now is None else now) + FUTURE_SLACK_S:
        return None, f"date {value!r} is in the future"
    return CaptureTime(local.isoformat(), offset, utc, date_only=match["h"] is None), note


def with_offset(taken: CaptureTime, offset: str) -> CaptureTime:
    """The same wall-clock time with its UTC offset now known (found in another field)."""
    utc = taken.utc if taken.offset is None else taken.utc + _offset_seconds(taken.offset)
    return CaptureTime(taken.local, offset, utc - _offset_seconds(offset), taken.date_only)


def file_time(mtime_ns: int) -> CaptureTime:
    """The file's modification time, in this computer's time zone (its offset is known)."""
    seconds = mtime_ns / 1e9
    local = datetime.fromtimestamp(int(seconds)).astimezone()
    delta = local.utcoffset() or timedelta(0)
    return CaptureTime(local.replace(tzinfo=None).isoformat(), format_offset(delta), seconds)


def same_clock(first: CaptureTime, second: CaptureTime) -> bool:
    """Whether two capture times say the same wall-clock second (EXIF and XMP copies of one time)."""
    return first.local == second.local and not first.date_only and not second.date_only


def format_offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _refusal(local: datetime, value: str) -> str:
    if local.year < EARLIEST_YEAR:
        return f"impossible date {value!r} (before photography)"
    if local.year in EPOCH_YEARS or (local.year, local.month, local.day) in EPOCH_DAYS:
        return f"impossible date {value!r} (a camera clock that was never set)"
    return ""


def _offset(value: object) -> tuple[str | None, str]:
    text = _text(value)
    if not text or not text.strip(" :\x00"):
        return None, ""
    if text == "Z":
        return "+00:00", ""
    match = _OFFSET.match(text)
    if match is None:
        return None, f"unreadable time zone offset {text!r}"
    hours, minutes = int(match["h"]), int(match["m"])
    if hours > 14 or minutes >= 60 or (hours == 14 and minutes):
        return None, f"impossible time zone offset {text!r}"
    return f"{match['sign']}{hours:02d}:{minutes:02d}", ""


def _offset_seconds(offset: str) -> int:
    sign = -1 if offset.startswith("-") else 1
    return sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)


def _fraction(value: object) -> float:
    digits = "".join(c for c in _text(value) if c.isdigit())
    return int(digits) / 10 ** len(digits) if digits else 0.0


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, (tuple, list)):  # some writers store one-item lists
        value = value[0] if value else ""
    return str(value).replace("\x00", "").strip() if value is not None else ""
