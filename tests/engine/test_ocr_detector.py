"""The detector pass on the shipped int8 model (models/build_ocr_detector.py): it finds the
words of a sign, none in a real photo of a flower, and a models folder without it stops the
text step with a model error rather than passing every photo off as unreadable."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from helpers import CALTECH, REPO, text_sign

from cbir_desktop.engine.errors import ModelLoadError
from cbir_desktop.engine.ocr.detector import DETECTOR_FILE, SIDE, TextDetector, detector_model
from cbir_desktop.engine.photos.decode import display_image


def _bgr(path: Path) -> npt.NDArray[np.uint8]:
    return np.ascontiguousarray(np.asarray(display_image(str(path), SIDE).convert("RGB"))[:, :, ::-1])


def test_the_int8_detector_finds_a_sign_and_no_text_on_a_flower(tmp_path: Path) -> None:
    shipped = json.loads((REPO / "models" / "manifest.json").read_text())["ocr_detector"]
    assert detector_model() == REPO / "models" / DETECTOR_FILE == REPO / "models" / shipped["file"]
    assert hashlib.sha256(detector_model().read_bytes()).hexdigest() == shipped["sha256"]
    detector = TextDetector(1)
    sign = text_sign(tmp_path / "sign.jpg", ["PLATFORM 4", "Lisbon"])
    assert detector.has_text(_bgr(sign))
    assert len(detector.boxes(_bgr(sign))) == 2  # one box a line
    assert not detector.has_text(_bgr(CALTECH / "sunflower" / "image_0001.jpg"))


def test_a_models_folder_without_the_detector_is_a_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CBIR_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelLoadError, match="build_ocr_detector"):
        TextDetector(1)
