"""GPS positions from EXIF and XMP, and the ones no receiver measured.

EXIF writes degrees, minutes and seconds as three rationals plus an N/S or E/W letter; XMP writes
"43,28.0469N". A phone without a fix writes 0,0 (a point in the Gulf of Guinea), a broken writer
0/0 rationals or minutes past 60: such a position is unknown, with a note saying why, so a map or
a place filter never shows a photo where it was not taken.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

# EXIF GPS IFD tags. GPSStatus is not read: writers set "V" (void) on positions exiftool and
# Lightroom show as they are, and that are right (photoprism's snake photo, South Africa).
_LAT_REF, _LAT, _LON_REF, _LON = 0x0001, 0x0002, 0x0003, 0x0004
_XMP_COORD = re.compile(r"^\s*(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?\s*([NSEWnsew])\s*$")


def exif_position(gps: Mapping[int, object]) -> tuple[float | None, float | None, str]:
    """(lat, lon, "") from an EXIF GPS IFD, or (None, None, why not) — (None, None, "") without GPS."""
    if _LAT not in gps and _LON not in gps:
        return None, None, ""
    lat = _degrees(gps.get(_LAT), gps.get(_LAT_REF), "S")
    lon = _degrees(gps.get(_LON), gps.get(_LON_REF), "W")
    return checked(lat, lon)


def xmp_position(lat_text: str | None, lon_text: str | None) -> tuple[float | None, float | None, str]:
    """(lat, lon, "") from XMP exif:GPSLatitude/GPSLongitude ("43,28.0469N"), as `exif_position`."""
    if not lat_text and not lon_text:
        return None, None, ""
    return checked(_xmp_degrees(lat_text), _xmp_degrees(lon_text))


def checked(lat: float | None, lon: float | None) -> tuple[float | None, float | None, str]:
    """A position kept only when a receiver could have measured it."""
    if lat is None or lon is None:
        return None, None, "unreadable GPS position"
    if abs(lat) > 90 or abs(lon) > 180:
        return None, None, f"GPS position {lat:.6g},{lon:.6g} is out of range"
    if lat == 0 and lon == 0:
        return None, None, "GPS 0,0 (a receiver without a fix)"
    return lat, lon, ""


def _degrees(value: object, ref: object, negative: str) -> float | None:
    """Degrees from EXIF's (deg, min, sec) rationals; None when unreadable or minutes/seconds >= 60."""
    parts = value if isinstance(value, (tuple, list)) else (value,)
    try:
        numbers = [float(part) for part in parts]  # IFDRational, int, float
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not numbers or len(numbers) > 3 or any(math.isnan(n) or n < 0 for n in numbers):
        return None
    if any(n >= 60 for n in numbers[1:]):
        return None
    degrees = sum(n / 60.0**i for i, n in enumerate(numbers))
    return -degrees if _text(ref).upper().startswith(negative) else degrees


def _xmp_degrees(text: str | None) -> float | None:
    if not text:
        return None
    match = _XMP_COORD.match(text)
    if match is None:
        try:  # some writers put plain signed decimal degrees
            value = float(text)
        except ValueError:
            return None
        return None if math.isnan(value) else value
    numbers = [float(group) for group in match.groups()[:3] if group is not None]
    if any(n >= 60 for n in numbers[1:]):
        return None
    degrees = sum(n / 60.0**i for i, n in enumerate(numbers))
    return -degrees if match.group(4).upper() in "SW" else degrees


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).replace("\x00", "").strip() if value is not None else ""
