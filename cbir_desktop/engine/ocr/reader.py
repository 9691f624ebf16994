"""Reading the text in one photo the first pass let through: a pixel check that needs no model,
the detector pass next, recognition only where it found text. `READER` is the version stored with every photo
read, so a better reader reads them all again. The models load when a photo first needs them:
a library of photos that cannot hold text (tiny or of one flat colour) never loads them.
Photos are read on a thread of their own at the lowest priority (engine/idle_thread.py), so
indexing new photos, searching and the window keep the cores while text is read."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..idle_thread import IdleThread
from ..photos.decode import display_image
from .detector import SIDE, TextDetector
from .models import rapid_ocr
from .pixels import cannot_hold_text

# 2: recognition no longer enlarges small photos before finding their lines; 3: the OCR step's
# class first pass (first_pass.py) turns photos away before this reader sees them
READER = 3
MIN_SCORE = 0.5  # recognised lines below this confidence are left out
DECODE_SIDE = 2000  # receipts' small print needs the pixels; RapidOCR's own upper limit
# Recognition finds the lines again on the photo as decoded, never enlarged: RapidOCR's default
# enlarges the short side to 736 px, 12 times the pixels of a 300x200 photo, and made recognising
# a Caltech photo take 5.1 s against 1.1 s, with the same words read; SROIE receipts (440-2480 px
# wide) still read their company name and total, 1.5 times faster (measured at load 12-14).
RECOGNISER: dict[str, object] = {
    "Global.text_score": MIN_SCORE, "Det.limit_type": "max", "Det.limit_side_len": DECODE_SIDE}


@dataclass(frozen=True)
class PhotoText:
    """What the reader found: `detected` whether the first pass saw text, `text` the lines
    recognised (one per line; "" when none)."""

    detected: bool
    text: str


class TextReader:
    """The detector and the recogniser, loaded once and used photo after photo."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._detector: TextDetector | None = None  # made when a photo first needs the detector
        self._recogniser: Any = None  # made when a photo first shows text
        self._lock = threading.Lock()  # one photo at a time: the engines are not shared safely
        self.idle = IdleThread("text-reader")  # where photos are read (and the models made)

    def read(self, path: str) -> PhotoText:
        """The text in the photo at `path`, read on the idle-priority thread; raises
        `ImageUnreadable` when it cannot be decoded."""
        return self.idle.run(self._read, path)

    def _read(self, path: str) -> PhotoText:
        small = _bgr(display_image(path, SIDE))  # a large JPEG decodes at a fraction of its size
        if cannot_hold_text(small) or not self.has_text(small):
            return PhotoText(False, "")
        bgr = _bgr(display_image(path, DECODE_SIDE))
        with self._lock:
            if self._recogniser is None:
                self._recogniser = rapid_ocr(self.threads, **RECOGNISER)
            lines = self._recogniser(bgr).txts or ()
        return PhotoText(True, "\n".join(line.strip() for line in lines if line.strip()))

    def has_text(self, small: npt.NDArray[np.uint8]) -> bool:
        """The detector pass on a BGR copy of at most `SIDE` pixels (loading the model on first use)."""
        with self._lock:
            if self._detector is None:
                self._detector = TextDetector(self.threads)
            return self._detector.has_text(small)

    @property
    def models_loaded(self) -> bool:
        """Whether a photo has needed the models yet (tests: photos of one colour never do)."""
        return self._detector is not None


def _bgr(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The photo as RapidOCR takes it: BGR bytes, as OpenCV reads them."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


@lru_cache(maxsize=2)
def shared_reader(threads: int) -> TextReader:
    """One reader per process (per thread count): loading the models takes about a second,
    and indexing runs again and again while the window watches folders."""
    return TextReader(threads)
