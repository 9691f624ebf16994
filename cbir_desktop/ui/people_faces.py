"""A person's faces as crops with checkboxes, to decide about many at once.

Two uses: the faces suggested for a person ("Confirm checked" confirms the checked ones and
says "Not Anna" for the rest), and a person's own faces (check the wrong ones, "Not Anna"
takes them away; the context menu does it for one face). It only shows and asks.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.types import PersonFace, PersonGroup
from .people_panel import placeholder, plural

__all__ = ["CROP_SIDE", "FaceRole", "FacesDialog"]

FaceRole = Qt.ItemDataRole.UserRole + 31  # the PersonFace an item shows
CROP_SIDE = 96  # each face, in pixels


class FacesDialog(QDialog):
    """Faces of one person, each checkable; the buttons decide about the checked ones."""

    confirmed = Signal(list, list)  # face ids: (confirmed as theirs, not theirs)
    not_them = Signal(list)  # face ids the person said are not theirs
    faces_wanted = Signal(list)  # list[PersonFace] to crop

    def __init__(self, parent: QWidget | None, person: PersonGroup, review: bool) -> None:
        super().__init__(parent)
        self.person = person
        self.review = review  # suggestions to confirm; else the person's own faces
        name = person.name or "this person"
        self.setObjectName("review_dialog" if review else "faces_dialog")
        self.setWindowTitle(f"Suggestions for {name}" if review else f"Faces of {name}")
        layout = QVBoxLayout(self)
        self.label = QLabel(f"Is this {name}? Uncheck the faces that are not." if review else
                            f"Check the faces that are not {name}, then “Not {name}”.")
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(CROP_SIDE, CROP_SIDE))
        self.list.setGridSize(QSize(CROP_SIDE + 24, CROP_SIDE + 30))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setMinimumSize(4 * (CROP_SIDE + 24) + 24, 2 * (CROP_SIDE + 30) + 8)
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.list.itemChanged.connect(self._update_decide)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_list_context_menu)
        layout.addWidget(self.list, 1)
        self.buttons = QDialogButtonBox()
        self.check_all = QPushButton("Check all")
        self.check_all.clicked.connect(lambda: self._check_every(True))
        self.check_none = QPushButton("Check none")
        self.check_none.clicked.connect(lambda: self._check_every(False))
        role = QDialogButtonBox.ButtonRole
        self.buttons.addButton(self.check_all, role.ResetRole)
        self.buttons.addButton(self.check_none, role.ResetRole)
        if review:
            self.decide = QPushButton(f"Confirm checked, not {name} for the rest")
        else:
            self.decide = QPushButton(f"Not {name}")
        self.decide.setDefault(True)
        self.decide.clicked.connect(self._on_decide_clicked)
        self.buttons.addButton(self.decide, role.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.reject)
        layout.addWidget(self.buttons)
        self.faces: list[PersonFace] = []
        self.resize(600, 460)

    def set_faces(self, faces: list[PersonFace], crops: dict[int, QPixmap]) -> None:
        """Show `faces` (checked when reviewing suggestions, unchecked otherwise), with the crops
        already read; the others are asked for."""
        self.faces = list(faces)
        self.list.clear()
        for number, face in enumerate(faces, 1):
            item = QListWidgetItem(str(number))
            item.setData(FaceRole, face)
            item.setToolTip(face.path)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if self.review else Qt.CheckState.Unchecked)
            item.setIcon(QIcon(crops.get(face.face_id) or placeholder(CROP_SIDE)))
            self.list.addItem(item)
        if not faces:
            self.label.setText("No faces left to decide about." if self.review else "No faces.")
        self._update_decide()
        missing = [face for face in faces if face.face_id not in crops]
        if missing:
            self.faces_wanted.emit(missing)

    def set_face(self, face_id: int, pixmap: QPixmap) -> None:
        for item in self.items():
            if item.data(FaceRole).face_id == face_id:
                item.setIcon(QIcon(pixmap))

    def items(self) -> list[QListWidgetItem]:
        return [self.list.item(row) for row in range(self.list.count())]

    def checked(self, state: bool = True) -> list[int]:
        """The face ids checked (or, `state` False, unchecked)."""
        want = Qt.CheckState.Checked if state else Qt.CheckState.Unchecked
        return [item.data(FaceRole).face_id for item in self.items() if item.checkState() == want]

    def _check_every(self, on: bool) -> None:
        for item in self.items():
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _update_decide(self, *_args: object) -> None:
        checked = len(self.checked())
        if self.review:
            self.decide.setEnabled(bool(self.faces))
            self.decide.setToolTip(f"{plural(checked, 'face')} confirmed, "
                                   f"{plural(len(self.faces) - checked, 'face')} never suggested again")
        else:
            self.decide.setEnabled(checked > 0)

    def _on_decide_clicked(self) -> None:
        if self.review:
            self.confirmed.emit(self.checked(), self.checked(False))
        else:
            self.not_them.emit(self.checked())
        self.accept()

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        """Enter or a double click flips the face's checkbox."""
        checked = item.checkState() == Qt.CheckState.Checked
        item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)

    def _on_list_context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        face: PersonFace = item.data(FaceRole)
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        not_them = QAction(f"Not {self.person.name}", menu)
        not_them.triggered.connect(lambda: self.remove_one(face.face_id))
        menu.addAction(not_them)
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def remove_one(self, face_id: int) -> None:
        """"Not them" for one face, at once; it leaves the list."""
        for item in self.items():
            if item.data(FaceRole).face_id == face_id:
                self.list.takeItem(self.list.row(item))
        self.faces = [face for face in self.faces if face.face_id != face_id]
        self.not_them.emit([face_id])
        self._update_decide()
