"""Face boxes over the preview: where each stored face lands on the pixmap shown, and how it is
drawn (a confirmed name solid, a suggested one dashed with a question mark, an unnamed face thin).

The engine stores boxes as fractions of the upright photo and the preview shows the upright photo
scaled, so a box is its fractions times the shown pixmap's size, whatever the photo's orientation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap

from ..engine.types import PhotoFace

__all__ = ["FaceBox", "draw_face_boxes", "face_boxes"]

CONFIRMED, SUGGESTED, UNNAMED = "confirmed", "suggested", "unnamed"
_COLOURS = {CONFIRMED: QColor(255, 214, 10), SUGGESTED: QColor(255, 214, 10), UNNAMED: QColor(255, 255, 255)}
_WIDTHS = {CONFIRMED: 3.0, SUGGESTED: 2.0, UNNAMED: 1.0}


@dataclass(frozen=True)
class FaceBox:
    """One face as drawn: its rectangle in the shown pixmap's pixels, its label ("Anna",
    "Anna?" or "") and its kind (confirmed, suggested or unnamed)."""

    rect: QRectF
    label: str
    kind: str


def face_boxes(faces: Sequence[PhotoFace], width: float, height: float) -> list[FaceBox]:
    """The boxes of `faces` on an upright picture `width` x `height` pixels."""
    boxes = []
    for face in faces:
        x, y, w, h = face.box
        rect = QRectF(x * width, y * height, w * width, h * height)
        if face.person is None:
            boxes.append(FaceBox(rect, "", UNNAMED))
        elif face.suggested:
            boxes.append(FaceBox(rect, f"{face.person}?", SUGGESTED))
        else:
            boxes.append(FaceBox(rect, face.person, CONFIRMED))
    return boxes


def draw_face_boxes(pixmap: QPixmap, boxes: Sequence[FaceBox]) -> QPixmap:
    """A copy of `pixmap` with `boxes` drawn on it, each name on a dark band under its box (above
    it when the box reaches the bottom edge) so it reads on any photo."""
    out = pixmap.copy()
    ratio = out.devicePixelRatio()
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont(painter.font())
    font.setPointSizeF(max(font.pointSizeF(), 9.0))
    font.setBold(True)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    bottom = out.height() / ratio
    for box in boxes:
        pen = QPen(_COLOURS[box.kind], _WIDTHS[box.kind])
        if box.kind == SUGGESTED:
            pen.setStyle(Qt.PenStyle.DashLine)
        shadow = QPen(QColor(0, 0, 0, 160), _WIDTHS[box.kind] + 2)  # a dark rim: boxes show on white too
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(shadow)
        painter.drawRect(box.rect)
        painter.setPen(pen)
        painter.drawRect(box.rect)
        if box.label:
            text_w, text_h = metrics.horizontalAdvance(box.label) + 8, metrics.height() + 4
            top = box.rect.bottom() + 2 if box.rect.bottom() + 2 + text_h <= bottom else box.rect.top() - text_h - 2
            band = QRectF(QPointF(box.rect.left(), max(0.0, top)), QRectF(0, 0, text_w, text_h).size())
            painter.fillRect(band, QColor(0, 0, 0, 170))
            painter.setPen(QPen(_COLOURS[box.kind]))
            painter.drawText(band, Qt.AlignmentFlag.AlignCenter, box.label)
    painter.end()
    return out

