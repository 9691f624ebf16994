"""The Folders and Tags panels: widths that stay put, long paths elided in the middle, Add folder…"""

from __future__ import annotations

from pathlib import Path

from helpers import solid
from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from cbir_desktop.engine.types import Failure

LONG = "a_very_long_folder_name_from_a_camera_import_of_the_summer_holidays_" * 3
LONG_NAME = "IMG_20230815_a_very_long_file_name_that_goes_on_and_on_and_on_and_on.jpg"
LONG_TAG = "an_extraordinarily_long_tag_name_that_nobody_would_ever_type_twice"


def _dock_widths(window) -> tuple[int, int]:
    return window.folders_dock.width(), window.tags_dock.width()


def _settle(qtbot) -> None:
    QApplication.processEvents()
    qtbot.wait(50)  # the main window lays its docks out on a posted event


def test_panel_widths_stay_put_through_searches_and_selections(make_window, tmp_path, qtbot) -> None:
    folder = tmp_path / "photos" / LONG / "sub"
    for name, colour in [("red", "red"), ("blue", "blue"), ("green", "green")]:
        solid(folder / f"{name}_{LONG_NAME}", colour)
    window = make_window([tmp_path / "photos"])
    window.show()
    qtbot.waitExposed(window)
    _settle(qtbot)
    before = _dock_widths(window)
    assert 150 <= before[0] <= 400 and 150 <= before[1] <= 400  # a sensible default

    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("red")
    window.view.setCurrentIndex(window.results.index(0, 0))
    qtbot.waitUntil(lambda: bool(window.tag_panel.shown_tags()), timeout=10000)
    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        window.confirm_tags([LONG_TAG])
    qtbot.waitUntil(lambda: LONG_TAG in window.tag_panel.shown_tags(), timeout=10000)
    window.folders_dock.show_skipped([Failure(str(folder / f"broken_{LONG_NAME}"), "cannot be decoded")])
    window.view.selectAll()
    _settle(qtbot)
    assert _dock_widths(window) == before

    window.resizeDocks([window.folders_dock, window.tags_dock], [320, 180], Qt.Orientation.Horizontal)
    _settle(qtbot)
    chosen = _dock_widths(window)  # the person dragged the separators
    assert chosen != before
    window.view.setCurrentIndex(window.results.index(1, 0))
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_image(str(folder / f"blue_{LONG_NAME}"))
    window.view.setCurrentIndex(window.results.index(0, 0))
    qtbot.waitUntil(lambda: bool(window.tag_panel.shown_tags()), timeout=10000)
    _settle(qtbot)
    assert _dock_widths(window) == chosen


def test_long_paths_are_elided_in_the_middle_with_the_full_path_in_a_tooltip(make_window, tmp_path, qtbot) -> None:
    solid(tmp_path / LONG / "red.jpg", "red")
    window = make_window([tmp_path / LONG])
    dock = window.folders_dock
    qtbot.waitUntil(lambda: dock.folders() == [str(tmp_path / LONG)], timeout=10000)
    path = str(tmp_path / LONG / LONG_NAME)
    dock.show_skipped([Failure(path, "cannot be decoded")])
    window.show()
    qtbot.waitExposed(window)
    _settle(qtbot)
    for view in (dock.folder_list, dock.skipped):
        assert view.textElideMode() == Qt.TextElideMode.ElideMiddle
        assert view.horizontalScrollBar().maximum() == 0  # elided to the width, not scrolled
    item = dock.skipped.topLevelItem(0)
    assert path in item.toolTip(0) and "cannot be decoded" in item.toolTip(0)
    # The path gets what the reason leaves of the panel's width, not the header's default 100 px.
    tree = dock.skipped
    assert tree.columnWidth(0) + tree.columnWidth(1) == tree.viewport().width()
    assert tree.columnWidth(0) > tree.columnWidth(1)
    folder_item = dock.folder_list.item(1)
    assert folder_item.toolTip() == str(tmp_path / LONG)
    assert dock.folder_list.visualItemRect(folder_item).width() <= dock.folder_list.viewport().width()


def test_add_folder_starts_in_pictures(make_window, monkeypatch, tmp_path, qtbot) -> None:
    pictures = tmp_path / "Pictures"
    pictures.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _location: str(pictures))
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kw: asked.append(args) or "")
    window = make_window()
    window.folders_dock.ask_folder()
    assert asked and asked[0][2] == str(pictures)


def test_the_folder_dialog_takes_a_typed_folder_path(monkeypatch, tmp_path, qtbot) -> None:
    """Typing a folder's path in the file-name field and pressing Enter chooses that folder."""
    from cbir_desktop.ui.file_dialogs import choose_folder

    (tmp_path / "Pictures").mkdir()
    photos = tmp_path / "elsewhere" / "photos"
    photos.mkdir(parents=True)
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _location: str(tmp_path / "Pictures"))
    typed = []

    def type_path() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, type_path)
            return
        field = dialog.findChild(QLineEdit, "fileNameEdit")
        typed.append(Path(dialog.directory().absolutePath()))
        dialog.activateWindow()  # typed keys reach the field as they do for a person (its focus matters)
        field.setFocus()
        qtbot.waitUntil(field.hasFocus, timeout=5000)
        qtbot.keyClicks(field, str(photos))
        qtbot.keyClick(field, Qt.Key.Key_Return)
        QTimer.singleShot(2000, dialog.reject)  # if Enter did not choose, the test ends anyway

    QTimer.singleShot(0, type_path)
    assert choose_folder(None, "Add a folder of photos") == str(photos)
    assert typed == [tmp_path / "Pictures"]
