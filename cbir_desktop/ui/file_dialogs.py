"""File choosers that start where photos are: the user's Pictures folder (home when it is missing).

"Add folder…" keeps the platform's own folder dialog. "Search by photo…" uses Qt's dialog,
because only that one can show a preview of the photo before it is chosen; it stays a
plain QFileDialog, so its file-name field takes a typed path and Enter as usual.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QDir, QSize, QStandardPaths, Qt, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel, QLineEdit, QSizePolicy, QWidget

from ..engine.api import PHOTO_EXTENSIONS
from ..engine.errors import ImageUnreadable
from .images import photo_image

__all__ = ["PHOTO_FILTER", "PhotoDialog", "choose_folder", "choose_photo", "pictures_folder"]

# The engine's one list of photo extensions (what a scan indexes), so the two cannot drift apart.
PHOTO_FILTER = f"Images ({' '.join('*' + ext for ext in PHOTO_EXTENSIONS)});;All files (*)"
PREVIEW_SIDE = 200  # logical pixels: big enough to recognise a photo, small enough to decode at once


def pictures_folder() -> str:
    """The user's Pictures folder, or their home folder where there is none."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return pictures if pictures and os.path.isdir(pictures) else QDir.homePath()


def choose_folder(parent: QWidget | None, title: str) -> str:
    """Ask for a folder, starting in Pictures; "" when cancelled. Blocks in a nested event loop."""
    return QFileDialog.getExistingDirectory(parent, title, pictures_folder())


def choose_photo(parent: QWidget, on_chosen: Callable[[str], None]) -> PhotoDialog:
    """Open the photo chooser (window-modal, not blocking); `on_chosen` gets the chosen file."""
    dialog = PhotoDialog(parent)
    dialog.fileSelected.connect(on_chosen)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class PhotoDialog(QFileDialog):
    """Qt's file dialog for one existing photo, with a preview of the file under the cursor."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "Search by photo", pictures_folder(), PHOTO_FILTER)
        self.setObjectName("photo_dialog")
        self.setOption(QFileDialog.Option.DontUseNativeDialog)  # native dialogs take no extra widget
        self.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        self.preview = QLabel("No preview")
        self.preview.setObjectName("preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(QSize(PREVIEW_SIDE, PREVIEW_SIDE))
        self.preview.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        grid = self.layout()
        if isinstance(grid, QGridLayout):  # Qt's dialog: the file list spans row 1, columns 0-2
            grid.addWidget(self.preview, 1, 3)
        self.currentChanged.connect(self._on_current_changed)

    def file_name_field(self) -> QLineEdit:
        """Where a path can be typed (Qt's own field)."""
        field = self.findChild(QLineEdit, "fileNameEdit")
        assert field is not None, "Qt's file dialog always has its file-name field"
        return field

    @Slot(str)
    def _on_current_changed(self, path: str) -> None:
        pixmap = _small_image(path, round(PREVIEW_SIDE * self.devicePixelRatioF())) if os.path.isfile(path) else None
        if pixmap is None:
            self.preview.clear()
            self.preview.setText("No preview")
            return
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())  # sharp on a HiDPI screen
        self.preview.setPixmap(pixmap)


def _small_image(path: str, side: int) -> QPixmap | None:
    """`path` decoded at most `side` pixels wide and high (JPEGs and RAW previews decode scaled:
    fast), upright as the grid shows it; None when it does not decode."""
    try:
        return QPixmap.fromImage(photo_image(path, side))
    except ImageUnreadable:
        return None
