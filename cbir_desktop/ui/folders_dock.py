"""The Folders dock: the watched folders, Add and Remove, and the files indexing skipped.

It only shows and asks; the window runs the engine calls.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..engine.types import Failure

__all__ = ["FoldersDock"]


class FoldersDock(QDockWidget):
    """Watched folders and skipped files."""

    add_requested = Signal(str)  # a folder the person chose
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Folders", parent)
        self.setObjectName("folders")
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.folder_list = QListWidget()
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
        layout.addWidget(self.skipped)
        self.setWidget(panel)

    def set_read_only(self, reason: str) -> None:
        """Folders cannot be added or removed in a read-only library; say why."""
        for button in (self.add_button, self.remove_button):
            button.setEnabled(not reason)
            button.setToolTip(f"Off: {reason}" if reason else "")

    def set_folders(self, folders: list[str]) -> None:
        self.folder_list.clear()
        self.folder_list.addItems(folders)

    def folders(self) -> list[str]:
        return [self.folder_list.item(i).text() for i in range(self.folder_list.count())]

    def show_skipped(self, failures: Iterable[Failure]) -> None:
        self.skipped.clear()
        for failure in failures:
            QTreeWidgetItem(self.skipped, [failure.path, failure.reason])

    def ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos")
        if folder:
            self.add_requested.emit(folder)

    def _on_remove_clicked(self) -> None:
        item = self.folder_list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.text())
