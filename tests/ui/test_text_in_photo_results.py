"""A search word written in a photo: the window shows that result first, with the words as
written under its thumbnail and the whole snippet in its tooltip."""

from __future__ import annotations

import os

from helpers import search_everything, solid, text_sign
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cbir_desktop.ui.dialogs import SettingsDialog
from cbir_desktop.ui.results_model import CaptionRole


def test_a_photo_found_by_its_written_words_shows_them_under_its_thumbnail(make_window, tmp_path, qtbot) -> None:
    photos = tmp_path / "photos"
    board = text_sign(photos / "board.jpg", ["CAFÉ ZÜRICH", "Fresh bread"])
    solid(photos / "sky.jpg", (90, 140, 200), size=(640, 480))
    window = make_window([photos])  # a new library reads text in photos
    window.resize(900, 600)
    window.show()
    hits = search_everything(window, qtbot, "zurich")
    assert hits[0].path == str(board) and hits[0].source == "text in photo"
    first = window.results.index(0)
    assert window.results.data(first, CaptionRole) == "…[ZÜRICH] Fresh bread"  # from the match on
    assert "text in photo: CAFÉ [ZÜRICH] Fresh bread" in window.results.data(first, Qt.ItemDataRole.ToolTipRole)
    if os.environ.get("CBIR_SHOT"):
        qtbot.wait(300)
        window.grab().save(os.environ["CBIR_SHOT"])


def _settings_dialog():
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible()), None)


def test_reading_text_is_on_in_a_new_library_and_off_in_settings_leaves_new_photos_unread(
        make_window, tmp_path, qtbot) -> None:
    photos = tmp_path / "photos"
    solid(photos / "sky.jpg", (90, 140, 200), size=(640, 480))
    window = make_window([photos])
    window.show()
    signs = tmp_path / "signs"
    text_sign(signs / "board.jpg", ["BAKERY"])
    window.add_folder(str(signs))
    qtbot.waitUntil(lambda: any(hit.source == "text in photo" and hit.path == str(signs / "board.jpg")
                                for hit in window.library.search_text("bakery", k=3)), timeout=60000)
    qtbot.waitUntil(lambda: not window._indexing.running, timeout=30000)

    window.open_settings()
    qtbot.waitUntil(lambda: _settings_dialog() is not None, timeout=10000)
    dialog = _settings_dialog()
    assert dialog.text.isChecked()
    if os.environ.get("CBIR_SHOT"):
        dialog.grab().save(os.environ["CBIR_SHOT"].replace(".png", "_settings.png"))
    dialog.text.setChecked(False)
    dialog.accept()
    qtbot.waitUntil(lambda: not window.library.text_reading, timeout=10000)

    more = tmp_path / "more"
    text_sign(more / "board.jpg", ["PHARMACY"])
    with qtbot.waitSignal(window.index_finished, timeout=30000) as finished:
        window.add_folder(str(more))
    assert finished.args[0].added == 1 and finished.args[0].text_photos == 0
