"""Settings' "Widen look-alike searches": on in a new library; off is kept in the library, and
on again brings the neighbours up to date in an indexing run."""

from __future__ import annotations

from helpers import solid
from PySide6.QtWidgets import QApplication

from cbir_desktop.ui.dialogs import SettingsDialog


def _settings_dialog(qtbot, window) -> SettingsDialog:
    window.open_settings()
    qtbot.waitUntil(lambda: _open_dialog() is not None, timeout=10000)
    dialog = _open_dialog()
    assert dialog is not None
    return dialog


def _open_dialog() -> SettingsDialog | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible()), None)


def test_widening_look_alike_searches_turns_off_and_on_again_with_an_indexing_run(
        make_window, tmp_path, qtbot) -> None:
    photos = tmp_path / "photos"
    solid(photos / "sky.jpg", (90, 140, 200), size=(320, 240))
    solid(photos / "grass.jpg", (60, 160, 60), size=(320, 240))
    window = make_window([photos])
    window.show()
    dialog = _settings_dialog(qtbot, window)
    assert dialog.expansion.isChecked() and dialog.expansion.isEnabled()  # on in a new library
    dialog.expansion.setChecked(False)
    dialog.accept()
    qtbot.waitUntil(lambda: not window.library.image_expansion, timeout=10000)

    dialog = _settings_dialog(qtbot, window)
    assert not dialog.expansion.isChecked()
    dialog.expansion.setChecked(True)
    with qtbot.waitSignal(window.index_finished, timeout=30000):
        dialog.accept()
    assert window.library.image_expansion
