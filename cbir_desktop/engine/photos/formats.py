"""The one list of photo file extensions, and which decoder reads each.

The scanner walks, the file dialogs offer and the decoder accepts exactly these names.
A format whose decoder is missing (pillow-heif or rawpy not installed, a Pillow built
without AVIF) stays on the list: its files are listed as skipped with "format not
supported" and what to install, never silently ignored.
"""

from __future__ import annotations

import functools
import os

from PIL import features

from .extents import ends_early

# Read by Pillow; the value is the Pillow feature a format needs beyond the core, if any.
PILLOW_EXTENSIONS: dict[str, str | None] = {
    ".jpg": None, ".jpeg": None, ".jpe": None, ".jfif": None, ".png": None, ".gif": None,
    ".bmp": None, ".dib": None, ".tif": None, ".tiff": None, ".webp": "webp", ".avif": "avif",
}
# HEIC/HEIF from phones and cameras (.hif: Canon, Sony), through pillow-heif's Pillow plugin.
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif"})
# Camera RAW files LibRaw opens (through rawpy); DNG too, which Pillow would misread as a
# TIFF and return only its small first-IFD thumbnail.
RAW_EXTENSIONS = frozenset({
    ".3fr", ".arw", ".cr2", ".cr3", ".crw", ".dcr", ".dng", ".erf", ".fff", ".iiq", ".k25", ".kdc", ".mef",
    ".mos", ".mrw", ".nef", ".nrw", ".orf", ".pef", ".raf", ".raw", ".rw2", ".rwl", ".sr2", ".srf", ".srw",
    ".x3f",
})
# Photo formats we recognise but cannot decode: listed so their files are reported.
UNREADABLE_EXTENSIONS = {".jxl": "JPEG XL"}

PHOTO_EXTENSIONS: tuple[str, ...] = tuple(sorted(
    {*PILLOW_EXTENSIONS, *HEIF_EXTENSIONS, *RAW_EXTENSIONS, *UNREADABLE_EXTENSIONS}
))
_PHOTO_EXTENSION_SET = frozenset(PHOTO_EXTENSIONS)

NOT_SUPPORTED = "format not supported"
TRUNCATED = "the file is truncated (incomplete download or copy)"
UNRECOGNISED = f"{NOT_SUPPORTED} (unrecognised content)"


def extension(name: str) -> str:
    """The lower-case extension of a file name, with its dot ("" when none)."""
    return os.path.splitext(name)[1].lower()


def is_photo_name(name: str) -> bool:
    """True when a file name has one of the photo extensions (readable here or not)."""
    return extension(name) in _PHOTO_EXTENSION_SET


def missing_decoder(name: str) -> str | None:
    """Why files named like `name` cannot be decoded here (a sentence fragment), or None."""
    ext = extension(name)
    if ext in UNREADABLE_EXTENSIONS:
        return f"{NOT_SUPPORTED} ({UNREADABLE_EXTENSIONS[ext]})"
    if ext in HEIF_EXTENSIONS and not heif_available():
        return f"{NOT_SUPPORTED}: HEIC/HEIF needs the pillow-heif package, which is not installed"
    if ext in RAW_EXTENSIONS and not raw_available():
        return f"{NOT_SUPPORTED}: camera RAW files need the rawpy package, which is not installed"
    feature = PILLOW_EXTENSIONS.get(ext)
    if feature is not None and not features.check(feature):
        return f"{NOT_SUPPORTED}: this Pillow was built without {feature.upper()} (Pillow 11.3 or later has it)"
    return None


def worth_retrying(name: str, reason: str) -> bool:
    """True when the failure recorded for an unchanged file may no longer hold: the decoder it
    lacked has been installed since, or rawpy brought another LibRaw (newer cameras)."""
    if not reason.startswith(f"{NOT_SUPPORTED}:") or missing_decoder(name) is not None:
        return False
    return not (extension(name) in RAW_EXTENSIONS and reason.startswith(unknown_raw_reason()))


def unknown_raw_reason() -> str:
    """What a RAW file LibRaw does not know is skipped with; it names LibRaw's version."""
    return f"{NOT_SUPPORTED}: LibRaw {libraw_version()} does not recognise this RAW file"


@functools.cache
def libraw_version() -> str:
    import rawpy

    return ".".join(str(part) for part in rawpy.libraw_version)


@functools.cache
def heif_available() -> bool:
    """Register pillow-heif's Pillow plugin once; False when it is not installed.

    Registered, Pillow opens HEIF by its content, so a HEIC saved as .jpg reads too.
    """
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


@functools.cache
def raw_available() -> bool:
    """True when rawpy (LibRaw) imports."""
    try:
        import rawpy  # noqa: F401 - only whether it imports
    except ImportError:
        return False
    return True


# Leading bytes of photo formats that can hide behind another extension.
_SIGNATURES = (
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_AVIF_BRANDS = (b"avif", b"avis")


def sniffed_problem(data: bytes) -> str:
    """Why Pillow did not recognise a file's `data`: a photo format we know but cannot read
    ("format not supported (JPEG XL)"), a cut-short or damaged HEIF or AVIF, text ("not an
    image file", e.g. an HTML error page saved as .jpg), else "format not supported
    (unrecognised content)"."""
    head = data[:512]
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return f"{NOT_SUPPORTED} ({name})"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS + _AVIF_BRANDS:
        kind = ".heic" if head[8:12] in _HEIF_BRANDS else ".avif"
        damaged = f"damaged {kind[1:].upper()} file (its header does not read)"
        return missing_decoder(kind) or (TRUNCATED if ends_early(data) else damaged)
    text = head[:512].decode("utf-8", "replace")
    if text.strip() and _mostly_printable(text):
        return "not an image file (it holds text)"
    return UNRECOGNISED


def _mostly_printable(text: str) -> bool:
    """Text, as opposed to binary data: nearly every character printable or a line break."""
    good = sum((ch.isprintable() and ch != "\ufffd") or ch in "\r\n\t" for ch in text)
    return good >= 0.95 * len(text)
