"""The OCR step on photos rendered with real text: words written in a photo find it (case and
diacritics folded), a photo without text costs only the detector pass, the setting turns the
step off, and an interrupted step carries on where it stopped."""

from __future__ import annotations

import threading
from pathlib import Path

from helpers import solid, text_sign

from cbir_desktop.engine.api import TEXT_SOURCE, open_library
from cbir_desktop.engine.indexing.ocr_step import PHASE
from cbir_desktop.engine.ocr.reader import READER, TextReader
from cbir_desktop.engine.storage.text_rows import count_text_read


def test_a_word_written_in_a_photo_finds_it_with_its_snippet_case_and_accents_folded(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    board = text_sign(photos / "board.jpg", ["CAFÉ ZÜRICH", "Fresh bread", "OPEN DAILY"])
    solid(photos / "plain.jpg", (90, 140, 200), size=(640, 480))
    with open_library(tmp_path / "library") as library:
        library.set_text_reading(True)
        report = library.index([photos])
        assert (report.text_photos, report.text_found) == (2, 1)
        for query in ("zurich", "Zürich", "CAFE", "bread"):
            hits = library.search_text(query, k=5)
            assert hits and hits[0].path == str(board), query
            assert hits[0].source == TEXT_SOURCE
            assert "[" in hits[0].snippet and "]" in hits[0].snippet, hits[0].snippet
        assert "[ZÜRICH]" in library.search_text("zurich", k=5)[0].snippet  # shown as written
        assert all(hit.source != TEXT_SOURCE for hit in library.search_text("bakery", k=5))


def test_a_photo_without_text_gets_only_the_detector_pass(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    plain = solid(photos / "sky.jpg", (90, 140, 200), size=(640, 480))
    text_sign(photos / "board.jpg", ["EXIT 12", "Lisbon"])
    reader = TextReader(1)
    assert not reader.read(str(plain)).detected
    with open_library(tmp_path / "library") as library:
        library.set_text_reading(True)
        library.index([photos])
        read, detected = count_text_read(library.catalogue, READER)
        assert (read, detected) == (2, 1)  # both read, only the sign recognised


def test_text_reading_is_on_in_a_new_library_and_a_library_can_turn_it_off(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    text_sign(photos / "board.jpg", ["PHARMACY"])
    with open_library(tmp_path / "library") as library:
        assert library.text_reading  # a new library reads text, after its photos are searchable
        library.set_text_reading(False)
        assert library.index([photos]).text_photos == 0
        assert not library.search_text("pharmacy", k=5) or all(
            hit.source != TEXT_SOURCE for hit in library.search_text("pharmacy", k=5))
    with open_library(tmp_path / "library") as library:
        assert not library.text_reading  # kept in the catalogue
        library.set_text_reading(True)
        assert library.index([photos]).text_photos == 1  # reads what it had not read
        assert library.search_text("pharmacy", k=5)[0].source == TEXT_SOURCE


def test_a_cancelled_text_step_resumes_with_the_photos_it_had_not_read(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    for n in range(3):
        text_sign(photos / f"sign_{n}.jpg", [f"PLATFORM {n + 1}"], size=(600, 300))
    with open_library(tmp_path / "library") as library:
        library.set_text_reading(True)
        cancel = threading.Event()
        phases = []
        for progress in library.iter_index([photos], cancel=cancel):
            phases.append(progress.phase)
            if progress.phase == PHASE and progress.done == 1:
                cancel.set()  # after the first photo's text is read
        assert phases.index("indexing") < phases.index(PHASE)
        read_before = count_text_read(library.catalogue, READER)[0]
        assert 1 <= read_before < 3
        totals = [p.total for p in library.iter_index([photos]) if p.phase == PHASE]
        assert totals and totals[0] == 3 - read_before  # only the rest
        assert count_text_read(library.catalogue, READER)[0] == 3
        assert not [p for p in library.iter_index([photos]) if p.phase == PHASE]  # nothing left
        assert {Path(h.path).name for h in library.search_text("platform", k=5)} == {
            f"sign_{n}.jpg" for n in range(3)}


def test_cbir_index_no_text_leaves_the_text_for_the_next_run(tiny_models, tmp_path) -> None:
    from cbir_desktop.cli import main

    photos, library_dir = tmp_path / "photos", tmp_path / "library"
    text_sign(photos / "board.jpg", ["PHARMACY"])
    assert main(["--library", str(library_dir), "index", "--no-faces", "--no-text", str(photos)]) == 0
    with open_library(library_dir) as library:
        assert count_text_read(library.catalogue, READER) == (0, 0)  # searchable, text not read yet
        assert library.text_reading  # the setting is untouched
    assert main(["--library", str(library_dir), "index", "--no-faces"]) == 0  # a rescan reads it
    with open_library(library_dir) as library:
        assert library.search_text("pharmacy", k=5)[0].source == TEXT_SOURCE
