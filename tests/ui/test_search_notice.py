"""Words nobody knows and searches with nothing to show: said in the results area, never in
a dialog, with the close spellings as chips (real window, real library, tiny real models)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from cbir_desktop.ui.results_model import CaptionRole


def _no_dialog_open() -> bool:
    return not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog | QMessageBox) and w.isVisible()]


def test_a_clearly_misspelt_word_searches_its_spelling_and_says_so(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    qtbot.keyClicks(window.search_bar.field, "sunflwer")
    with qtbot.waitSignal(window.search_finished, timeout=10000,
                          check_params_cb=lambda _hits: window.search_bar.text() == "sunflower"):
        qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Return)
    # Said above the grid, or on the message page when no tiny-model hit passes the cut-off.
    said = window.notice if window.stack.currentWidget() is window.view else window.message
    assert said.isVisible()
    assert "sunflwer" in said.label.text() and "sunflower" in said.label.text()
    assert "sunflowers" in said.chip_words()  # the other spelling, one click away
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
    chip = window.message.chips.chips()[0]
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert window.search_bar.text() == "airplane"
    assert "airplan”" not in window.message.label.text()  # the question is answered


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
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.view and window.results.photo_count() == 5,
                    timeout=10000)
    assert not window.message.isVisible()


def test_results_end_at_the_relevance_cut_off_and_show_more_goes_past_it(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
        window.search_image(str(photos / "red.jpg"))
    shown = [hit.path for hit in searched.args[0]]
    assert shown[0] == str(photos / "red.jpg") and len(shown) < 5  # the unlike colours wait
    assert all(hit.relevance >= 0.4 for hit in window.results.hits())
    assert window.notice.isVisible() and window.notice.action.isVisible()
    held = 5 - len(shown)
    assert window.notice.action.text() == f"Show {held} weaker match{'es' if held != 1 else ''}"
    assert window.results.index(0).data(CaptionRole) == "100% strong"  # the same scale for every query
    with qtbot.waitSignal(window.search_finished, timeout=10000) as more:
        qtbot.mouseClick(window.notice.action, Qt.MouseButton.LeftButton)
    assert len(more.args[0]) == 5 and window.results.rowCount() == 5
    assert [hit.path for hit in window.results.hits()][:len(shown)] == shown  # appended below
    assert window.results.hit(4).relevance < 0.4 and "weak" in window.results.index(4).data(CaptionRole)
    assert not window.notice.action.isVisible()  # all 5 are shown: nothing more to ask for


def test_key_value_filters_narrow_a_search_and_show_as_chips_that_take_them_away(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    with qtbot.waitSignal(window.search_finished, timeout=10000) as narrowed:
        window.search_text("blue type:png")
    assert window.search_bar.filter_terms() == ["type:png"]
    if window._held_back:
        with qtbot.waitSignal(window.search_finished, timeout=10000) as narrowed:
            window.show_more()
    assert [hit.path for hit in narrowed.args[0]] == [str(photos / "more" / "navy.png")]  # the only PNG
    chip = window.search_bar.filter_chips.chips()[0]
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert window.search_bar.text() == "blue" and window.search_bar.filter_terms() == []


def test_filters_alone_list_their_photos_and_a_filter_matching_nothing_says_so(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    with qtbot.waitSignal(window.search_finished, timeout=10000) as listed:
        window.search_text("type:jpeg")
    assert sorted(Path(hit.path).name for hit in listed.args[0]) == ["blue.jpg", "green.jpg", "red.jpg", "yellow.jpg"]
    assert not window.results.scored  # a listing shows dates, not relevance
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("blue type:gif")
    assert window.stack.currentWidget() is window.message_page
    assert "No photo matches these filters: type:gif" in window.message.label.text()
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("blue year:soon")
    assert "year:soon is not a date" in window.message.label.text() and _no_dialog_open()
