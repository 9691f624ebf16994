"""File choosers that start where photos are: the user's Pictures folder (home when it is missing).

"Add folder…" keeps the platform's own folder dialog. "Search by photo…" uses Qt's dialog,
because only that one can show a preview of the photo before it is chosen; it stays a
plain QFileDialog, so its file-name field takes a typed path and Enter as usual.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QDir, QSize, QStandardPaths, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel, QLineEdit, QSizePolicy, QWidget
from shiboken6 import isValid

from ..engine.api import PHOTO_EXTENSIONS
from .images import photo_image
from .ops import run_in_background

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

    preview_shown = Signal(str)  # the preview of this file is shown (or "No preview")

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
        self._wanted = ""  # the file whose preview is wanted; older answers are dropped
        self.currentChanged.connect(self._on_current_changed)

    def file_name_field(self) -> QLineEdit:
        """Where a path can be typed (Qt's own field)."""
        field = self.findChild(QLineEdit, "fileNameEdit")
        assert field is not None, "Qt's file dialog always has its file-name field"
        return field

    @Slot(str)
    def _on_current_changed(self, path: str) -> None:
        """Decode the preview in a worker (a 12-MP HEIC takes about 0.3 s): the dialog never freezes."""
        self._wanted = path
        if not os.path.isfile(path):
            self._show_preview(path, None)
            return
        side = round(PREVIEW_SIDE * self.devicePixelRatioF())
        run_in_background(photo_image, path, side, on_result=lambda image: self._show_preview(path, image),
                          on_error=lambda _exc: self._show_preview(path, None))

    def _show_preview(self, path: str, image: QImage | None) -> None:
        """`path`'s preview (None: it does not decode), unless the person moved on or the dialog closed."""
        if not isValid(self) or path != self._wanted:
            return
        if image is None or image.isNull():
            self.preview.clear()
            self.preview.setText("No preview")
        else:
            pixmap = QPixmap.fromImage(image)  # QPixmap: GUI thread only
            pixmap.setDevicePixelRatio(self.devicePixelRatioF())  # sharp on a HiDPI screen
            self.preview.setPixmap(pixmap)
        self.preview_shown.emit(path)
