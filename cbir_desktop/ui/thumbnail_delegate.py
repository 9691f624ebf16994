"""Paints one result: thumbnail, score (or date), tags, a RAW badge on a RAW+JPEG pair, and on
a burst's top photo the number of shots stacked behind it (its shots, while open, tinted like
it, with their place in the burst). Only paints and sizes.

Colours come from the palette (a dark theme just works), and thumbnails are drawn in
device pixels, so they stay sharp on a HiDPI screen.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ..engine.types import StackMark
from .results_model import CaptionRole, HitRole, StackRole, ThumbnailRole

TEXT_LINES = 2
MARGIN = 6  # round the thumbnail, in pixels
SELECTED_ALPHA = 96  # of 255: the highlight over a selected cell
PLACEHOLDER_ALPHA = 80  # of 255: the grey square a thumbnail will fill
BADGE = "RAW"  # on a JPEG whose RAW is beside it (`SearchHit.raw_path`)
BADGE_INSET = 4  # pixels from the picture's bottom-right corner
BADGE_ALPHA = 170  # of 255: a dark label that reads on light and dark photos alike
BADGE_FONT_SCALE = 0.75  # of the cell's font: a small label, not a caption
STACK_ALPHA = 56  # of 255: the highlight colour behind an open stack's cells, lighter than a selection
STACK_OUTLINE_ALPHA = 200  # of 255: the white edge round a stack's badge
STACK_OPEN = " ▾"  # after the count on an open stack's badge


class ThumbnailDelegate(QStyledItemDelegate):
    """Draws a square thumbnail with the score and the auto-tags under it."""

    def __init__(self, parent: QWidget | None = None, side: int = 160) -> None:
        super().__init__(parent)
        self.side = side

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return self.cell_size(option.font)

    def cell_size(self, font: QFont) -> QSize:
        """One result's cell: the thumbnail square, a margin round it, and the text lines."""
        line = QFontMetrics(font).height()
        return QSize(self.side + 2 * MARGIN, self.side + 2 * MARGIN + TEXT_LINES * line)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        hit = index.data(HitRole)
        if hit is None:
            return
        painter.save()
        rect = option.rect
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            # The highlight, see-through over the base: text and link colours stay readable on it
            # in light and dark palettes alike.
            highlight = palette.color(QPalette.ColorRole.Highlight)
            highlight.setAlpha(SELECTED_ALPHA)
            painter.fillRect(rect, highlight)
        mark: StackMark | None = index.data(StackRole)
        if mark is not None and mark.expanded:  # an open stack: its cells tinted alike
            tint = palette.color(QPalette.ColorRole.Highlight)
            tint.setAlpha(STACK_ALPHA)
            painter.fillRect(rect.adjusted(1, 1, -1, -1), tint)
        box = QRect(rect.x() + MARGIN, rect.y() + MARGIN, self.side, self.side)
        pixmap = index.data(ThumbnailRole)
        picture = QRectF(box)
        if pixmap is not None and not pixmap.isNull():
            picture = self._draw_thumbnail(painter, box, pixmap)
        else:
            placeholder = palette.color(QPalette.ColorRole.Mid)
            placeholder.setAlpha(PLACEHOLDER_ALPHA)
            painter.fillRect(box, placeholder)  # while loading
        if hit.raw_path:
            self._draw_badge(painter, picture, option.font)
        if mark is not None:
            self._draw_stack_badge(painter, picture, option.font, mark, palette)
        metrics = QFontMetrics(option.font)
        text_rect = QRect(rect.x() + MARGIN, box.bottom() + 4, self.side, metrics.height())
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        # A long caption (words read in the photo) ends in "…" rather than cut mid-letter.
        caption = metrics.elidedText(index.data(CaptionRole) or "", Qt.TextElideMode.ElideRight, self.side)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft, caption)
        painter.setPen(palette.color(QPalette.ColorRole.Link))
        for tag, tag_rect in self.tag_rects(rect, hit.tags, option.font):
            painter.drawText(tag_rect, Qt.AlignmentFlag.AlignLeft, tag)
        painter.restore()

    @staticmethod
    def _badge_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * BADGE_FONT_SCALE))
        small.setBold(True)
        return small

    def badge_rect(self, picture: QRectF, font: QFont) -> QRectF:
        """Where the RAW badge goes: the picture's bottom-right corner, inset."""
        metrics = QFontMetrics(self._badge_font(font))
        width, height = metrics.horizontalAdvance(BADGE) + 6, metrics.height()
        return QRectF(picture.right() - BADGE_INSET - width, picture.bottom() - BADGE_INSET - height, width, height)

    def _draw_badge(self, painter: QPainter, picture: QRectF, font: QFont) -> None:
        """A small "RAW" label on the picture: the photo is a RAW+JPEG pair, shown as its JPEG."""
        rect = self.badge_rect(picture, font)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, BADGE_ALPHA))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setFont(self._badge_font(font))
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, BADGE)
        painter.restore()

    @staticmethod
    def stack_label(mark: StackMark) -> str:
        """A top's badge: the count of shots ("5", "5 ▾" while open); an open shot's: "2/5"."""
        if mark.is_top:
            return f"{mark.count}{STACK_OPEN if mark.expanded else ''}"
        return f"{mark.place}/{mark.count}"

    def stack_badge_rect(self, picture: QRectF, font: QFont, mark: StackMark) -> QRectF:
        """Where a stack's badge goes: the picture's top-left corner, inset (the RAW badge is bottom-right)."""
        metrics = QFontMetrics(self._badge_font(font))
        width = max(metrics.horizontalAdvance(self.stack_label(mark)) + 10, metrics.height() + 4)
        return QRectF(picture.left() + BADGE_INSET, picture.top() + BADGE_INSET, width, metrics.height() + 2)

    def picture_rect(self, rect: QRect, pixmap: QPixmap | None, ratio: float) -> QRectF:
        """Where the thumbnail of the cell at `rect` is drawn (the whole square while it loads)."""
        box = QRect(rect.x() + MARGIN, rect.y() + MARGIN, self.side, self.side)
        if pixmap is None or pixmap.isNull():
            return QRectF(box)
        fitted = pixmap.size().scaled(box.size() * ratio, Qt.AspectRatioMode.KeepAspectRatio)
        x = box.x() + round((box.width() * ratio - fitted.width()) / 2) / ratio
        y = box.y() + round((box.height() * ratio - fitted.height()) / 2) / ratio
        return QRectF(x, y, fitted.width() / ratio, fitted.height() / ratio)

    def _draw_stack_badge(self, painter: QPainter, picture: QRectF, font: QFont, mark: StackMark,
                          palette: QPalette) -> None:
        """The count on a burst's top photo (a click opens the stack), drawn like the RAW badge;
        the highlight colour while the stack is open, and on its other shots their place in it."""
        rect = self.stack_badge_rect(picture, font, mark)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(255, 255, 255, STACK_OUTLINE_ALPHA))  # reads on a dark corner too
        if mark.is_top and not mark.expanded:  # a second card peeking out behind: a stack
            painter.setBrush(QColor(0, 0, 0, BADGE_ALPHA))
            painter.drawRoundedRect(rect.translated(3, 3), 3, 3)
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight) if mark.expanded else QColor(0, 0, 0, BADGE_ALPHA))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setFont(self._badge_font(font))
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText) if mark.expanded else QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.stack_label(mark))
        painter.restore()

    @staticmethod
    def _draw_thumbnail(painter: QPainter, box: QRect, pixmap: QPixmap) -> QRectF:
        """`pixmap` fitted and centred in `box`, one image pixel per device pixel; returns where it
        went. The window makes thumbnails at that size already; only a changed size or screen scales here."""
        ratio = painter.device().devicePixelRatioF()
        fitted = pixmap.size().scaled(box.size() * ratio, Qt.AspectRatioMode.KeepAspectRatio)
        if fitted != pixmap.size() or pixmap.devicePixelRatio() != ratio:
            pixmap = pixmap.scaled(fitted, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
            pixmap.setDevicePixelRatio(ratio)
        # Centred on whole device pixels: a fractional position would resample it again.
        x = box.x() + round((box.width() * ratio - pixmap.width()) / 2) / ratio
        y = box.y() + round((box.height() * ratio - pixmap.height()) / 2) / ratio
        painter.drawPixmap(QPointF(x, y), pixmap)
        return QRectF(x, y, pixmap.width() / ratio, pixmap.height() / ratio)

    def tag_rects(self, rect: QRect, tags: tuple[str, ...], font: QFont) -> list[tuple[str, QRect]]:
        """Where each tag is drawn (clickable), left to right on the line under the score."""
        metrics = QFontMetrics(font)
        line = metrics.height()
        x, y = rect.x() + MARGIN, rect.y() + MARGIN + self.side + 4 + line
        right = rect.x() + MARGIN + self.side
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
