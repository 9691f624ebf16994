"""The results grid's model: search hits plus their thumbnails as they arrive."""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
)
from PySide6.QtGui import QPixmap

from ..engine.types import SearchHit

HitRole = Qt.ItemDataRole.UserRole + 1
ThumbnailRole = Qt.ItemDataRole.UserRole + 2
_ROOT = QModelIndex()  # the invalid index: a list model's only parent


class ResultsModel(QAbstractListModel):
    """A list of `SearchHit`s; thumbnails are set later with `set_thumbnail`."""

    def __init__(self) -> None:
        super().__init__()
        self._hits: list[SearchHit] = []
        self._pixmaps: dict[str, QPixmap] = {}

    # -- Qt model interface --------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(hit.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            when = datetime.datetime.fromtimestamp(hit.mtime).strftime("%Y-%m-%d %H:%M") if hit.mtime else "?"
            size = f"{hit.size / 1e6:.1f} MB" if hit.size >= 1e5 else f"{hit.size / 1e3:.0f} kB"
            dims = f", {hit.width}×{hit.height}" if hit.width else ""
            tags = f"\n{', '.join(hit.tags)}" if hit.tags else ""
            return f"{hit.path}\n{size}{dims}, {when}\nscore {hit.score:.3f}{tags}"
        if role == HitRole:
            return hit
        if role == ThumbnailRole:
            return self._pixmaps.get(hit.path)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Dragging results out gives the file manager (or any app) the files."""
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(self._hits[i.row()].path) for i in indexes if i.isValid()])
        return mime

    # -- updates -------------------------------------------------------------------
    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def update_tags(self, fresh: list[SearchHit]) -> None:
        """Show new tags (after the user edited some) without moving any result."""
        tags = {hit.photo_id: hit.tags for hit in fresh}
        for row, hit in enumerate(self._hits):
            if hit.photo_id in tags and tags[hit.photo_id] != hit.tags:
                self._hits[row] = dataclasses.replace(hit, tags=tags[hit.photo_id])
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def hits(self) -> list[SearchHit]:
        return list(self._hits)

    def hit(self, row: int) -> SearchHit:
        return self._hits[row]

    def set_thumbnail(self, path: str, pixmap: QPixmap) -> None:
        self._pixmaps[path] = pixmap
        for row, hit in enumerate(self._hits):
            if hit.path == path:
                index = self.index(row)
                self.dataChanged.emit(index, index, [ThumbnailRole])

    def has_thumbnail(self, path: str) -> bool:
        return path in self._pixmaps

    def remove_under(self, folder: str) -> None:
        """Drop every hit below `folder` (its photos left the library); the others stay put."""
        prefix = os.path.join(folder, "")
        for row in reversed(range(len(self._hits))):
            if self._hits[row].path.startswith(prefix):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._hits[row]
                self.endRemoveRows()

    def remove_path(self, path: str) -> None:
        for row, hit in enumerate(self._hits):
            if hit.path == path:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._hits[row]
                self.endRemoveRows()
                return
