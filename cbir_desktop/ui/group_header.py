"""The library view's group headers in the grid: a full-width row with the group's name and
count ("March 2019  ·  42 photos"), a line under it. Only paints and sizes; photo rows are
the thumbnail delegate's."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QWidget

from .results_model import HeaderRole
from .thumbnail_delegate import MARGIN, ThumbnailDelegate

__all__ = ["GroupedDelegate", "header_font"]

HEADER_SCALE = 1.15  # the header's text, against the grid's
GAP_ABOVE = 10  # pixels between a group's last row of photos and the next header


def header_font(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    if bold.pointSizeF() > 0:
        bold.setPointSizeF(bold.pointSizeF() * HEADER_SCALE)
    return bold


class GroupedDelegate(QStyledItemDelegate):
    """Header rows as wide as the grid (so the next photo starts a new line); photo rows
    painted by `photos` in cells `cell` wide (the view's columns), or its own size."""

    def __init__(self, parent: QWidget | None, photos: ThumbnailDelegate) -> None:
        super().__init__(parent)
        self.photos = photos
        self.width = 0  # a header's width: the width the grid lays its cells out in
        self.cell = QSize()  # a photo's cell; invalid: the photo delegate's size (a view with a grid)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        if index.data(HeaderRole) is not None:
            return QSize(self.width, self.header_height(option.font))
        return self.cell if self.cell.isValid() else self.photos.sizeHint(option, index)

    @staticmethod
    def header_height(font: QFont) -> int:
        return GAP_ABOVE + QFontMetrics(header_font(font)).height() + MARGIN + 2

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        if index.data(HeaderRole) is None:
            self.photos.paint(painter, option, index)
            return
        painter.save()
        font = header_font(option.font)
        rect = option.rect
        line = QFontMetrics(font).height()
        text = QRect(rect.x() + MARGIN, rect.y() + GAP_ABOVE, rect.width() - 2 * MARGIN, line)
        painter.setFont(font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(font).elidedText(index.data(Qt.ItemDataRole.DisplayRole),
                                                       Qt.TextElideMode.ElideMiddle, text.width()))
        painter.setPen(option.palette.color(QPalette.ColorRole.Mid))
        y = text.bottom() + MARGIN // 2 + 1
        painter.drawLine(text.left(), y, text.right(), y)
        painter.restore()
