"""Two or more photos at the same zoom and place: the wheel zooms all of them, dragging one
pans all. Each photo is drawn at the width of the first, so one spot lines up across copies
of other sizes."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QImage, QPixmap, QWheelEvent
from PySide6.QtWidgets import QDialog, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QGridLayout, QLabel, QWidget

__all__ = ["CompareDialog", "SyncedView"]

ZOOM_STEP = 1.25
SCENE_WIDTH = 1000.0  # every photo is drawn this wide in its scene


class SyncedView(QGraphicsView):
    """A photo view whose wheel zooms the whole dialog."""

    def __init__(self, dialog: CompareDialog) -> None:
        super().__init__()
        self.setScene(QGraphicsScene(self))  # owned by the view: a parentless scene would be collected
        self._dialog = dialog
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)

    def set_image(self, image: QImage) -> None:
        self.item.setPixmap(QPixmap.fromImage(image))
        self.item.setScale(SCENE_WIDTH / max(image.width(), 1))
        self.scene().setSceneRect(self.item.sceneBoundingRect())

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._dialog.zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)


class CompareDialog(QDialog):
    """The photos of one group side by side; `set_image` fills them in as they load."""

    def __init__(self, parent: QWidget | None, paths: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare")
        self.resize(1100, 640)
        self.paths = paths
        self.scale = 1.0
        layout = QGridLayout(self)
        self.views: list[SyncedView] = []
        for column, path in enumerate(paths):
            view = SyncedView(self)
            layout.addWidget(QLabel(os.path.basename(path)), 0, column)
            layout.addWidget(view, 1, column)
            self.views.append(view)
        for view in self.views:
            view.horizontalScrollBar().valueChanged.connect(self._on_scrolled)
            view.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self._syncing = False

    def set_image(self, path: str, image: QImage) -> None:
        """Show one photo; every photo loaded so far then fits its view at one common scale."""
        for view, shown in zip(self.views, self.paths, strict=True):
            if shown == path:
                view.set_image(image)
        fits = [min(v.viewport().width() / v.sceneRect().width(), v.viewport().height() / v.sceneRect().height())
                for v in self.views if not v.item.pixmap().isNull() and v.sceneRect().width() > 0]
        if fits:
            self.scale = min(fits)
            self.zoom(1.0)

    def zoom(self, factor: float) -> None:
        """Every view to the same scale, the first one's anchor followed by the rest."""
        self.scale *= factor
        for view in self.views:
            view.resetTransform()
            view.scale(self.scale, self.scale)

    @Slot(int)
    def _on_scrolled(self, _value: int) -> None:
        if self._syncing:
            return
        source = self.sender()
        self._syncing = True
        try:
            for view in self.views:
                if source in (view.horizontalScrollBar(), view.verticalScrollBar()):
                    h, v = view.horizontalScrollBar().value(), view.verticalScrollBar().value()
                    for other in self.views:
                        if other is not view:
                            other.horizontalScrollBar().setValue(h)
                            other.verticalScrollBar().setValue(v)
        finally:
            self._syncing = False
