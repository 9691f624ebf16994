"""Tiny photos in the formats that need a decoder beyond Pillow: HEIC and a camera RAW (DNG).

The bundle's `--self-test` proves it can decode both with what it shipped, and it cannot
read test data from anywhere, so it writes them here at run time: a HEIC through
pillow-heif's encoder, and a DNG written by hand (a DNG is a TIFF with a few extra tags,
and no writer ships with the app). Tests and `bench/decode.py` use the same writers.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["write_dng", "write_heic"]

# TIFF field types used below: (type code, struct format of one value).
_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _SRATIONAL = 1, 2, 3, 4, 5, 10
_FORMATS = {_BYTE: "B", _ASCII: "s", _SHORT: "H", _LONG: "I", _RATIONAL: "II", _SRATIONAL: "ii"}
# XYZ (D65) to linear sRGB: as the DNG's ColorMatrix1 it makes the "camera" an sRGB one,
# so LibRaw's colour conversion gives back the colours the mosaic was made from.
_XYZ_TO_SRGB = (3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570)
_WHITE = 65535

Value = bytes | str | Sequence[int] | Sequence[float]


def write_heic(path: Path, image: Image.Image, orientation: int = 1, quality: int = 80) -> Path:
    """Save `image` as HEIC; `orientation` (EXIF 1-8) is stored as HEIF's own transform."""
    import pillow_heif

    exif = Image.Exif()
    exif[0x0112] = orientation
    heif = pillow_heif.from_pillow(image.convert("RGB"))
    heif.save(path, quality=quality, exif=exif.tobytes())
    return path


def write_dng(path: Path, image: Image.Image, orientation: int = 1, preview: Image.Image | None = None) -> Path:
    """Save `image` as a DNG: an RGGB Bayer mosaic of its linear colours, 16 bits a sample.

    `orientation` (EXIF 1-8) goes in the Orientation tag, as cameras store it. `preview`
    (usually `image` made smaller, stored the same way round: the tag turns both) is
    embedded as a JPEG, as cameras embed theirs; without one LibRaw must demosaic.
    """
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    height, width = linear.shape[:2]
    mosaic = np.empty((height, width), np.uint16)
    scaled = np.round(linear * _WHITE).astype(np.uint16)
    mosaic[0::2, 0::2] = scaled[0::2, 0::2, 0]  # R
    mosaic[0::2, 1::2] = scaled[0::2, 1::2, 1]  # G
    mosaic[1::2, 0::2] = scaled[1::2, 0::2, 1]  # G
    mosaic[1::2, 1::2] = scaled[1::2, 1::2, 2]  # B
    raw_bytes = mosaic.astype("<u2").tobytes()

    out = bytearray(b"II*\0\0\0\0\0")  # little-endian TIFF; IFD0's offset is filled in last
    raw_at = _append(out, raw_bytes)
    raw_ifd: dict[int, tuple[int, Value]] = {
        254: (_LONG, [0]),  # NewSubFileType: the main image
        256: (_LONG, [width]), 257: (_LONG, [height]), 258: (_SHORT, [16]), 259: (_SHORT, [1]),
        262: (_SHORT, [32803]),  # PhotometricInterpretation: CFA
        273: (_LONG, [raw_at]), 277: (_SHORT, [1]), 278: (_LONG, [height]),
        279: (_LONG, [len(raw_bytes)]), 284: (_SHORT, [1]),
        33421: (_SHORT, [2, 2]), 33422: (_BYTE, [0, 1, 1, 2]),  # CFA repeat 2x2, pattern RGGB
        50717: (_LONG, [_WHITE]),  # WhiteLevel
    }
    raw_ifd_at = _append(out, b"")
    out += _ifd(raw_ifd, raw_ifd_at)

    main: dict[int, tuple[int, Value]] = {
        271: (_ASCII, "cbir-desktop"), 272: (_ASCII, "sample DNG"), 274: (_SHORT, [orientation]),
        330: (_LONG, [raw_ifd_at]),  # SubIFDs: the mosaic
        50706: (_BYTE, [1, 4, 0, 0]), 50707: (_BYTE, [1, 1, 0, 0]),  # DNGVersion, DNGBackwardVersion
        50708: (_ASCII, "cbir-desktop sample DNG"),  # UniqueCameraModel
        50721: (_SRATIONAL, _XYZ_TO_SRGB),  # ColorMatrix1
        50728: (_RATIONAL, [1.0, 1.0, 1.0]),  # AsShotNeutral: white balance already neutral
        50778: (_SHORT, [21]),  # CalibrationIlluminant1: D65
    }
    if preview is not None:
        # IFD0 holds the preview, as in cameras' DNGs: a baseline JPEG in one strip.
        buffer = io.BytesIO()
        preview.convert("RGB").save(buffer, "JPEG", quality=90)
        jpeg_at = _append(out, buffer.getvalue())
        main.update({
            254: (_LONG, [1]),  # NewSubFileType: a reduced-resolution copy
            256: (_LONG, [preview.width]), 257: (_LONG, [preview.height]), 258: (_SHORT, [8, 8, 8]),
            259: (_SHORT, [7]), 262: (_SHORT, [6]),  # JPEG, YCbCr
            273: (_LONG, [jpeg_at]), 277: (_SHORT, [3]), 278: (_LONG, [preview.height]),
            279: (_LONG, [len(buffer.getvalue())]), 284: (_SHORT, [1]),
        })
    main_at = _append(out, b"")
    out += _ifd(main, main_at)
    struct.pack_into("<I", out, 4, main_at)
    path.write_bytes(bytes(out))
    return path


def _append(out: bytearray, data: bytes) -> int:
    """Append `data` at the next word boundary (TIFF offsets are even); return its offset."""
    if len(out) % 2:
        out += b"\0"
    at = len(out)
    out += data
    return at


def _ifd(entries: dict[int, tuple[int, Value]], at: int) -> bytes:
    """One IFD as it will sit at file offset `at`, its values over 4 bytes right after it."""
    extra = bytearray()
    extra_at = at + 2 + 12 * len(entries) + 4
    fields = b""
    for tag in sorted(entries):  # TIFF requires ascending tags
        kind, values = entries[tag]
        count, data = _pack(kind, values)
        if len(data) <= 4:
            field = data.ljust(4, b"\0")
        else:
            field = struct.pack("<I", extra_at + len(extra))
            extra += data + b"\0" * (len(data) % 2)
        fields += struct.pack("<HHI", tag, kind, count) + field
    return struct.pack("<H", len(entries)) + fields + struct.pack("<I", 0) + bytes(extra)


def _pack(kind: int, values: Value) -> tuple[int, bytes]:
    """(count, bytes) of a field's values."""
    if kind == _ASCII:
        text = (values if isinstance(values, str) else "").encode("ascii") + b"\0"
        return len(text), text
    if isinstance(values, (bytes, str)):
        raise TypeError("only ASCII fields take text")
    if kind in (_RATIONAL, _SRATIONAL):
        pairs = [part for value in values for part in (round(float(value) * 10000), 10000)]
        return len(values), struct.pack("<" + _FORMATS[kind] * len(values), *pairs)
    return len(values), struct.pack("<" + _FORMATS[kind] * len(values), *(int(v) for v in values))
