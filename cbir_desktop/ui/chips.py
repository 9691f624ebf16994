"""Word chips: small rounded buttons in a wrapping row, each asking for its word."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from .flow_layout import FlowLayout

__all__ = ["ChipRow"]

CHIP_STYLE = "QPushButton { border: 1px solid palette(mid); border-radius: 10px; padding: 2px 10px; }"


class ChipRow(QWidget):
    """Chips that wrap onto more lines when narrow (never squeezed below their text); hidden when empty."""

    def __init__(self, clicked: Callable[[str], None]) -> None:
        super().__init__()
        self.layout_ = FlowLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self._clicked = clicked
        self.setVisible(False)

    def set_words(self, words: list[str]) -> None:
        while (item := self.layout_.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.deleteLater()
        for word in words:
            chip = QPushButton(word)
            chip.setFlat(True)
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.setStyleSheet(CHIP_STYLE)
            chip.clicked.connect(lambda _checked=False, word=word: self._clicked(word))
            self.layout_.addWidget(chip)
        self.setVisible(bool(words))

    def chips(self) -> list[QPushButton]:
        items = (self.layout_.itemAt(i) for i in range(self.layout_.count()))
        widgets = (item.widget() for item in items if item is not None)
        return [widget for widget in widgets if isinstance(widget, QPushButton)]

    def words(self) -> list[str]:
        return [chip.text() for chip in self.chips()]
