"""Is a photo file whole? Its own structure says how long it should be.

libheif decodes a HEIC whose download stopped half-way without an error, filling the
missing tiles with black (a 10% file of a 12-MP iPhone photo "decodes", 60% black), and
LibRaw reads a cut-short RAW's missing rows as zeros; the index would keep a broken photo
as if it were fine. HEIF, AVIF and CR3 are chains of boxes that each state their length;
TIFF-based RAWs (DNG, CR2, NEF, ARW, ORF, RW2, PEF, ...) list where every strip or tile of
pixels lies. A file that ends before what it describes was cut short.
"""

from __future__ import annotations

import struct

# TIFF and the RAW formats built on it: byte order, then a magic number (42, or Olympus's
# "RO"/"RS", Panasonic's 0x55).
_TIFF_MAGICS = {42, 0x4F52, 0x5352, 0x55}
_STRIPS = ((273, 279), (324, 325))  # (StripOffsets, StripByteCounts), (TileOffsets, TileByteCounts)
_SUB_IFDS = 330
_MAX_IFDS = 64  # more is a damaged or hostile file: stop looking
_VALUE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1, 13: 4, 16: 8}


def ends_early(data: bytes) -> bool:
    """True when `data` is a box chain or a TIFF whose structure reaches past its end."""
    if data[4:8] == b"ftyp":
        return _boxes_end_early(data)
    if data[:2] in (b"II", b"MM") and len(data) >= 8:
        order = "<" if data[:2] == b"II" else ">"
        if struct.unpack_from(order + "H", data, 2)[0] in _TIFF_MAGICS:
            return _tiff_ends_early(data, order)
    return False


def _boxes_end_early(data: bytes) -> bool:
    at = 0
    while at + 8 <= len(data):
        size = struct.unpack_from(">I", data, at)[0]
        if size == 1:  # a 64-bit size follows the type
            if at + 16 > len(data):
                return True
            size = struct.unpack_from(">Q", data, at + 8)[0]
        elif size == 0:  # the box runs to the end of the file
            return False
        if size < 8:  # not a box chain after all: leave the verdict to the decoder
            return False
        at += size
    return at > len(data)


def _tiff_ends_early(data: bytes, order: str) -> bool:
    pending = [struct.unpack_from(order + "I", data, 4)[0]]
    seen: set[int] = set()
    while pending and len(seen) < _MAX_IFDS:
        at = pending.pop()
        if at == 0 or at in seen:
            continue
        seen.add(at)
        if at + 2 > len(data):
            return True
        count = struct.unpack_from(order + "H", data, at)[0]
        if at + 2 + 12 * count + 4 > len(data):
            return True
        fields: dict[int, list[int]] = {}
        for i in range(count):
            tag, kind, n, _ = struct.unpack_from(order + "HHII", data, at + 2 + 12 * i)
            if tag in (_SUB_IFDS, *(t for pair in _STRIPS for t in pair)):
                values = _values(data, order, at + 2 + 12 * i + 8, kind, n)
                if values is None:
                    return True
                fields[tag] = values
        for offsets, counts in _STRIPS:
            ends = [o + c for o, c in zip(fields.get(offsets, []), fields.get(counts, []), strict=False)]
            if ends and max(ends) > len(data):
                return True
        pending += fields.get(_SUB_IFDS, [])
        pending.append(struct.unpack_from(order + "I", data, at + 2 + 12 * count)[0])
    return False


def _values(data: bytes, order: str, field_at: int, kind: int, count: int) -> list[int] | None:
    """An IFD field's integer values; None when they lie past the end of `data`."""
    size = _VALUE_SIZES.get(kind)
    if size is None or size > 4 and kind != 16 or count > 1 << 20:
        return []  # not an integer field we use
    code = {1: "B", 2: "B", 3: "H", 4: "I", 7: "B", 13: "I", 16: "Q"}[kind]
    at = field_at if size * count <= 4 else struct.unpack_from(order + "I", data, field_at)[0]
    if at + size * count > len(data):
        return None
    return list(struct.unpack_from(f"{order}{count}{code}", data, at))
