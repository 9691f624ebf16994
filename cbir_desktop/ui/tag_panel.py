"""The Tags panel: the selected photo's tags, and the buttons that confirm, reject, add
and write them out. It only shows and asks; the window runs the engine calls."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..engine.types import TagScore
from .eliding import ElidedLabel, FitWidthDelegate

TagRole = Qt.ItemDataRole.UserRole + 10
SOURCE_NAMES = {"yours": "yours", "learned": "your words", "model": "model"}
MIN_SHOWN_SCORE = 0.02  # suggestions below this are noise, not worth a line


class TagPanel(QWidget):
    """Tags of the current photo with their scores and where they come from."""

    confirm_requested = Signal(list)  # list[str]: tags to confirm on the selected photos
    reject_requested = Signal(list)  # list[str]
    add_requested = Signal(str)
    write_xmp_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        # Long file names and tag names are elided: the panel keeps the width it was given.
        self.heading = ElidedLabel()  # the photo's name, or how many are selected
        layout.addWidget(self.heading)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wraps, never widens
        layout.addWidget(self.note)
        self.tag_list = QListWidget()
        self.tag_list.setItemDelegate(FitWidthDelegate(self.tag_list))
        self.tag_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps the score and source at the end
        self.tag_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tag_list.itemDoubleClicked.connect(lambda item: self.confirm_requested.emit([item.data(TagRole)]))
        layout.addWidget(self.tag_list, 1)
        buttons = QHBoxLayout()
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setToolTip("Keep the selected tags: they teach text search your words")
        self.confirm_button.clicked.connect(lambda: self._emit_selected(self.confirm_requested))
        self.reject_button = QPushButton("Reject")
        self.reject_button.setToolTip("The selected tags are wrong for these photos: never suggest them again")
        self.reject_button.clicked.connect(lambda: self._emit_selected(self.reject_requested))
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.reject_button)
        layout.addLayout(buttons)
        self.add_field = QLineEdit()
        self.add_field.setPlaceholderText("Add a tag and press Enter")
        self.add_field.returnPressed.connect(self._on_add_field_return_pressed)
        layout.addWidget(self.add_field)
        self.write_button = QPushButton("Write XMP sidecars")
        self.write_button.setToolTip("Confirmed tags go to .xmp files beside the photos; photos are not modified")
        self.write_button.clicked.connect(self.write_xmp_requested.emit)
        layout.addWidget(self.write_button)
        self.read_only = ""  # why tags cannot be edited ("" when they can)
        self.set_photos([])

    def set_read_only(self, reason: str) -> None:
        """Show tags but turn editing off, saying why (a read-only library)."""
        self.read_only = reason
        for widget in (self.confirm_button, self.reject_button, self.add_field):
            widget.setToolTip(f"Editing is off: {reason}" if reason else widget.toolTip())
        self.set_photos(self.paths)

    def set_photos(self, paths: list[str]) -> None:
        """Which photos the buttons act on; the list is filled later by `set_tags`."""
        self.paths = list(paths)
        enabled = bool(paths)
        for widget in (self.confirm_button, self.reject_button, self.add_field):
            widget.setEnabled(enabled and not self.read_only)
        self.write_button.setEnabled(enabled)
        if not paths:
            self.heading.set_full_text("")
            self.note.setText("Select a photo to see its tags.")
            self.tag_list.clear()
        elif len(paths) == 1:
            self.heading.set_full_text(os.path.basename(paths[0]), tooltip=paths[0])
        else:
            self.heading.set_full_text(f"{len(paths)} photos selected", tooltip=paths[0])
            self.note.setText("The buttons act on all of them; tags shown are the first one's.")
        self.heading.setVisible(bool(paths))
        self.note.setVisible(len(paths) != 1)

    def set_tags(self, tags: list[TagScore]) -> None:
        self.tag_list.clear()
        for tag in tags:
            if tag.source != "yours" and tag.score < MIN_SHOWN_SCORE:
                continue
            mark = "✓ " if tag.source == "yours" else ""
            score = "" if tag.source == "yours" else f"  {tag.score:.2f}"
            item = QListWidgetItem(f"{mark}{tag.tag}{score}  ({SOURCE_NAMES.get(tag.source, tag.source)})")
            item.setData(TagRole, tag.tag)
            item.setToolTip(item.text())  # in full, when the panel is too narrow for it
            self.tag_list.addItem(item)

    def shown_tags(self) -> list[str]:
        return [self.tag_list.item(i).data(TagRole) for i in range(self.tag_list.count())]

    def select_tags(self, tags: list[str]) -> None:
        for i in range(self.tag_list.count()):
            item = self.tag_list.item(i)
            item.setSelected(item.data(TagRole) in tags)

    def _emit_selected(self, signal: SignalInstance) -> None:
        chosen = [item.data(TagRole) for item in self.tag_list.selectedItems()]
        if chosen:
            signal.emit(chosen)

    def _on_add_field_return_pressed(self) -> None:
        text = self.add_field.text().strip()
        if text:
            self.add_field.clear()
            self.add_requested.emit(text)
