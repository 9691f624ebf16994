"""The Folders dock: the watched folders, Add and Remove, and the files indexing skipped.

It only shows and asks; the window runs the engine calls.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..engine.types import Failure
from .eliding import FitWidthDelegate
from .file_dialogs import choose_folder

__all__ = ["FoldersDock"]

FolderRole = Qt.ItemDataRole.UserRole + 20  # the folder an entry stands for ("" for all photos)
ALL_PHOTOS = "All photos"
REASON_WIDTH = 90  # the Skipped files panel's Reason column, at first; the path gets the rest


class FoldersDock(QDockWidget):
    """Watched folders (a click shows a folder's photos) and skipped files."""

    add_requested = Signal(str)  # a folder the person chose
    remove_requested = Signal(str)
    folder_chosen = Signal(object)  # str: show that folder's photos; None: all photos

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Folders", parent)
        self.setObjectName("folders")
        panel = QWidget()
        layout = QVBoxLayout(panel)
        # Long paths are elided in the middle (the folder's or file's own name stays in view, the
        # full path is in the tooltip), so the panel keeps the width it was given.
        self.folder_list = QListWidget()
        self.folder_list.setItemDelegate(FitWidthDelegate(self.folder_list))
        self.folder_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.folder_list.setToolTip("Click a folder to see its photos")
        self.folder_list.currentItemChanged.connect(self._on_folder_list_current_item_changed)
        layout.addWidget(self.folder_list)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add…")
        self.add_button.clicked.connect(self.ask_folder)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Skipped files"))
        self.skipped = QTreeWidget()
        self.skipped.setHeaderLabels(["File", "Reason"])
        self.skipped.setRootIsDecorated(False)
        self.skipped.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.skipped.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the path takes what the reason leaves
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, REASON_WIDTH)
        layout.addWidget(self.skipped)
        self.setWidget(panel)
        self.read_only = ""
        self.set_folders([])

    def set_read_only(self, reason: str) -> None:
        """Folders cannot be added or removed in a read-only library; say why."""
        for button in (self.add_button, self.remove_button):
            button.setEnabled(not reason)
            button.setToolTip(f"Off: {reason}" if reason else "")
        self.read_only = reason
        self._update_remove_button()

    def set_folders(self, folders: list[str]) -> None:
        """List `folders` under "All photos", keeping the chosen entry (if still there) without
        saying it was chosen again."""
        chosen = self.current_folder()
        self.folder_list.blockSignals(True)
        self.folder_list.clear()
        for text, folder in [(ALL_PHOTOS, ""), *((f, f) for f in folders)]:
            item = QListWidgetItem(text)
            item.setData(FolderRole, folder)
            item.setToolTip(folder or "Every photo in the library, newest first")
            self.folder_list.addItem(item)
        self.folder_list.setCurrentRow(folders.index(chosen) + 1 if chosen in folders else 0)
        self.folder_list.blockSignals(False)
        self._update_remove_button()

    def folders(self) -> list[str]:
        items = (self.folder_list.item(i) for i in range(self.folder_list.count()))
        return [item.data(FolderRole) for item in items if item.data(FolderRole)]

    def current_folder(self) -> str | None:
        """The folder whose photos are shown (None: all photos)."""
        item = self.folder_list.currentItem()
        return (item.data(FolderRole) or None) if item is not None else None

    def choose(self, folder: str | None) -> None:
        """Show `folder`'s photos (None: all), as a click on its entry would."""
        row = self.folders().index(folder) + 1 if folder else 0
        self.folder_list.setCurrentRow(row)

    def _on_folder_list_current_item_changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        self._update_remove_button()
        if item is not None:
            self.folder_chosen.emit(item.data(FolderRole) or None)

    def _update_remove_button(self) -> None:
        if not self.read_only:
            self.remove_button.setEnabled(self.current_folder() is not None)

    def show_skipped(self, failures: Iterable[Failure]) -> None:
        self.skipped.clear()
        for failure in failures:
            item = QTreeWidgetItem(self.skipped, [failure.path, failure.reason])
            for column in (0, 1):
                item.setToolTip(column, f"{failure.path}\n{failure.reason}")

    def ask_folder(self) -> None:
        folder = choose_folder(self, "Add a folder of photos")
        if folder:
            self.add_requested.emit(folder)

    def _on_remove_clicked(self) -> None:
        folder = self.current_folder()
        if folder is not None:
            self.remove_requested.emit(folder)
