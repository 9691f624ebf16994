"""Which photo a typed line of text finds first among photos whose text holds it: the shop's
own receipt (its name written as a heading) before a photo that mentions the name further
down, the words in a row before scattered, a misread name before a photo with one common word.
The texts are stored as the OCR step stores them, in a real library of photos of one colour
(which the step itself skips without loading a model)."""

from __future__ import annotations

from pathlib import Path

from helpers import solid

from cbir_desktop.engine.api import TEXT_SOURCE, open_library
from cbir_desktop.engine.ocr.reader import READER
from cbir_desktop.engine.storage.text_rows import store_text

ITEMS = [f"ITEM {n} NOODLES 1 X 4.50 4.50" for n in range(1, 25)]
TEXTS = {
    # The shop's own receipt: its name first, then a long list of items (bm25 likes it less).
    "asia_receipt": "\n".join(["ASIA MART", "NO 12 JALAN BESAR", *ITEMS, "TOTAL 108.00"]),
    # A short note that names the shop near its end, twice: bm25 puts it first.
    "card_slip": "\n".join(["CARD SLIP", "VISA 4421", "APPROVED", "MERCHANT ASIA MART", "ASIA MART MALL"]),
    "golden_gate": "\n".join(["GOLDEN GATE BAKERY", "FRESH BREAD DAILY"]),
    "scattered": "\n".join(["GATE 7 GOLDEN", "HOUR GATE"]),
    "misread_teo": "\n".join(["TED HENG STATIONERY & BOOKS", "NO 1 JALAN"]),
    "books_word": "\n".join(["BOOKS"]),
}


def _library_with_texts(tmp_path: Path):  # -> (Library, {name: path})
    photos = tmp_path / "photos"
    paths = {name: solid(photos / f"{name}.png", (20 * n, 90, 160)) for n, name in enumerate(TEXTS)}
    library = open_library(tmp_path / "library")
    library.index([photos], faces=False)
    ids = {name: photo_id for photo_id, name in _names(library).items()}
    with library.catalogue.transaction("text"):
        for name, text in TEXTS.items():
            store_text(library.catalogue, ids[name], READER, True, text)
    return library, paths


def _names(library) -> dict[int, str]:  # noqa: ANN001
    return {row[0]: Path(row[1].decode()).stem for row in library.catalogue.db.execute("SELECT id, path FROM photos")}


def _text_hits(library, query: str) -> list[str]:  # noqa: ANN001
    return [Path(hit.path).stem for hit in library.search_text(query, k=10) if hit.source == TEXT_SOURCE]


def test_the_shop_whose_name_heads_its_receipt_comes_before_a_slip_naming_it_lower(tiny_models, tmp_path) -> None:
    library, _ = _library_with_texts(tmp_path)
    with library:
        by_bm25 = [row[0] for row in library.catalogue.db.execute(
            "SELECT rowid FROM photo_text WHERE photo_text MATCH '\"ASIA\" AND \"MART\"' ORDER BY rank")]
        assert [_names(library)[i] for i in by_bm25] == ["card_slip", "asia_receipt"]  # what full-text rank alone says
        assert _text_hits(library, "Asia Mart") == ["asia_receipt", "card_slip"]


def test_words_written_in_a_row_come_before_the_same_words_scattered(tiny_models, tmp_path) -> None:
    library, _ = _library_with_texts(tmp_path)
    with library:
        assert _text_hits(library, "golden gate")[:2] == ["golden_gate", "scattered"]


def test_a_misread_shop_name_is_found_before_a_photo_holding_one_common_word_of_it(tiny_models, tmp_path) -> None:
    library, _ = _library_with_texts(tmp_path)
    with library:
        assert _text_hits(library, "TEO HENG STATIONERY & BOOKS")[:2] == ["misread_teo", "books_word"]


def test_photos_of_one_colour_are_read_without_loading_the_text_models(tmp_path) -> None:
    from cbir_desktop.engine.ocr.reader import TextReader

    reader = TextReader(1)
    for n, size in enumerate(((64, 48), (640, 480), (8, 400))):
        assert not reader.read(str(solid(tmp_path / f"flat_{n}.jpg", (200, 40 + n, 90), size=size))).detected
    assert not reader.models_loaded
