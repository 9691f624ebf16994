"""Reading photo files into upright RGB Pillow images, fast and defensively.

Pillow reads the common formats (HEIC/HEIF through pillow-heif's plugin), `raw.py`
camera RAW files; `formats.py` says which extension goes where. Every failure becomes
an `ImageUnreadable` whose reason is a few plain words, so the indexer can record it
against the file and carry on with the rest.
"""

from __future__ import annotations

import errno
import hashlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from ..errors import ImageTooLarge, ImageUnreadable
from .extents import ends_early
from .formats import RAW_EXTENSIONS, TRUNCATED, extension, heif_available, missing_decoder, sniffed_problem
from .raw import decode_raw

# Photos above this many pixels are refused: a 30000x30000 PNG would need 2.7 GB
# as RGB. 200 MP still admits every camera sold today (the largest are ~150 MP).
DEFAULT_PIXEL_LIMIT = 200_000_000

FULL_SIZE = 1 << 30  # as `min_side`: no downscaled decoding, no RAW preview (it is smaller)

# We check the limit ourselves (with a clear reason); Pillow's own bomb check
# would only warn below 2x its limit and raise a less helpful error above it.
Image.MAX_IMAGE_PIXELS = None
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class DecodedPhoto:
    """A decoded photo plus the facts the catalogue keeps about its file."""

    image: Image.Image  # RGB, upright (EXIF/HEIF/RAW orientation applied), possibly downscaled
    width: int  # full-resolution size, after orientation
    height: int
    content_hash: bytes
    size: int
    keywords: tuple[str, ...] = ()  # embedded XMP dc:subject and IPTC Keywords


def content_hash(data: bytes) -> bytes:
    """Hash of a file's bytes; recognises a moved or renamed photo."""
    return hashlib.blake2b(data, digest_size=16).digest()


def read_file_bytes(path: str) -> bytes:
    """Read a whole file, turning OS errors into reasons a person understands."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise ImageUnreadable(path, "no such file") from exc
    except PermissionError as exc:
        raise ImageUnreadable(path, "permission denied") from exc
    except IsADirectoryError as exc:
        raise ImageUnreadable(path, "it is a folder, not a file") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImageUnreadable(path, "symbolic link loop") from exc
        raise ImageUnreadable(path, exc.strerror or str(exc)) from exc


def decode_photo(
    path: str,
    min_side: int = 224,
    pixel_limit: int = DEFAULT_PIXEL_LIMIT,
    data: bytes | None = None,
) -> DecodedPhoto:
    """Decode `path` to upright RGB with its shorter side at least `min_side` pixels
    (smaller only when the photo is); a huge `min_side` asks for the full size.

    JPEGs are decoded with Pillow's draft mode (DCT scaling), which is 2-3x faster
    on large photos since the model only needs a small image anyway; RAW files use
    their embedded preview when it is large enough (`raw.py`).
    """
    if data is None:
        data = read_file_bytes(path)
    if not data:
        raise ImageUnreadable(path, "the file is empty")
    problem = missing_decoder(path)
    if problem is not None:
        raise ImageUnreadable(path, problem)
    if extension(path) in RAW_EXTENSIONS:
        image, width, height = decode_raw(path, data, min_side, pixel_limit)
        keywords: tuple[str, ...] = ()
    else:
        image, width, height, keywords = _decode_with_pillow(path, data, min_side, pixel_limit)
    return DecodedPhoto(image, width, height, content_hash(data), len(data), keywords)


def _decode_with_pillow(
    path: str, data: bytes, min_side: int, pixel_limit: int
) -> tuple[Image.Image, int, int, tuple[str, ...]]:
    """(upright RGB image, full width, full height, embedded keywords) of any format Pillow opens."""
    heif_available()  # registers the HEIF plugin, so a HEIC under any name opens
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on odd EXIF/ICC data
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as exc:
            raise ImageUnreadable(path, sniffed_problem(data)) from exc
        except Exception as exc:  # noqa: BLE001 - any codec failure is a reason
            raise ImageUnreadable(path, f"damaged image header ({_short(exc)})") from exc
        if ends_early(data):  # libheif fills missing HEIC tiles with black, and says nothing
            raise ImageUnreadable(path, TRUNCATED)
        width, height = image.size
        if width * height > pixel_limit:
            raise ImageTooLarge(path, width * height, pixel_limit)
        if width <= 0 or height <= 0:
            raise ImageUnreadable(path, "the image has no pixels")
        keywords = _embedded_keywords(image)
        try:
            drafted, orientation = _draft(image, min_side)
            rgb = _to_rgb(drafted)
        except ImageUnreadable:
            raise
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageUnreadable(path, _reason(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - a plugin may raise anything on a bad file: skip it
            raise ImageUnreadable(path, f"decoding failed ({_short(exc)})") from exc
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return rgb, width, height, keywords


def display_image(path: str, max_side: int = 0) -> Image.Image:
    """The photo as the window shows it: upright RGB, at most `max_side` pixels wide and high
    (0: full size), decoded as the index and the thumbnails decode it, so all three agree.

    Blocking; raises `ImageUnreadable` with the reason.
    """
    photo = decode_photo(path, min_side=max_side or FULL_SIZE)
    image = photo.image
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def _embedded_keywords(image: Image.Image) -> tuple[str, ...]:
    """Keywords a photo already carries: XMP dc:subject and IPTC Keywords (2:25)."""
    from PIL import IptcImagePlugin

    from ..photos.sidecars import read_keywords

    words = read_keywords(image.info.get("xmp"))
    try:
        iptc = IptcImagePlugin.getiptcinfo(image) or {}  # type: ignore[arg-type]  # any Image works
    except Exception:  # noqa: BLE001 - damaged IPTC blocks are common and harmless
        iptc = {}
    raw = iptc.get((2, 25), [])
    for value in raw if isinstance(raw, list) else [raw]:
        word = value.decode("utf-8", "replace").strip() if isinstance(value, bytes) else str(value)
        if word and word not in words:
            words.append(word)
    return tuple(words)


def _draft(image: Image.Image, min_side: int) -> tuple[Image.Image, int]:
    """Ask the JPEG decoder for the smallest DCT scale keeping `min_side`, load, and turn the
    image upright; (image, the EXIF orientation that was applied)."""
    if image.format == "JPEG" and min(image.size) > min_side:
        scale = min_side / min(image.size)
        image.draft("RGB", (int(image.width * scale) + 1, int(image.height * scale) + 1))
    image.load()
    # Read after loading: Pillow turns a TIFF upright itself as it loads (and drops the tag).
    orientation = image.getexif().get(0x0112, 1)
    # Orientation is applied after the draft so DCT scaling still works, and in place: an
    # upright 12-MP HEIC would otherwise be copied for nothing (40 ms, 10% of its decode).
    ImageOps.exif_transpose(image, in_place=True)
    return image, orientation


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any mode (16-bit, palette, CMYK, alpha) to 8-bit RGB."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # Pillow's convert() clips 16-bit values at 255 (a white image); scale instead.
        array = np.asarray(image, dtype=np.float32)
        top = float(array.max()) if array.size else 0.0
        if top > 255.0:  # 16-bit data: map the full 16-bit range onto 8 bits
            scale = 255.0 / 65535.0
        elif mode == "F" and top <= 1.0:  # float images in [0, 1]
            scale = 255.0
        else:
            scale = 1.0
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
        return Image.fromarray(array, mode="L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Transparent areas become white, as a viewer would show them on a page.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _reason(exc: BaseException) -> str:
    text = str(exc).lower()
    if "truncated" in text or "end of file" in text or isinstance(exc, EOFError):
        return TRUNCATED
    return f"damaged image data ({_short(exc)})"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


COLOUR_BINS = 8  # per channel: an 8x8x8 = 512-bin RGB histogram
COLOUR_DIM = COLOUR_BINS**3


def colour_signature(image: Image.Image) -> np.ndarray:
    """Hellinger-normalised RGB histogram (unit length): recognises near-duplicates.

    A crop or re-encode of a photo keeps its colour distribution almost exactly,
    which CNN features (tuned to tell categories apart) do not capture; on the
    Caltech-101 face crops it alone finds the original first 96% of the time.
    """
    array = np.asarray(image.convert("RGB") if image.mode != "RGB" else image)
    quantised = (array >> 5).astype(np.int32)  # 256 / 8 = 32 levels per bin
    codes = (quantised[..., 0] * COLOUR_BINS + quantised[..., 1]) * COLOUR_BINS + quantised[..., 2]
    counts = np.bincount(codes.ravel(), minlength=COLOUR_DIM).astype(np.float32)
    signature: npt.NDArray[np.float32] = np.sqrt(counts / max(float(counts.sum()), 1.0)).astype(np.float32)
    return signature
