"""The Duplicates window's widgets: a level chooser, the groups side by side with the
differences that matter, Keep / Reject per photo, and where the rejects go (the trash, or a
reject rating in XMP). They show and ask; `duplicates_wiring` runs the work and
`duplicates.Decisions` holds the choices."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..engine.types import DuplicateGroup, DuplicateMember
from .duplicates import Decisions, describe_member

__all__ = ["LEVELS", "DuplicatesView", "GroupRow", "MemberCard"]

LEVELS = (("exact", "Exact copies"), ("same", "Same photo"), ("series", "Series"))
THUMB = 180  # px: the side of each photo's thumbnail


class MemberCard(QFrame):
    """One photo of a group: its thumbnail, its facts (differences from the keeper in bold),
    the suggestion, and Keep / Reject (Tab reaches them, arrows switch)."""

    keep_changed = Signal(str, bool)  # path, keep

    def __init__(self, member: DuplicateMember, reasons: tuple[str, ...], keep: bool) -> None:
        super().__init__()
        self.member = member
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.image = QLabel("…")
        self.image.setFixedSize(THUMB, THUMB)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        name = QLabel(os.path.basename(member.path))
        name.setToolTip(member.path)
        name.setMaximumWidth(THUMB + 20)
        layout.addWidget(name)
        self.facts = QLabel("<br>".join(describe_member(member)))
        facts = self.facts
        facts.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(facts)
        self.suggestion = QLabel()
        self.suggestion.setWordWrap(True)
        self.suggestion.setMaximumWidth(THUMB + 20)
        if member.keep:
            self.suggestion.setText("★ Suggested keeper" + (f": {', '.join(reasons)}" if reasons else ""))
            self.suggestion.setStyleSheet("color: palette(highlight); font-weight: bold;")
        elif member.rejected_in_xmp:
            self.suggestion.setText("Rejected in XMP (rating −1)")
        layout.addWidget(self.suggestion)
        choice = QHBoxLayout()
        self.keep_button = QRadioButton("Keep")
        self.reject_button = QRadioButton("Reject")
        self._buttons = QButtonGroup(self)
        for button in (self.keep_button, self.reject_button):
            self._buttons.addButton(button)
            choice.addWidget(button)
        self.set_keep(keep)
        self.keep_button.toggled.connect(self._on_keep_button_toggled)
        layout.addLayout(choice)
        layout.addStretch(1)

    def set_keep(self, keep: bool) -> None:
        (self.keep_button if keep else self.reject_button).setChecked(True)
        self.setStyleSheet("" if keep else "MemberCard { background: rgba(200, 40, 40, 40); }")

    def set_image(self, pixmap: QPixmap) -> None:
        self.image.setPixmap(pixmap.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))

    @Slot(bool)
    def _on_keep_button_toggled(self, keep: bool) -> None:
        self.set_keep(keep)
        self.keep_changed.emit(self.member.path, keep)


class GroupRow(QFrame):
    """One group: a heading, then its photos side by side, the keeper first."""

    compare_requested = Signal(object)  # DuplicateGroup

    def __init__(self, number: int, group: DuplicateGroup, decisions: Decisions) -> None:
        super().__init__()
        self.group = group
        layout = QVBoxLayout(self)
        heading = QHBoxLayout()
        heading.addWidget(QLabel(f"<b>Group {number}</b> · {len(group.members)} photos"))
        heading.addStretch(1)
        compare = QPushButton("Compare…")
        compare.clicked.connect(lambda: self.compare_requested.emit(self.group))
        heading.addWidget(compare)
        layout.addLayout(heading)
        cards = QHBoxLayout()
        self.cards = [MemberCard(m, group.reasons, decisions.keeps(m.path)) for m in group.members]
        for card in self.cards:
            cards.addWidget(card)
        cards.addStretch(1)
        layout.addLayout(cards)


class DuplicatesView(QWidget):
    """Find, look, decide. Emits what the person asks; the wiring answers with `show_*`."""

    find_requested = Signal(str, float)  # level, series window in seconds
    cancel_requested = Signal()
    trash_requested = Signal()
    xmp_reject_requested = Signal()
    compare_requested = Signal(object)  # DuplicateGroup

    def __init__(self, window_s: float) -> None:
        super().__init__()
        self.decisions = Decisions([])
        self.rows: list[GroupRow] = []
        self._read_only = False
        self._thumbnails: dict[str, QPixmap] = {}  # by path: rows laid out again keep their pictures
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Find:"))
        self.level_box = QComboBox()
        for level, label in LEVELS:
            self.level_box.addItem(label, level)
        self.level_box.setCurrentIndex(1)
        self.level_box.setToolTip("Exact: the same bytes or pixels. Same photo: another size, format, "
                                  "orientation, crop or edit of one shot. Series: shots of one scene "
                                  "taken moments apart by one camera.")
        self.level_box.currentIndexChanged.connect(self._on_level_box_changed)
        bar.addWidget(self.level_box)
        self.window_label = QLabel("within")
        bar.addWidget(self.window_label)
        self.window_box = QDoubleSpinBox()
        self.window_box.setRange(1, 3600)
        self.window_box.setDecimals(0)
        self.window_box.setSuffix(" s")
        self.window_box.setValue(window_s)
        bar.addWidget(self.window_box)
        self.find_button = QPushButton("Find")
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self._on_find_button_clicked)
        bar.addWidget(self.find_button)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.hide()
        bar.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        bar.addWidget(self.progress)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.status = QLabel("Choose a level and press Find.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.groups_scroll = QScrollArea()
        self.groups_scroll.setWidgetResizable(True)
        self.groups_box = QWidget()
        self.groups_layout = QVBoxLayout(self.groups_box)
        self.groups_layout.addStretch(1)
        self.groups_scroll.setWidget(self.groups_box)
        layout.addWidget(self.groups_scroll, 1)
        actions = QHBoxLayout()
        self.accept_button = QPushButton("Accept suggestions")
        self.accept_button.setToolTip("Every group: keep the suggested photo, reject the others")
        self.accept_button.clicked.connect(self._on_accept_button_clicked)
        actions.addWidget(self.accept_button)
        actions.addStretch(1)
        self.trash_button = QPushButton("Move rejected to trash…")
        self.trash_button.clicked.connect(self.trash_requested)
        actions.addWidget(self.trash_button)
        self.xmp_button = QPushButton("Mark rejected in XMP…")
        self.xmp_button.setToolTip("Instead of moving them: rating −1 (rejected) in each photo's .xmp sidecar, "
                                   "for culling in darktable, digiKam or Lightroom. Photos stay where they are.")
        self.xmp_button.clicked.connect(self.xmp_reject_requested)
        actions.addWidget(self.xmp_button)
        layout.addLayout(actions)
        self._on_level_box_changed()
        self._update_buttons()

    @property
    def level(self) -> str:
        return str(self.level_box.currentData())

    # -- shown by the wiring ------------------------------------------------------------
    def show_running(self, running: bool) -> None:
        self.find_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)
            self.status.setText("Looking for duplicates…")
        self._update_buttons()

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(text)

    def show_groups(self, decisions: Decisions, summary: str) -> None:
        """Lay the groups out again (largest first, as the engine gives them)."""
        self.decisions = decisions
        for row in self.rows:
            self.groups_layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        shown = {m.path for g in decisions.groups for m in g.members}
        self._thumbnails = {path: pixmap for path, pixmap in self._thumbnails.items() if path in shown}
        for number, group in enumerate(decisions.groups, 1):
            row = GroupRow(number, group, decisions)
            row.compare_requested.connect(self.compare_requested)
            for card in row.cards:
                card.keep_changed.connect(self._on_card_keep_changed)
                if card.member.path in self._thumbnails:
                    card.set_image(self._thumbnails[card.member.path])
            self.groups_layout.insertWidget(self.groups_layout.count() - 1, row)
            self.rows.append(row)
        self.status.setText(summary)
        self._update_buttons()

    def set_read_only(self, reason: str) -> None:
        """A read-only library: groups can be looked at, nothing moved to the trash."""
        self._read_only = bool(reason)
        self.trash_button.setToolTip(f"Read-only library ({reason}): nothing can be moved" if reason else "")
        self._update_buttons()

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def cards(self) -> list[MemberCard]:
        return [card for row in self.rows for card in row.cards]

    def set_thumbnail(self, path: str, pixmap: QPixmap) -> None:
        self._thumbnails[path] = pixmap
        for card in self.cards():
            if card.member.path == path:
                card.set_image(pixmap)

    # -- the person's choices ------------------------------------------------------------
    @Slot()
    def _on_find_button_clicked(self) -> None:
        self.find_requested.emit(self.level, self.window_box.value())

    @Slot()
    def _on_accept_button_clicked(self) -> None:
        self.decisions.accept_suggestions()
        for card in self.cards():
            card.set_keep(self.decisions.keeps(card.member.path))
        self._update_buttons()

    @Slot(str, bool)
    def _on_card_keep_changed(self, path: str, keep: bool) -> None:
        self.decisions.set_keep(path, keep)
        self._update_buttons()

    @Slot()
    def _on_level_box_changed(self) -> None:
        series = self.level == "series"
        self.window_label.setVisible(series)
        self.window_box.setVisible(series)

    def _update_buttons(self) -> None:
        idle = self.find_button.isEnabled()
        self.accept_button.setEnabled(idle and bool(self.decisions.groups))
        rejected = len(self.decisions.rejected())
        self.trash_button.setText(f"Move {rejected} rejected to trash…" if rejected else "Move rejected to trash…")
        self.trash_button.setEnabled(idle and rejected > 0 and not self._read_only)
        # Sidecars only: the library does not change, so a read-only one can still mark.
        self.xmp_button.setText(f"Mark {rejected} rejected in XMP…" if rejected else "Mark rejected in XMP…")
        self.xmp_button.setEnabled(idle and rejected > 0)
