"""The search bar in a real window: Ctrl+V, the similar-word chips at small sizes, the photo chooser."""

from __future__ import annotations

from pathlib import Path

from helpers import solid
from PySide6.QtCore import QMimeData, QPoint, QRect, QSize, QStandardPaths, Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QPushButton

from cbir_desktop.ui.file_dialogs import PhotoDialog, pictures_folder

# Eight words as the chips show them: long and short, one with a space.
WORDS = ["sunflower", "strawberry", "dalmatian", "airplanes", "motorbikes", "chandelier", "butterfly",
         "grand piano"]


def _names(window) -> list[str]:
    return [Path(h.path).name for h in window.results.hits()]


def _paste_in_field(window, qtbot) -> None:
    window.search_bar.field.setFocus()
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_v_in_the_search_field_with_an_image_searches_by_it(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.yellow)
    QApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        _paste_in_field(window, qtbot)
    assert _names(window)[0] == "yellow.jpg"


def test_ctrl_v_in_the_search_field_with_an_image_file_searches_by_it(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos / "green.jpg"))])  # a file copied in a file manager
    QApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        _paste_in_field(window, qtbot)
    assert _names(window)[0] == "green.jpg"


def test_ctrl_v_in_the_search_field_with_an_image_path_searches_by_it(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    QApplication.clipboard().setText(str(photos / "red.jpg"))
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        _paste_in_field(window, qtbot)
    assert _names(window)[0] == "red.jpg"


def test_ctrl_v_in_the_search_field_with_words_pastes_them_at_the_cursor(make_window, qtbot) -> None:
    window = make_window()
    window.show()
    qtbot.keyClicks(window.search_bar.field, "red  car")
    window.search_bar.field.setCursorPosition(4)
    QApplication.clipboard().setText("sports")
    _paste_in_field(window, qtbot)
    assert window.search_bar.text() == "red sports car"
    assert window._browsing  # no search ran: the words wait for Enter


def test_chips_keep_their_text_width_and_stay_visible_at_640x480(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.resize(640, 480)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("red")  # chips come with a word search, over the results grid
    qtbot.waitUntil(lambda: bool(window.search_bar.chip_words()), timeout=10000)  # the library's words
    window.search_bar.show_chips(WORDS)  # then eight longer ones, as many as the window asks for
    chips = [w for w in window.search_bar.findChildren(QPushButton) if w.text() in WORDS]
    qtbot.waitUntil(lambda: all(chip.isVisible() for chip in chips), timeout=5000)
    QApplication.processEvents()  # the layout settles its lines
    assert window.size() == QSize(640, 480)
    assert sorted(window.search_bar.chip_words()) == sorted(WORDS)
    for chip in chips:
        assert chip.width() >= chip.fontMetrics().horizontalAdvance(chip.text()), chip.text()
        assert chip.visibleRegion().boundingRect() == chip.rect(), f"{chip.text()} is cut off"
        assert window.rect().contains(QRect(chip.mapTo(window, QPoint(0, 0)), chip.size()))
    assert len({chip.y() for chip in chips}) > 1  # they wrapped onto more lines
    window.search_bar.show_chips([])
    qtbot.waitUntil(lambda: window.search_bar.chip_words() == [], timeout=5000)


def test_search_by_photo_starts_in_pictures_shows_a_preview_and_searches(
        make_window, photos, monkeypatch, tmp_path, qtbot) -> None:
    pictures = tmp_path / "Pictures"
    pictures.mkdir()
    query = solid(pictures / "query.png", (210, 30, 25))
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _location: str(pictures))
    window = make_window([photos])
    window.show()
    qtbot.mouseClick(window.search_bar.open_button, Qt.MouseButton.LeftButton)
    dialog = window.search_bar.findChild(PhotoDialog)
    assert dialog is not None and dialog.isVisible()
    assert Path(dialog.directory().absolutePath()) == pictures
    assert not dialog.preview.pixmap() or dialog.preview.pixmap().isNull()
    dialog.currentChanged.emit(str(query))  # the file the person clicked on in the list
    assert not dialog.preview.pixmap().isNull()
    assert max(dialog.preview.pixmap().width(), dialog.preview.pixmap().height()) <= dialog.preview.width() * 2
    field = dialog.file_name_field()
    dialog.activateWindow()  # typed keys reach the field as they do for a person (its focus matters)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    qtbot.keyClicks(field, str(query))
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert _names(window)[0] == "red.jpg"


def test_pictures_folder_falls_back_to_home_when_missing(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _location: str(tmp_path / "no-such-folder"))
    assert pictures_folder() == str(Path.home())
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _location: str(tmp_path))
    assert pictures_folder() == str(tmp_path)
