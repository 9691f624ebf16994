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
    Signal,
)
from PySide6.QtGui import QPixmap

from ..engine.api import relevance_band
from ..engine.types import SearchHit

HitRole = Qt.ItemDataRole.UserRole + 1
ThumbnailRole = Qt.ItemDataRole.UserRole + 2
CaptionRole = Qt.ItemDataRole.UserRole + 3  # the line under a thumbnail: score, or date when browsing
_ROOT = QModelIndex()  # the invalid index: a list model's only parent


class ResultsModel(QAbstractListModel):
    """A list of `SearchHit`s; thumbnails are set later with `set_thumbnail`.

    Browsing the library comes in pages: while `set_more(True)` says more rows exist, a view
    scrolled to the end asks for them (`fetchMore`), and the model says so with `more_wanted`;
    the window loads the page in a worker and adds it with `append_hits`.
    """

    more_wanted = Signal()  # the view reached the last row and more exist

    def __init__(self) -> None:
        super().__init__()
        self._hits: list[SearchHit] = []
        self._pixmaps: dict[str, QPixmap] = {}
        self._pixmap_px: dict[str, int] = {}  # the side each thumbnail was made for, in device pixels
        self.scored = True  # search hits show their score; browsed photos their date
        self._more = False

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
            score = (f"\nrelevance {hit.relevance:.0%} ({relevance_band(hit.relevance)}), "
                     f"raw score {hit.score:.3f}" if self.scored else "")
            tags = f"\n{', '.join(hit.tags)}" if hit.tags else ""
            matched = f"\nmatched: {hit.matched}" if hit.matched else ""  # the query named its place or camera
            return f"{hit.path}\n{size}{dims}, {when}{score}{matched}{tags}"
        if role == CaptionRole:
            if self.scored:  # the same for every query, unlike the raw score
                return f"{hit.relevance:.0%} {relevance_band(hit.relevance)}"
            return datetime.datetime.fromtimestamp(hit.mtime).strftime("%Y-%m-%d") if hit.mtime else ""
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

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if self.canFetchMore(parent):
            self._more = False  # one page at a time: `set_more` says again once it is in
            self.more_wanted.emit()

    # -- updates -------------------------------------------------------------------
    def set_hits(self, hits: list[SearchHit], scored: bool = True, more: bool = False) -> None:
        """Show `hits` instead (search hits with scores, or browsed photos, `more` after them)."""
        self.beginResetModel()
        self._hits = list(hits)
        self.scored = scored
        self._more = more
        self.endResetModel()

    def append_hits(self, hits: list[SearchHit]) -> None:
        """One more page, after the rows shown."""
        if hits:
            self.beginInsertRows(QModelIndex(), len(self._hits), len(self._hits) + len(hits) - 1)
            self._hits.extend(hits)
            self.endInsertRows()

    def set_more(self, more: bool) -> None:
        """Whether rows after the last one exist (a view scrolled to the end asks for them)."""
        self._more = more

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

    def set_thumbnail(self, path: str, pixmap: QPixmap, px: int = 0) -> None:
        """`path`'s thumbnail, made for cells `px` device pixels wide (0: any size)."""
        self._pixmaps[path] = pixmap
        self._pixmap_px[path] = px
        for row, hit in enumerate(self._hits):
            if hit.path == path:
                index = self.index(row)
                self.dataChanged.emit(index, index, [ThumbnailRole])

    def has_thumbnail(self, path: str, px: int = 0) -> bool:
        """Whether `path` has a thumbnail made for cells of at least `px` device pixels (a
        smaller one is still shown, scaled up, until a sharper one arrives)."""
        return path in self._pixmaps and (self._pixmap_px[path] == 0 or self._pixmap_px[path] >= px)

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
