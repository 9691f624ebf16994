"""The File, View and Help menus: Quit closes the window the normal way; View shows or hides
the People panel; About says what runs where."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from cbir_desktop.ui.dialogs import AboutDialog
from cbir_desktop.version import version_text


def _action(window, menu: str, text: str) -> QAction:
    """The action `text` of menu `menu` in the window's menu bar, found as a person would (by text)."""
    for entry in window.menuBar().actions():
        if entry.text().replace("&", "") == menu:
            for action in entry.menu().actions():
                if action.text().replace("&", "") == text:
                    return action
    raise AssertionError(f"no {menu} → {text} in {[a.text() for a in window.menuBar().actions()]}")


def _about_dialog() -> AboutDialog | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog) and w.isVisible()), None)


def test_menu_bar_has_file_folders_edit_view_help_in_that_order(make_window) -> None:
    window = make_window()
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&Folders", "&Edit", "&View", "&Help"]
    assert _action(window, "File", "Quit").shortcut() == QKeySequence("Ctrl+Q")


def test_view_people_shows_and_hides_the_people_panel(make_window, qtbot) -> None:
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    people = _action(window, "View", "People")
    assert people.isChecked() and people.shortcut() == QKeySequence("Ctrl+Shift+P")
    people.trigger()
    assert not window.people_dock.isVisible() and not people.isChecked()
    people.trigger()
    assert window.people_dock.isVisible()


def test_quit_closes_the_window_and_shuts_its_workers_down(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    qtbot.waitExposed(window)
    _action(window, "File", "Quit").trigger()
    assert not window.isVisible()
    # closeEvent ran shutdown(): no rescan timer, and every operation refuses new work.
    assert not window._rescan_timer.isActive()
    window.search_text("red")
    assert not window._search.running


def test_ctrl_q_quits(make_window, qtbot) -> None:
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    # Sent to the QWindow, the key goes through Qt's shortcut map as a real key press does.
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)


def test_about_shows_version_models_device_library_and_log_folders(
        make_window, photos, qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # where the log folder goes on Linux
    window = make_window([photos])
    qtbot.waitUntil(lambda: window.device_label.toolTip() != "", timeout=10000)  # asked at start-up
    _action(window, "Help", "About…").trigger()  # the model list is read in a worker, then it opens
    qtbot.waitUntil(lambda: _about_dialog() is not None, timeout=10000)
    text = _about_dialog().text()
    assert version_text() in text and version_text().startswith("cbir-desktop ")
    assert "tiny8: Tiny 8-d test model  (current)" in text
    assert "tiny16: Tiny 16-d test model" in text and "tiny16: Tiny 16-d test model  (current)" not in text
    assert "CPU" in text  # what runs the model, as the status bar already knew
    assert str(window.library.root) in text
    assert str(tmp_path / "state" / "cbir-desktop" / "log") in text
    _about_dialog().reject()
    qtbot.waitUntil(lambda: _about_dialog() is None, timeout=5000)
