"""Long texts in narrow panels: elided to the panel's width instead of widening or scrolling it.

A panel's width is the person's to choose; a long path or tag name must not change it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyledItemDelegate, QStyleOptionViewItem, QWidget

__all__ = ["ElidedLabel", "FitWidthDelegate"]


class FitWidthDelegate(QStyledItemDelegate):
    """Rows of a list as wide as its viewport, so the view's text elide mode applies.

    A list view lays a row out at its text's width and scrolls sideways when that is wider;
    with no width wanted the row takes the viewport's, and the text is elided to fit.
    """

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(0, super().sizeHint(option, index).height())


class ElidedLabel(QLabel):
    """One line of text elided to the label's width (in the middle by default: a file name keeps
    its start and its extension); the full text is in the tooltip. It never asks for more width."""

    def __init__(self, text: str = "", mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._tooltip: str | None = None
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)  # file names may hold < or &
        self.set_full_text(text)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str, tooltip: str | None = None) -> None:
        """Show `text`, elided as needed; the tooltip is `tooltip`, else the full text when cut."""
        self._full = text
        self._tooltip = tooltip
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, self._mode, max(0, self.contentsRect().width()))
        self.setText(shown)
        self.setToolTip(self._tooltip if self._tooltip is not None else self._full if shown != self._full else "")
