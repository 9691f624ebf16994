"""The People panel: named people (most faces first), then unnamed groups of faces (most
frequent first), each as a face, a name and a count; Name…, Merge, Suggestions… and Faces….

It only shows and asks (signals); `people.PeopleWiring` runs the engine calls.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.types import PersonGroup
from .eliding import FitWidthDelegate
from .flow_layout import FlowLayout

__all__ = ["FACE_SIDE", "GroupRole", "PeopleDock", "describe_group", "placeholder", "plural"]

GroupRole = Qt.ItemDataRole.UserRole + 30  # the PersonGroup an entry stands for (None: a heading)
FACE_SIDE = 56  # the face beside each entry, in pixels
UNNAMED = "Unnamed"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def describe_group(group: PersonGroup) -> str:
    """The entry's text: the name (or "Unnamed"), then its faces and pending suggestions."""
    confirmed = group.count - group.suggested
    counts = plural(confirmed, "face")
    if group.suggested:
        counts += f" · {plural(group.suggested, 'suggestion')}"
    return f"{group.name or UNNAMED}\n{counts}"


def placeholder(side: int) -> QPixmap:
    """A plain square where a face goes until its crop is read."""
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor(128, 128, 128, 60))
    return pixmap


class PeopleDock(QDockWidget):
    """People and unnamed groups of faces: a click (or Enter) shows their photos."""

    chosen = Signal(object)  # PersonGroup: show its photos
    name_given = Signal(object, str)  # PersonGroup, the name typed for it
    merge_requested = Signal(object, list, str)  # PersonGroup kept, list[PersonGroup] made part of it, a name
    review_requested = Signal(object)  # PersonGroup (a person): their suggestions to confirm or reject
    faces_requested = Signal(object)  # PersonGroup (a person): their faces, to take a wrong one away
    faces_wanted = Signal(list)  # list[PersonFace] whose crops the panel does not hold yet

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("People", parent)
        self.setObjectName("people")
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.list = QListWidget()
        self.list.setObjectName("people_list")
        self.list.setIconSize(QSize(FACE_SIDE, FACE_SIDE))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setItemDelegate(FitWidthDelegate(self.list))  # a long name is elided, never scrolled
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSpacing(2)
        self.list.setToolTip("Click a person or group to see their photos; Ctrl+click several to merge them")
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.list.itemSelectionChanged.connect(self._update_actions)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_list_context_menu)
        layout.addWidget(self.list, 1)
        self.empty = QLabel("No faces yet. Faces are found after the photos are indexed; "
                            "a face seen in two photos or more makes a group here.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.empty)
        self.name_action = self._action("&Name…", "F2", self.ask_name,
                                        "Name this group, or rename this person (a name someone has joins them)")
        self.merge_action = self._action("&Merge", "Ctrl+M", self._on_merge_triggered,
                                         "Make the selected entries one person (the first named one)")
        self.review_action = self._action("&Suggestions…", "Ctrl+R", self._on_review_triggered,
                                          "Faces that look like this person: confirm or reject them")
        self.faces_action = self._action("&Faces…", "Ctrl+F2", self._on_faces_triggered,
                                         "This person's faces: take away any that are not them")
        buttons = QWidget()  # in a narrow panel the buttons wrap onto a second line
        flow = FlowLayout(buttons, spacing=4)
        for action in (self.name_action, self.merge_action, self.review_action, self.faces_action):
            button = QToolButton()
            button.setDefaultAction(action)
            flow.addWidget(button)
        layout.addWidget(buttons)
        self.setWidget(panel)
        self.read_only = ""
        self._faces: dict[int, QPixmap] = {}  # face id -> its crop, kept across refreshes
        self.name_dialog: QInputDialog | None = None
        self.set_people([])

    def _action(self, text: str, keys: str, slot: object, tip: str) -> QAction:
        action = QAction(text, self.list)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # keys work in the list
        action.setToolTip(f"{tip} ({keys})")
        action.triggered.connect(slot)
        self.list.addAction(action)
        return action

    # -- what it shows --------------------------------------------------------------
    def set_people(self, groups: list[PersonGroup]) -> None:
        """List people, then unnamed groups, under a heading each; the selection is kept by id."""
        selected = {group.id for group in self.selected_groups()}
        self.list.blockSignals(True)
        self.list.clear()
        people = [group for group in groups if group.name]
        unnamed = [group for group in groups if not group.name]
        for heading, entries in (("People", people), ("Unnamed groups", unnamed)):
            if entries:
                self._add_heading(heading)
            for group in entries:
                item = QListWidgetItem(describe_group(group))
                item.setData(GroupRole, group)
                item.setIcon(QIcon(self._face_of(group)))
                item.setToolTip(describe_group(group).replace("\n", ": "))
                self.list.addItem(item)
                item.setSelected(group.id in selected)
        self.list.blockSignals(False)
        self.list.setVisible(bool(groups))
        self.empty.setVisible(not groups)
        self._update_actions()
        missing = [group.faces[0] for group in groups if group.faces and group.faces[0].face_id not in self._faces]
        if missing:
            self.faces_wanted.emit(missing)

    def _add_heading(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # not selectable: a heading, not an entry
        font = QFont(self.list.font())
        font.setBold(True)
        item.setFont(font)
        item.setData(GroupRole, None)
        self.list.addItem(item)

    def _face_of(self, group: PersonGroup) -> QPixmap:
        if group.faces and group.faces[0].face_id in self._faces:
            return self._faces[group.faces[0].face_id]
        return placeholder(FACE_SIDE)

    def set_face(self, face_id: int, pixmap: QPixmap) -> None:
        """The crop of `face_id` is read: it shows on the entries that show that face."""
        self._faces[face_id] = pixmap
        for item in self.items():
            group = item.data(GroupRole)
            if group.faces and group.faces[0].face_id == face_id:
                item.setIcon(QIcon(pixmap))

    def items(self) -> list[QListWidgetItem]:
        """The entries (headings left out)."""
        every = (self.list.item(row) for row in range(self.list.count()))
        return [item for item in every if item.data(GroupRole) is not None]

    def groups(self) -> list[PersonGroup]:
        return [item.data(GroupRole) for item in self.items()]

    def selected_groups(self) -> list[PersonGroup]:
        """The selected entries, in the order they are listed."""
        return [item.data(GroupRole) for item in self.items() if item.isSelected()]

    def set_read_only(self, reason: str) -> None:
        """In a read-only library people can be looked at, not named or merged; say why."""
        self.read_only = reason
        self._update_actions()

    def _update_actions(self) -> None:
        chosen = self.selected_groups()
        one = chosen[0] if len(chosen) == 1 else None
        person = one if one is not None and one.name else None
        writable = not self.read_only
        self.name_action.setEnabled(writable and one is not None)
        self.merge_action.setEnabled(writable and len(chosen) >= 2)
        self.review_action.setEnabled(writable and person is not None and person.suggested > 0)
        self.faces_action.setEnabled(person is not None)
        if self.read_only:
            for action in (self.name_action, self.merge_action, self.review_action):
                action.setToolTip(f"Off: {self.read_only}")

    # -- what it asks -----------------------------------------------------------------
    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        modifiers = QApplication.keyboardModifiers()
        picking = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        if item.data(GroupRole) is not None and not modifiers & picking:  # Ctrl/Shift+click selects to merge
            self.chosen.emit(item.data(GroupRole))

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        if item.data(GroupRole) is not None and QApplication.mouseButtons() == Qt.MouseButton.NoButton:
            self.chosen.emit(item.data(GroupRole))  # Enter (a click already said it)

    def _on_list_context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None or item.data(GroupRole) is None:
            return
        if not item.isSelected():
            self.list.setCurrentItem(item)  # the menu is about the entry under the pointer
        menu = QMenu(self)
        menu.addActions([self.name_action, self.merge_action, self.review_action, self.faces_action])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def ask_name(self) -> None:
        """Ask a name for the selected entry (window-modal, the event loop runs on); names
        already given are offered as the person types."""
        chosen = self.selected_groups()
        if len(chosen) == 1 and not self.read_only:
            self._ask(chosen[0], lambda text: self._on_name_typed(chosen[0], text))

    def _ask(self, group: PersonGroup, answered: Callable[[str], None], count: int = 0) -> None:
        """The name dialog for `group` (`count`: the faces of several entries to be merged)."""
        dialog = QInputDialog(self)
        dialog.setObjectName("name_dialog")
        dialog.setWindowTitle("Name" if not group.name else f"Rename {group.name}")
        what = f"these {plural(count or group.count, 'face')}" if not group.name else group.name
        dialog.setLabelText(f"Who is in {what}?\nA name someone already has joins them into one person.")
        dialog.setTextValue(group.name or "")
        names = sorted({g.name for g in self.groups() if g.name and g.id != group.id}, key=str.lower)
        if names:
            dialog.setComboBoxEditable(True)
            dialog.setComboBoxItems(names)
            dialog.setTextValue(group.name or "")
        dialog.textValueSelected.connect(answered)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.name_dialog = dialog
        dialog.open()

    def _on_name_typed(self, group: PersonGroup, text: str) -> None:
        if text.strip() and text.strip() != group.name:
            self.name_given.emit(group, text.strip())

    def _on_merge_triggered(self) -> None:
        chosen = self.selected_groups()
        if len(chosen) < 2 or self.read_only:
            return
        keep = next((group for group in chosen if group.name), chosen[0])  # the first named one
        others = [group for group in chosen if group is not keep]
        if keep.name:
            self.merge_requested.emit(keep, others, "")
            return
        # Unnamed groups are worked out again after every decision, so two of them would split
        # again: merged faces become one person, whose name is asked first.
        self._ask(keep, lambda text: self._on_merge_named(keep, others, text), sum(group.count for group in chosen))

    def _on_merge_named(self, keep: PersonGroup, others: list[PersonGroup], text: str) -> None:
        if text.strip():
            self.merge_requested.emit(keep, others, text.strip())

    def _on_review_triggered(self) -> None:
        chosen = self.selected_groups()
        if len(chosen) == 1 and chosen[0].name and chosen[0].suggested:
            self.review_requested.emit(chosen[0])

    def _on_faces_triggered(self) -> None:
        chosen = self.selected_groups()
        if len(chosen) == 1 and chosen[0].name:
            self.faces_requested.emit(chosen[0])

