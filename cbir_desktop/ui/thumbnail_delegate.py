"""Paints one result: thumbnail, score (or date) and tags. Only paints and sizes."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from .results_model import CaptionRole, HitRole, ThumbnailRole

TEXT_LINES = 2


class ThumbnailDelegate(QStyledItemDelegate):
    """Draws a square thumbnail with the score and the auto-tags under it."""

    def __init__(self, parent: QWidget | None = None, side: int = 160) -> None:
        super().__init__(parent)
        self.side = side

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        line = QFontMetrics(option.font).height()
        return QSize(self.side + 12, self.side + 12 + TEXT_LINES * line)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        hit = index.data(HitRole)
        if hit is None:
            return
        painter.save()
        rect = option.rect
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight).lighter(160))
        box = QRect(rect.x() + 6, rect.y() + 6, self.side, self.side)
        pixmap = index.data(ThumbnailRole)
        if pixmap is not None and not pixmap.isNull():
            scaled = pixmap.scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
            x = box.x() + (box.width() - scaled.width()) // 2
            y = box.y() + (box.height() - scaled.height()) // 2
            painter.drawPixmap(x, y, scaled)
        else:
            painter.fillRect(box, QColor(128, 128, 128, 40))  # placeholder while loading
        line = QFontMetrics(option.font).height()
        text_rect = QRect(rect.x() + 6, box.bottom() + 4, self.side, line)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft, index.data(CaptionRole) or "")
        painter.setPen(palette.color(QPalette.ColorRole.Link))
        for tag, tag_rect in self.tag_rects(rect, hit.tags, option.font):
            painter.drawText(tag_rect, Qt.AlignmentFlag.AlignLeft, tag)
        painter.restore()

    def tag_rects(self, rect: QRect, tags: tuple[str, ...], font: QFont) -> list[tuple[str, QRect]]:
        """Where each tag is drawn (clickable), left to right on the line under the score."""
        metrics = QFontMetrics(font)
        line = metrics.height()
        x, y = rect.x() + 6, rect.y() + 6 + self.side + 4 + line
        right = rect.x() + 6 + self.side
        placed = []
        for tag in tags:
            width = metrics.horizontalAdvance(tag)
            if x + width > right:
                tag = metrics.elidedText(tag, Qt.TextElideMode.ElideRight, right - x)
                width = metrics.horizontalAdvance(tag)
                if width <= metrics.horizontalAdvance("…") + 2:
                    break
            placed.append((tag, QRect(x, y, width, line)))
            x += width + metrics.horizontalAdvance("  ")
        return placed

    def tag_at(self, rect: QRect, tags: tuple[str, ...], font: QFont, pos: QPoint) -> str | None:
        """The full tag under `pos`, if any."""
        # strict=False: tags that do not fit on the line get no rect, and cannot be clicked.
        for full, (_, tag_rect) in zip(tags, self.tag_rects(rect, tags, font), strict=False):
            if tag_rect.contains(pos):
                return full
        return None
