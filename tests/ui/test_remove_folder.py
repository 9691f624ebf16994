"""Removing a folder in the window: it asks first, with the number of photos; Cancel changes
nothing; Remove updates every view at once and keeps the user's tag decisions."""

from __future__ import annotations

from pathlib import Path

from helpers import search_everything, solid
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QMessageBox


def _question() -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == "remove_folder_question" and w.isVisible()),
                None)


def _click_folder(window, qtbot, folder: Path | None) -> None:
    """Click `folder`'s entry in the Folders panel (None: "All photos"), as a person would."""
    folder_list = window.folders_dock.folder_list
    row = window.folders_dock.folders().index(str(folder)) + 1 if folder else 0
    rect = folder_list.visualItemRect(folder_list.item(row))
    with qtbot.waitSignal(window.library_shown, timeout=10000):
        qtbot.mouseClick(folder_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _click_remove(window, qtbot) -> QMessageBox:
    qtbot.mouseClick(window.folders_dock.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _question() is not None, timeout=10000)
    return _question()


def _button(box: QMessageBox, text: str):
    return next(b for b in box.buttons() if b.text().replace("&", "") == text)


def _paths(window) -> list[Path]:
    return [Path(h.path) for h in window.results.hits()]


def test_removing_a_folder_asks_first_and_cancel_changes_nothing(make_window, photos, tmp_path, qtbot) -> None:
    other = tmp_path / "other"
    solid(other / "purple.png", "purple")
    window = make_window([photos, other])
    window.show()
    _click_folder(window, qtbot, photos)
    shown = _paths(window)
    assert len(shown) == 5
    box = _click_remove(window, qtbot)
    assert box.text() == (f"Remove 5 photos of {photos} from the library? "
                          "The photos stay on disk and your tags are kept.")
    assert box.defaultButton() is _button(box, "Cancel")
    qtbot.mouseClick(_button(box, "Cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _question() is None, timeout=10000)
    qtbot.wait(200)  # a removal would have started by now
    assert window.folders_dock.folders() == sorted([str(photos), str(other)])
    assert _paths(window) == shown
    assert window.library.status(check=False).photos == 6


def test_removing_a_folder_updates_every_view_and_keeps_tag_decisions(make_window, photos, tmp_path, qtbot) -> None:
    other = tmp_path / "other"
    solid(other / "purple.png", "purple")
    (photos / "broken.jpg").write_bytes(b"not a photo")  # listed under Skipped files
    window = make_window([photos, other])
    window.show()
    qtbot.waitUntil(lambda: len(window.results.hits()) == 6, timeout=10000)  # the library view: all photos
    assert window.folders_dock.skipped.topLevelItemCount() == 1
    row = next(r for r, p in enumerate(_paths(window)) if p.parent == photos)
    window.view.selectionModel().select(window.results.index(row), QItemSelectionModel.SelectionFlag.Select)
    chosen = window.results.hit(row).path
    qtbot.waitUntil(lambda: window.tag_panel.tag_list.count() > 0, timeout=10000)
    rejected = window.tag_panel.shown_tags()[0]
    window.tag_panel.select_tags([rejected])
    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        qtbot.mouseClick(window.tag_panel.reject_button, Qt.MouseButton.LeftButton)
    assert window.library.user_tags(chosen) == {rejected: False}

    _click_folder(window, qtbot, photos)
    box = _click_remove(window, qtbot)
    with qtbot.waitSignal(window.folder_removed, timeout=10000):
        qtbot.mouseClick(_button(box, "Remove"), Qt.MouseButton.LeftButton)
    # Every view shows it at once, without a new search or a restart.
    assert window.folders_dock.folders() == [str(other)]
    assert window.folders_dock.current_folder() is None  # the folder shown has gone: all photos
    qtbot.waitUntil(lambda: _paths(window) == [other / "purple.png"], timeout=10000)
    assert window.folders_dock.skipped.topLevelItemCount() == 0
    assert window.tag_panel.paths == [] and window.tag_panel.tag_list.count() == 0
    assert "Removed" in window.status_label.text()
    assert window.library.status(check=False).photos == 1
    assert all(p.exists() for p in [photos / "blue.jpg", photos / "broken.jpg"])  # files stay on disk

    with qtbot.waitSignal(window.index_finished, timeout=20000):
        window.add_folder(str(photos))  # added again: the rejection comes back
    assert window.library.user_tags(chosen) == {rejected: False}


def test_removing_a_folder_drops_its_photos_from_the_search_results(make_window, photos, tmp_path, qtbot) -> None:
    other = tmp_path / "other"
    solid(other / "purple.png", "purple")
    window = make_window([photos, other])
    window.show()
    search_everything(window, qtbot, "blue")
    assert {p.parent for p in _paths(window)} >= {photos, other}
    window.remove_folder(str(photos))
    qtbot.waitUntil(lambda: _question() is not None, timeout=10000)
    with qtbot.waitSignal(window.folder_removed, timeout=10000):
        qtbot.mouseClick(_button(_question(), "Remove"), Qt.MouseButton.LeftButton)
    assert _paths(window) == [other / "purple.png"]  # the search stays, without the removed photos
    assert window.search_bar.text() == "blue"
