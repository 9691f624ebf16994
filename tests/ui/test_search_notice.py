"""Words nobody knows and searches with nothing to show: said in the results area, never in
a dialog, with the close spellings as chips (real window, real library, tiny real models)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox


def _no_dialog_open() -> bool:
    return not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog | QMessageBox) and w.isVisible()]


def test_a_clearly_misspelt_word_searches_its_spelling_and_says_so(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    qtbot.keyClicks(window.search_bar.field, "sunflwer")
    with qtbot.waitSignal(window.search_finished, timeout=10000,
                          check_params_cb=lambda hits: len(hits) > 0):
        qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Return)
    assert window.search_bar.text() == "sunflower"
    assert window.stack.currentWidget() is window.view
    assert window.notice.isVisible()
    assert "sunflwer" in window.notice.label.text() and "sunflower" in window.notice.label.text()
    assert "sunflowers" in window.notice.chip_words()  # the other spelling, one click away
    assert _no_dialog_open()


def test_an_unclear_misspelling_offers_clickable_spellings(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("airplan")  # airplane or airplay: one edit each
    assert window.stack.currentWidget() is window.message_page
    assert "airplan" in window.message.label.text()
    words = window.message.chip_words()
    assert words[:2] == ["airplane", "airplay"]
    assert window.results.rowCount() == 0 and _no_dialog_open()
    chip = window.message.chips_row.itemAt(0).widget()
    with qtbot.waitSignal(window.search_finished, timeout=10000,
                          check_params_cb=lambda hits: len(hits) > 0):
        qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert window.search_bar.text() == "airplane"
    assert window.stack.currentWidget() is window.view
    assert not window.message.isVisible()


def test_a_word_with_nothing_to_match_says_so(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("qwxz")
    assert window.stack.currentWidget() is window.message_page
    assert "Nothing matches" in window.message.label.text() and "qwxz" in window.message.label.text()
    assert window.message.chip_words() == []
    assert _no_dialog_open()
    # Clearing the search goes back to the library view.
    qtbot.mouseClick(window.search_bar.field, Qt.MouseButton.LeftButton)
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.view and window.results.rowCount() == 5,
                    timeout=10000)
    assert not window.message.isVisible()
