"""Camera RAW files through LibRaw (rawpy): the embedded preview when it will do, else a demosaic.

Most cameras embed a full-colour JPEG preview (1-24 MP) in every RAW file. When it is at
least as large as the caller needs (`min_side`) and shows the whole frame, decoding it
is 10-50x faster than demosaicing the sensor data (bench/decode.py). Otherwise (an old
camera with a 160x120 thumbnail, a letterboxed or cropped preview) LibRaw demosaics at
half size, which bins each 2x2 Bayer cell into one pixel with no interpolation, and at
full size only when half would be smaller than `min_side`.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from ..errors import ImageTooLarge, ImageUnreadable
from .extents import ends_early
from .formats import TRUNCATED, UNRECOGNISED, sniffed_problem, unknown_raw_reason

# LibRaw's `flip` (dcraw's convention) to the EXIF Orientation it came from.
_FLIP_TO_ORIENTATION = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}
# A preview whose aspect ratio differs more than this from the sensor's is letterboxed
# or cropped (some cameras pad a 3:2 frame into a 4:3 preview): demosaic instead.
_ASPECT_TOLERANCE = 0.03
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def decode_raw(path: str, data: bytes, min_side: int, pixel_limit: int) -> tuple[Image.Image, int, int]:
    """Decode a camera RAW file's bytes: (upright RGB image, full width, full height).

    The image's shorter side is at least `min_side` unless the sensor is smaller. Raises
    `ImageUnreadable` with a reason a person can act on, `ImageTooLarge` over `pixel_limit`.
    """
    import rawpy

    if ends_early(data):  # LibRaw would read the missing rows as black
        raise ImageUnreadable(path, TRUNCATED)
    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            width, height = raw.sizes.width, raw.sizes.height
            if width <= 0 or height <= 0:
                raise ImageUnreadable(path, "the RAW file has no image")
            if width * height > pixel_limit:
                raise ImageTooLarge(path, width * height, pixel_limit)
            orientation = _FLIP_TO_ORIENTATION.get(raw.sizes.flip, 1)
            image = _preview(raw, width, height, orientation, min_side) or _demosaic(raw, width, height, min_side)
    except (rawpy.LibRawFileUnsupportedError, rawpy.LibRawIOError, rawpy.LibRawDataError) as exc:
        problem = sniffed_problem(data)  # text, or another format, under a RAW name?
        if problem != UNRECOGNISED:
            pass
        elif isinstance(exc, rawpy.LibRawFileUnsupportedError):
            problem = unknown_raw_reason()
        else:
            problem = f"the RAW file is damaged ({_message(exc)})"
        raise ImageUnreadable(path, problem) from exc
    except (rawpy.LibRawTooBigError, rawpy.LibRawUnsufficientMemoryError, rawpy.LibRawMemPoolOverflowError) as exc:
        raise ImageUnreadable(path, f"the RAW image is too large to decode ({_message(exc)})") from exc
    except rawpy.LibRawError as exc:
        raise ImageUnreadable(path, f"decoding the RAW file failed ({_message(exc)})") from exc
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return image, width, height


def _preview(raw: Any, width: int, height: int, orientation: int, min_side: int) -> Image.Image | None:
    """The embedded preview, upright, when it is big enough and shows the whole frame; else None."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError:  # a damaged preview: the sensor data may still read
        return None
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            jpeg = Image.open(io.BytesIO(thumb.data))
            if min(jpeg.size) < min_side:
                return None
            own = jpeg.getexif().get(0x0112, 1)
            jpeg.draft("RGB", _draft_size(jpeg.size, min_side))
            image = jpeg.convert("RGB")
        else:  # a bitmap (rare): already RGB pixels
            image = Image.fromarray(thumb.data).convert("RGB")
            own = 1
    except (OSError, SyntaxError, ValueError):
        return None
    if min(image.size) < min_side:
        return None
    ratio, sensor = image.width / image.height, width / height
    if abs(ratio / sensor - 1) <= _ASPECT_TOLERANCE:  # stored like the sensor: turn it as the RAW says
        turn = own if own != 1 else orientation
    elif orientation in (5, 6, 7, 8) and abs(ratio * sensor - 1) <= _ASPECT_TOLERANCE:
        turn = 1  # a camera that stored its preview already upright
    else:
        return None  # letterboxed or cropped: not the whole frame
    return _oriented(image, turn)


def _demosaic(raw: Any, width: int, height: int, min_side: int) -> Image.Image:
    """Demosaic the sensor data with the camera's white balance; upright (LibRaw applies the flip)."""
    half = min(width, height) // 2 >= min_side
    pixels = raw.postprocess(half_size=half, use_camera_wb=True, output_bps=8)
    return Image.fromarray(pixels, "RGB")


def _draft_size(size: tuple[int, int], min_side: int) -> tuple[int, int]:
    scale = min_side / min(size)
    return int(size[0] * scale) + 1, int(size[1] * scale) + 1


def _oriented(image: Image.Image, orientation: int) -> Image.Image:
    """`image` turned as EXIF `orientation` says (the table of Pillow's `exif_transpose`)."""
    method = _TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


def _message(exc: BaseException) -> str:
    """rawpy's messages are bytes reprs ("b'Input/output error'"): the words only."""
    arg = exc.args[0] if exc.args else ""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return text.strip() or type(exc).__name__
