"""The detector pass: RapidOCR's text detection model alone, on a copy of the photo of at most
960 px, says whether the photo holds text worth recognising. It runs only on the photos the
first pass (first_pass.py) lets through, and recognition (seconds on a receipt) only where it
finds text. It runs an int8 copy of the model (models/build_ocr_detector.py): 4-5 times faster
than the float model on one thread (18 against 89 ms at 224x288, 104 against 459 ms at 480x640),
finding text in the same photos of ../shared/datasets/ocr; recognition keeps the float model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import ModelLoadError
from ..models.manifest import models_dir
from .models import rapid_ocr

DETECTOR_FILE = "ocr_detector_int8.onnx"  # models/build_ocr_detector.py

# Long side of the copy the detector sees. Photos smaller than this are seen as they are. 480 px
# missed 5 of 52 photos with text (small incidental scene text in 1280x720 ICDAR 2015 frames and
# handwriting); 960 px misses 1 (bench/ocr.py).
SIDE = 960
# One box over most of the photo is the model's take on a texture, not text (measured on
# Caltech-101: a third of ordinary photos get one such box); lines of text are smaller.
MAX_LONE_BOX_AREA = 0.25


class TextDetector:
    """Whether a photo holds text, from the detection model at `SIDE` pixels."""

    def __init__(self, threads: int = 1, model: Path | None = None) -> None:
        """`model`: another detection model file (bench/ocr_detector.py compares the float one)."""
        self._engine = rapid_ocr(threads, **{
            "Det.model_path": str(model or detector_model()),
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


def detector_model() -> Path:
    """The int8 detection model shipped with the app's models; raises `ModelLoadError` when it
    is not there (not an OSError: the OCR step would take that for one unreadable photo)."""
    path = models_dir() / DETECTOR_FILE
    if not path.is_file():
        raise ModelLoadError(f"The text detection model {path} is missing; reinstall cbir-desktop "
                             "(or build it with models/build_ocr_detector.py).")
    return path


def _area(box: npt.NDArray[np.float32]) -> float:
    x, y = box[:, 0], box[:, 1]
    return float(abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2)
