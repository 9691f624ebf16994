"""Reading the text in one photo: the cheap detector pass first, recognition only where it
found text. `READER` is the version stored with every photo read, so a better reader reads
them all again."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..photos.decode import display_image
from .detector import SIDE, TextDetector
from .models import rapid_ocr

READER = 1
DECODE_SIDE = 2000  # receipts' small print needs the pixels; RapidOCR's own upper limit
MIN_SCORE = 0.5  # recognised lines below this confidence are left out


@dataclass(frozen=True)
class PhotoText:
    """What the reader found: `detected` whether the first pass saw text, `text` the lines
    recognised (one per line; "" when none)."""

    detected: bool
    text: str


class TextReader:
    """The detector and the recogniser, loaded once and used photo after photo."""

    def __init__(self, threads: int = 1) -> None:
        self.detector = TextDetector(threads)
        self.threads = threads
        self._recogniser: Any = None  # made when a photo first shows text
        self._lock = threading.Lock()  # one photo at a time: the engines are not shared safely

    def read(self, path: str) -> PhotoText:
        """The text in the photo at `path`; raises `ImageUnreadable` when it cannot be decoded."""
        small = _bgr(display_image(path, SIDE))  # a large JPEG decodes at a fraction of its size
        with self._lock:
            if not self.detector.has_text(small):
                return PhotoText(False, "")
        bgr = _bgr(display_image(path, DECODE_SIDE))
        with self._lock:
            if self._recogniser is None:
                self._recogniser = rapid_ocr(self.threads, **{"Global.text_score": MIN_SCORE})
            lines = self._recogniser(bgr).txts or ()
        return PhotoText(True, "\n".join(line.strip() for line in lines if line.strip()))


def _bgr(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The photo as RapidOCR takes it: BGR bytes, as OpenCV reads them."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


@lru_cache(maxsize=2)
def shared_reader(threads: int) -> TextReader:
    """One reader per process (per thread count): loading the models takes about a second,
    and indexing runs again and again while the window watches folders."""
    return TextReader(threads)
