"""The OCR step's first pass with the shipped model: a photo of a sign goes on to be read, real
Caltech photos without text are turned away before the detector (even one whose wing pattern
the detector takes for text), are recorded as read by this reader, and a library of such
photos never loads the OCR models. A model without the shipped classifier head gets no first pass."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Generator
from pathlib import Path

import numpy as np
from helpers import CALTECH, text_sign

from cbir_desktop.engine.api import TEXT_SOURCE, open_library
from cbir_desktop.engine.indexing.ocr_step import TextReport, first_pass_for, read_text_step
from cbir_desktop.engine.ocr.detector import SIDE
from cbir_desktop.engine.ocr.reader import READER, TextReader
from cbir_desktop.engine.photos.decode import display_image
from cbir_desktop.engine.storage.text_rows import photos_needing_text

SUNFLOWER = "sunflower/image_0001.jpg"  # a flower on black: no text
BUTTERFLY = "butterfly/image_0069.jpg"  # no text, but the detector at 960 px sees text in its wings


def _caltech(folder: Path, *sources: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(CALTECH / source, folder / source.replace("/", "_"))) for source in sources]


def _finish(step: Generator[object, None, TextReport]) -> TextReport:
    while True:
        try:
            next(step)
        except StopIteration as stop:
            return stop.value


def _read_text(library_dir: Path, photos: Path, reader: TextReader) -> TextReport:
    """Index `photos` with the shipped model, text off, then run the OCR step with `reader`
    and the library's first pass."""
    with open_library(library_dir) as library:
        library.index([photos], faces=False, text=False)
        first_pass = first_pass_for(library._handles, library.embedder())
        assert first_pass is not None  # the shipped model's classifier head ships
        return _finish(read_text_step(library.catalogue, [str(photos)], threading.Event(),
                                      reader=lambda: reader, first_pass=first_pass))


def test_a_sign_is_read_and_caltech_photos_without_text_are_turned_away(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    sign = text_sign(photos / "sign.jpg", ["PLATFORM 4", "Lisbon"])
    _, butterfly = _caltech(photos, SUNFLOWER, BUTTERFLY)
    reader = TextReader(1)
    report = _read_text(tmp_path / "library", photos, reader)
    assert (report.photos, report.passed, report.with_text) == (3, 1, 1)
    with open_library(tmp_path / "library") as library:
        hits = library.search_text("lisbon", k=3)
        assert hits[0].path == str(sign) and hits[0].source == TEXT_SOURCE
        # All three are read by this reader (none is read again next time); a new reader reads them all.
        assert not photos_needing_text(library.catalogue, READER)
        assert len(photos_needing_text(library.catalogue, READER + 1)) == 3
    # What the first pass saved: the detector alone would have sent the butterfly on to recognition.
    wings = np.asarray(display_image(str(butterfly), SIDE).convert("RGB"))[:, :, ::-1].copy()
    assert reader.has_text(wings)


def test_a_library_of_photos_without_text_never_loads_the_ocr_models(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    _caltech(photos, SUNFLOWER, BUTTERFLY)
    reader = TextReader(1)
    report = _read_text(tmp_path / "library", photos, reader)
    assert (report.photos, report.passed, report.detected) == (2, 0, 0)
    assert not reader.models_loaded


def test_a_model_without_the_shipped_classifier_head_gets_no_first_pass(tiny_models, tmp_path: Path) -> None:
    with open_library(tmp_path / "library") as library:
        assert first_pass_for(library._handles, library.embedder()) is None
