"""What the results area says about a search: a respelt word, nothing found, a cut-off.

A line of text, clickable word chips (other spellings) and one action button ("Show 12
weaker matches"). It only shows and asks (signals); the window decides what it says.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .chips import ChipRow

__all__ = ["SearchNotice", "quoted"]


def quoted(text: str) -> str:
    """`text` in curly quotes, escaped for a rich-text label."""
    return f"“{escape(text)}”"


class SearchNotice(QWidget):
    """A message with optional word chips and an action; hidden when it has nothing to say."""

    word_clicked = Signal(str)  # a suggested spelling: search it
    action_clicked = Signal()  # the action button (for example "Show more")

    def __init__(self, centred: bool = False) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        align = Qt.AlignmentFlag.AlignCenter if centred else Qt.AlignmentFlag.AlignLeft
        self.label.setAlignment(align)
        layout.addWidget(self.label)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if centred:
            row.addStretch(1)
        self.chips = ChipRow(self.word_clicked.emit)  # wraps onto more lines in a narrow window
        row.addWidget(self.chips)
        self.action = QPushButton()
        self.action.clicked.connect(self.action_clicked)
        row.addWidget(self.action, 0, Qt.AlignmentFlag.AlignTop)
        row.addStretch(1)
        layout.addLayout(row)
        self.clear()

    def show_message(self, html: str, words: Sequence[str] = (), action: str = "") -> None:
        """Say `html`; offer `words` as chips and `action` as a button (none when empty)."""
        self.label.setText(html)
        self.chips.set_words(list(words))
        self.action.setText(action)
        self.action.setVisible(bool(action))
        self.setVisible(True)

    def clear(self) -> None:
        self.label.setText("")
        self.chips.set_words([])
        self.action.hide()
        self.setVisible(False)

    def chip_words(self) -> list[str]:
        return self.chips.words()
