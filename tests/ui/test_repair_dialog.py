"""A damaged catalogue at start-up: one dialog offers Repair, and the window opens on the repaired library."""

from __future__ import annotations

from pathlib import Path

from helpers import solid
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from cbir_desktop.engine.api import open_library
from cbir_desktop.ui.app import _open_or_repair


def _answer(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Press `button` on the dialog once it shows (a real click on the real box)."""
    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        QTimer.singleShot(50, lambda: _answer(button, seen))
        return
    seen.append(box.text())
    box.button(button).click()


def _damaged_library(tmp_path: Path) -> Path:
    lib = tmp_path / "lib"
    with open_library(lib) as library:
        library.index([solid(tmp_path / "photos" / "red.jpg", "red").parent])
        library.edit_tags([tmp_path / "photos" / "red.jpg"], add=["mine"])
        library.train_words()  # relearning backs up the changed work
    catalogue = lib / "catalogue.sqlite"
    catalogue.write_bytes(bytes(catalogue.stat().st_size))  # zeroed
    return lib


def test_repair_from_the_dialog_restores_the_users_tags(qtbot, tiny_models: Path, tmp_path: Path) -> None:
    lib = _damaged_library(tmp_path)
    seen: list[str] = []
    QTimer.singleShot(0, lambda: _answer(QMessageBox.StandardButton.Yes, seen))
    library = _open_or_repair(lib)
    assert library is not None
    try:
        assert "is damaged" in seen[0] and "Repair it now?" in seen[0]
        assert library.user_tags(tmp_path / "photos" / "red.jpg") == {"mine": True}
        assert list(lib.glob("catalogue.damaged-*.sqlite"))  # kept aside, never deleted
    finally:
        library.close()


def test_cancelling_the_dialog_opens_nothing_and_changes_nothing(qtbot, tiny_models: Path, tmp_path: Path) -> None:
    lib = _damaged_library(tmp_path)
    before = (lib / "catalogue.sqlite").read_bytes()
    QTimer.singleShot(0, lambda: _answer(QMessageBox.StandardButton.Cancel, []))
    assert _open_or_repair(lib) is None
    assert (lib / "catalogue.sqlite").read_bytes() == before
