"""The detector pass: RapidOCR's text detection model alone, on a copy of the photo of at most
960 px, says whether the photo holds text worth recognising. It runs only on the photos the
first pass (first_pass.py) lets through, and recognition (seconds on a receipt) only where it
finds text. It costs about 0.1 s on a 300 x 200 photo and more on larger ones (2 cores)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .models import rapid_ocr

# Long side of the copy the detector sees. Photos smaller than this are seen as they are. 480 px
# missed 5 of 52 photos with text (small incidental scene text in 1280x720 ICDAR 2015 frames and
# handwriting); 960 px misses 1 (bench/ocr.py).
SIDE = 960
# One box over most of the photo is the model's take on a texture, not text (measured on
# Caltech-101: a third of ordinary photos get one such box); lines of text are smaller.
MAX_LONE_BOX_AREA = 0.25


class TextDetector:
    """Whether a photo holds text, from the detection model at `SIDE` pixels."""

    def __init__(self, threads: int = 1) -> None:
        self._engine = rapid_ocr(threads, **{
            "Det.limit_side_len": SIDE, "Det.limit_type": "max", "Global.use_preprocess_img": False})

    def boxes(self, bgr: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.float32]]:
        """The text boxes (4 corner points each) the model finds in a BGR photo."""
        found = self._engine(bgr, use_det=True, use_cls=False, use_rec=False).boxes
        return [] if found is None else [np.asarray(box, np.float32) for box in found]

    def has_text(self, bgr: npt.NDArray[np.uint8]) -> bool:
        boxes = self.boxes(bgr)
        if len(boxes) != 1:
            return len(boxes) > 1
        height, width = bgr.shape[:2]
        return bool(_area(boxes[0]) < MAX_LONE_BOX_AREA * width * height)


def _area(box: npt.NDArray[np.float32]) -> float:
    x, y = box[:, 0], box[:, 1]
    return float(abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2)
