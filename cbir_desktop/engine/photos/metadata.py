"""What a photo's own metadata says (EXIF, HEIF, RAW, XMP), read once at indexing time.

The indexer hands over the bytes it has already read for decoding, so this costs a header parse
(about 0.5 ms), not another read; photos indexed before metadata was read get it from the head of
the file. Pillow reads EXIF from JPEG, TIFF, PNG, WebP and the TIFF-based RAW formats (DNG, NEF,
CR2, ARW...); pillow-heif, when installed, gives it HEIF's; rawpy, when installed, gives a RAW's
real pixel size (Pillow sees only its preview). Both are optional and imported on first need.

Nothing here raises: a damaged EXIF block, an impossible date, a GPS position no receiver
measured or a value out of range becomes "unknown" with a note saying why
(`PhotoMetadata.notes`), and the photo is indexed all the same.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

from PIL import Image

from ..types import PhotoMetadata
from .cameras import tidy_lens, tidy_make, tidy_model
from .capture_time import CaptureTime, file_time, parse_capture_time, same_clock, with_offset
from .formats import HEIF_EXTENSIONS, RAW_EXTENSIONS
from .gps import exif_position, xmp_position
from .places import place_of
from .sidecars import read_properties, sidecar_properties

log = logging.getLogger(__name__)

# Bump when the reader learns something new: rows stored by an older reader are read again on
# the next indexing run (without running the image model).
READER_VERSION = 1

RAW_SUFFIXES = RAW_EXTENSIONS  # the one list (formats.py)
HEIF_SUFFIXES = HEIF_EXTENSIONS | {".avif"}
# File types for a type filter: Pillow's format names, "RAW" for RAW files whatever Pillow saw,
# and the extension's when Pillow could not open the file.
_FILE_TYPES = {"MPO": "JPEG", "JPG": "JPEG", "JPE": "JPEG", "TIF": "TIFF", "HEIC": "HEIF", "HIF": "HEIF"}

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _ORIENTATION, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
_ORIGINAL, _DIGITIZED = 0x9003, 0x9004
_OFFSET, _OFFSET_ORIGINAL, _OFFSET_DIGITIZED = 0x9010, 0x9011, 0x9012
_SUBSEC, _SUBSEC_ORIGINAL, _SUBSEC_DIGITIZED = 0x9290, 0x9291, 0x9292
_EXPOSURE, _FNUMBER, _ISO, _APERTURE_VALUE, _FOCAL, _LENS_MODEL = 0x829A, 0x829D, 0x8827, 0x9202, 0x920A, 0xA434

_XMP_DATES = ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate")
_XMP_NAMES = (*_XMP_DATES, "exif:GPSLatitude", "exif:GPSLongitude", "aux:Lens", "exifEX:LensModel",
              "tiff:Make", "tiff:Model")

# Values no camera records (each range holds every camera and lens made): outside, unknown with a note.
_RANGES = {
    "focal length": (0.1, 5000.0),  # mm
    "aperture": (0.7, 256.0),  # f-number; f/0.7 is the fastest lens ever used (Zeiss, for NASA)
    "exposure time": (1e-6, 86400.0),  # seconds
    "ISO": (1.0, 10_000_000.0),
}


@dataclass
class _Header:
    """What the file's container gave: EXIF IFDs, its XMP packet, its upright pixel size."""

    source: str  # where a date found in the EXIF comes from: "exif", "heif" or "raw"
    file_type: str | None = None
    ifd0: Mapping[int, object] = field(default_factory=dict)
    exif: Mapping[int, object] = field(default_factory=dict)
    gps: Mapping[int, object] = field(default_factory=dict)
    xmp: bytes | str | None = None
    size: tuple[int, int] | None = None


def read_metadata(path: str, data: bytes | None = None, mtime_ns: int | None = None,
                  size: tuple[int, int] | None = None) -> PhotoMetadata:
    """The metadata of the photo at `path` (from `data`, its bytes, when the caller has them).

    `mtime_ns` is the file's modification time (the date of last resort; stat'ed when not given);
    `size` the upright pixel size when the decoder knows it. Blocking file I/O on the calling
    thread (any thread); never raises: what cannot be read is None, with a note.
    """
    notes: list[str] = []
    try:
        return _read(path, data, mtime_ns, size, notes)
    except Exception as exc:  # noqa: BLE001 - bad metadata must never stop indexing
        log.warning("Metadata of %s unreadable: %s", path, exc)
        notes.append(f"metadata unreadable ({_short(exc)})")
        taken = _file_time(path, mtime_ns, notes)
        return PhotoMetadata(taken_local=taken.local if taken else None, taken_offset=taken.offset if taken else None,
                             taken_utc=taken.utc if taken else None, notes=tuple(dict.fromkeys(notes)))


def _read(path: str, data: bytes | None, mtime_ns: int | None, size: tuple[int, int] | None,
          notes: list[str]) -> PhotoMetadata:
    header = _read_header(path, data, notes)
    sidecar = sidecar_properties(path, _XMP_NAMES)
    embedded = read_properties(header.xmp, _XMP_NAMES)
    xmp = {**embedded, **sidecar}  # a sidecar's word wins over the copy inside the file
    taken, source = _capture_time(header, sidecar, embedded, notes)
    if taken is None:
        taken, source = _file_time(path, mtime_ns, notes), "file"
    make_raw = header.ifd0.get(_MAKE) or xmp.get("tiff:Make")
    lat, lon, gps_note = exif_position(header.gps)
    if lat is None and not gps_note:
        lat, lon, gps_note = xmp_position(xmp.get("exif:GPSLatitude"), xmp.get("exif:GPSLongitude"))
    if gps_note:
        notes.append(gps_note)
    place, place_note = place_of(lat, lon) if lat is not None and lon is not None else (None, "")
    if place_note:
        notes.append(place_note)
    width, height = size or header.size or (None, None)
    exposure = _exposure(header.exif, notes)
    return PhotoMetadata(
        taken_local=taken.local if taken else None, taken_offset=taken.offset if taken else None,
        taken_utc=taken.utc if taken else None, taken_source=source,
        make=tidy_make(make_raw), model=tidy_model(header.ifd0.get(_MODEL) or xmp.get("tiff:Model"), make_raw),
        lens=tidy_lens(header.exif.get(_LENS_MODEL)) or tidy_lens(xmp.get("exifEX:LensModel"))
        or tidy_lens(xmp.get("aux:Lens")),
        focal_mm=exposure.get("focal length"), aperture=exposure.get("aperture"),
        exposure_s=exposure.get("exposure time"), iso=int(exposure["ISO"]) if "ISO" in exposure else None,
        width=width, height=height, lat=lat, lon=lon,
        city=place.city if place else None, region=place.region if place else None,
        country=place.country if place else None, country_code=place.country_code if place else None,
        file_type=header.file_type, notes=tuple(dict.fromkeys(notes)),
    )


# -- the container ------------------------------------------------------------------------------
def _read_header(path: str, data: bytes | None, notes: list[str]) -> _Header:
    suffix = os.path.splitext(path)[1].lower()
    raw = suffix in RAW_SUFFIXES
    heif = suffix in HEIF_SUFFIXES and _heif_opener()
    named = suffix.lstrip(".").upper()
    header = _Header("raw" if raw else "heif" if suffix in HEIF_SUFFIXES else "exif",
                     "RAW" if raw else _FILE_TYPES.get(named, named) or None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on damaged EXIF; the notes say it instead
        try:
            image = Image.open(io.BytesIO(data) if data is not None else path)
        except Exception as exc:  # noqa: BLE001 - any reader failure leaves the metadata unknown
            notes.append(_unopened(suffix, raw, heif, exc))
            image = None
        if image is not None:
            with image:
                _fill_from_image(header, image, raw, notes)
    if raw:
        header.size = _raw_size(path, data, notes)
    return header


def _fill_from_image(header: _Header, image: Image.Image, raw: bool, notes: list[str]) -> None:
    if image.format in ("HEIF", "AVIF"):
        header.source = "heif"
    if not raw and image.format:
        header.file_type = _FILE_TYPES.get(image.format, image.format)
    header.ifd0, header.exif, header.gps = _exif(image, notes)
    header.xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    orientation = header.ifd0.get(_ORIENTATION, 1)
    width, height = image.size
    header.size = (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _exif(image: Image.Image, notes: list[str]) -> tuple[dict[int, object], dict[int, object], dict[int, object]]:
    """IFD0, the EXIF IFD and the GPS IFD; a block Pillow can make nothing of gets a note."""
    try:
        tags = image.getexif()
        ifd0 = dict(tags)
    except Exception as exc:  # noqa: BLE001 - damaged EXIF blocks are common
        notes.append(f"EXIF block unreadable ({_short(exc)})")
        return {}, {}, {}
    found = []
    for pointer in (_EXIF_IFD, _GPS_IFD):
        try:
            found.append(dict(tags.get_ifd(pointer)))
        except Exception as exc:  # noqa: BLE001
            notes.append(f"EXIF {'GPS ' if pointer == _GPS_IFD else ''}block unreadable ({_short(exc)})")
            found.append({})
    block = image.info.get("exif")
    if isinstance(block, bytes) and len(block) > 14 and not ifd0 and not any(found):
        notes.append("EXIF block damaged: nothing in it could be read")
    return ifd0, found[0], found[1]


def _unopened(suffix: str, raw: bool, heif: bool, exc: Exception) -> str:
    if suffix in HEIF_SUFFIXES and not heif:
        return "metadata unknown: reading HEIF files needs pillow-heif, which is not installed"
    if raw:
        return f"camera metadata unknown: {suffix.upper().lstrip('.')} RAW files are not read (only TIFF-based ones)"
    return f"metadata unreadable ({_short(exc)})"


def _raw_size(path: str, data: bytes | None, notes: list[str]) -> tuple[int, int] | None:
    """A RAW file's upright pixel size from libraw (Pillow sees its preview); None without rawpy."""
    try:
        import rawpy
    except ImportError:
        notes.append("pixel size unknown: RAW files need rawpy, which is not installed")
        return None
    try:
        raw = rawpy.RawPy()
        try:
            if data is not None:
                raw.open_buffer(io.BytesIO(data))
            else:
                raw.open_file(path)
            sizes = raw.sizes
        finally:
            raw.close()
    except Exception as exc:  # noqa: BLE001 - libraw refuses what it cannot read
        notes.append(f"RAW pixel size unreadable ({_short(exc)})")
        return None
    width, height = int(sizes.width), int(sizes.height)
    return (height, width) if sizes.flip in (5, 6) else (width, height)


_heif_lock = threading.Lock()
_heif_state: bool | None = None


def _heif_opener() -> bool:
    """Register pillow-heif's opener with Pillow once, if it is installed (decode.py may have)."""
    global _heif_state
    with _heif_lock:
        if _heif_state is None:
            try:
                from pillow_heif import register_heif_opener

                register_heif_opener()
                _heif_state = True
            except ImportError:
                _heif_state = False
        return _heif_state


# -- the fields ---------------------------------------------------------------------------------
def _capture_time(header: _Header, sidecar: Mapping[str, str], embedded: Mapping[str, str],
                  notes: list[str]) -> tuple[CaptureTime | None, str]:
    """The first usable date: EXIF DateTimeOriginal, then XMP (the sidecar's, then the file's), then
    EXIF DateTimeDigitized and DateTime; each one refused says why in `notes`."""
    exif, ifd0 = header.exif, header.ifd0
    candidates: list[tuple[str, str, object, object, object]] = [
        (header.source, "EXIF DateTimeOriginal", exif.get(_ORIGINAL) or ifd0.get(_ORIGINAL),
         exif.get(_OFFSET_ORIGINAL), exif.get(_SUBSEC_ORIGINAL)),
    ]
    for where, props in (("sidecar", sidecar), ("XMP", embedded)):
        candidates += [("xmp", f"{where} {name}", props.get(name), None, None) for name in _XMP_DATES]
    candidates += [
        (header.source, "EXIF DateTimeDigitized", exif.get(_DIGITIZED), exif.get(_OFFSET_DIGITIZED),
         exif.get(_SUBSEC_DIGITIZED)),
        (header.source, "EXIF DateTime", ifd0.get(_DATETIME), exif.get(_OFFSET), exif.get(_SUBSEC)),
    ]
    for source, label, value, offset, subsec in candidates:
        taken, note = parse_capture_time(value, offset, subsec)
        if note:
            notes.append(f"{label}: {note}")
        if taken is None:
            continue
        if taken.date_only:
            notes.append(f"{label} gives the day, not the time")
        if label == "EXIF DateTime":  # a camera writes it when it takes the photo, an editor when it saves
            notes.append("time from EXIF DateTime (no DateTimeOriginal): an editor may have changed it")
        if taken.offset is None:
            taken = _offset_from_xmp(taken, (sidecar, embedded))
        return taken, source
    return None, "file"


def _offset_from_xmp(taken: CaptureTime, sources: tuple[Mapping[str, str], ...]) -> CaptureTime:
    """EXIF before 2.31 had no time zone; an XMP copy of the same time often has it."""
    for props in sources:
        for name in _XMP_DATES:
            other, _ = parse_capture_time(props.get(name))
            if other is not None and other.offset is not None and same_clock(taken, other):
                return with_offset(taken, other.offset)
    return taken


def _file_time(path: str, mtime_ns: int | None, notes: list[str]) -> CaptureTime | None:
    try:
        return file_time(mtime_ns if mtime_ns is not None else os.stat(path).st_mtime_ns)
    except (OSError, ValueError, OverflowError) as exc:
        notes.append(f"no file date ({_short(exc)})")
        return None


def _exposure(exif: Mapping[int, object], notes: list[str]) -> dict[str, float]:
    """Focal length, aperture, exposure time and ISO that a camera could have recorded."""
    aperture = _number(exif.get(_FNUMBER))
    if aperture is None and (apex := _number(exif.get(_APERTURE_VALUE))) is not None and apex < 40:
        aperture = 2 ** (apex / 2)  # APEX aperture value: f-number = 2^(Av/2)
    values = {"focal length": _number(exif.get(_FOCAL)), "aperture": aperture,
              "exposure time": _number(exif.get(_EXPOSURE)), "ISO": _number(exif.get(_ISO))}
    kept: dict[str, float] = {}
    for name, value in values.items():
        if value is None:
            continue
        low, high = _RANGES[name]
        if low <= value <= high:
            kept[name] = value
        else:
            notes.append(f"{name} {value:.3g} is out of range")
    return kept


def _number(value: object) -> float | None:
    """A float from an EXIF value (IFDRational, int, a one-item tuple); None for 0/0 (unknown)."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # IFDRational and ints alike
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return None if number != number or number in (float("inf"), float("-inf")) else number


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
