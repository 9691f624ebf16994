"""RAW+JPEG pairs in the window: one thumbnail with a RAW badge, "Open RAW" and "Show RAW in
folder" in its menu, the RAW in the Info panel, and a Settings checkbox that turns pairing off."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import COLOURS, solid
from PIL import Image
from PySide6.QtCore import QItemSelectionModel, QObject, QRectF, QUrl, Slot
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import QApplication

from cbir_desktop.sample_photos import write_dng
from cbir_desktop.ui.dialogs import SettingsDialog
from cbir_desktop.ui.results_model import HitRole, ThumbnailRole
from cbir_desktop.ui.results_view import context_menu
from cbir_desktop.ui.thumbnail_delegate import MARGIN


class _Opened(QObject):
    """Receives the URLs the window asks the desktop to open (Qt's own hook for file URLs)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open_url(self, url: QUrl) -> None:
        self.urls.append(url.toLocalFile())


def _pair_folder(root: Path) -> tuple[Path, Path]:
    jpeg = solid(root / "IMG_0001.JPG", "green", size=(96, 96))
    raw = write_dng(root / "img_0001.dng", Image.new("RGB", (96, 96), COLOURS["green"]))
    solid(root / "alone.jpg", "grey", size=(96, 96))
    return jpeg, raw


def _row_of(window, name: str) -> int:
    return next(r for r in range(window.results.rowCount())
                if (hit := window.results.index(r).data(HitRole)) is not None and os.path.basename(hit.path) == name)


def _badge_colour(window, row: int) -> QColor:
    """The colour drawn where a RAW badge goes on the thumbnail of `row` (its left edge)."""
    index = window.results.index(row)
    cell = window.view.visualRect(index)
    side = window.view.delegate.side
    picture = QRectF(cell.x() + MARGIN, cell.y() + MARGIN, side, side)  # square photos fill the box
    badge = window.view.delegate.badge_rect(picture, window.view.font())
    image = window.view.viewport().grab().toImage()
    return image.pixelColor(int(badge.left()) + 2, int(badge.center().y()))


def test_a_pair_is_one_thumbnail_with_a_raw_badge_its_menu_and_info_name_the_raw(
        make_window, tmp_path, qtbot) -> None:
    jpeg, raw = _pair_folder(tmp_path / "photos")
    window = make_window([tmp_path / "photos"])
    window.resize(900, 600)
    window.show()
    qtbot.waitUntil(lambda: window.results.photo_count() == 2, timeout=10000)  # three files, two photos
    pair, alone = _row_of(window, "IMG_0001.JPG"), _row_of(window, "alone.jpg")
    assert window.results.hit(pair).raw_path == str(raw) and window.results.hit(alone).raw_path is None
    qtbot.waitUntil(lambda: all(window.results.index(r).data(ThumbnailRole) is not None for r in (pair, alone)),
                    timeout=10000)
    assert _badge_colour(window, pair).lightness() < 60  # the dark badge over the green photo
    assert _badge_colour(window, alone).lightness() > 100  # the grey photo, no badge

    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open_url")
    try:
        menu = context_menu(window, window, window.results.hit(pair))
        actions = {a.text(): a for a in menu.actions()}
        actions["Open RAW"].trigger()
        actions["Show RAW in folder"].trigger()
        actions["Open"].trigger()
        assert opened.urls == [str(raw), str(raw.parent), str(jpeg)]
        plain = [a.text() for a in context_menu(window, window, window.results.hit(alone)).actions()]
        assert "Open RAW" not in plain and "Show RAW in folder" not in plain
    finally:
        QDesktopServices.unsetUrlHandler("file")

    window.view.selectionModel().select(window.results.index(pair), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    qtbot.waitUntil(lambda: "RAW" in window.info_panel.texts(), timeout=10000)
    assert window.info_panel.texts()["RAW"].replace("\u200b", "").endswith(str(raw))


def test_turning_pairing_off_in_settings_shows_both_files_at_once(make_window, tmp_path, qtbot) -> None:
    _, raw = _pair_folder(tmp_path / "photos")
    window = make_window([tmp_path / "photos"])
    window.show()
    qtbot.waitUntil(lambda: window.results.photo_count() == 2, timeout=10000)

    def dialog() -> SettingsDialog | None:
        return next((w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible()),
                    None)

    window.open_settings()  # what the library says is read in a worker, then the dialog opens
    qtbot.waitUntil(lambda: dialog() is not None, timeout=10000)
    settings = dialog()
    assert settings.pairs.text() == "Show RAW+JPEG pairs as one photo" and settings.pairs.isChecked()
    settings.pairs.setChecked(False)
    with qtbot.waitSignal(window.pairs_changed, timeout=10000):
        settings.accept()
    qtbot.waitUntil(lambda: window.results.photo_count() == 3, timeout=10000)  # the library view read again
    assert str(raw) in [h.path for h in window.results.hits()] and not any(h.raw_path for h in window.results.hits())
    assert not window.library.pairs_as_one
