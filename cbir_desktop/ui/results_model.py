"""The results grid's model: search hits plus their thumbnails as they arrive, and in the
library view the header rows of their groups ("March 2019  ·  42 photos") and, with bursts
stacked, each burst behind its top photo (the engine's `stacked_rows` says which rows show)."""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable, Sequence
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

from ..engine.api import relevance_band, stacked_rows, stacks_by_path
from ..engine.types import BurstStack, GroupedHits, PhotoGroup, SearchHit, StackMark

HitRole = Qt.ItemDataRole.UserRole + 1
ThumbnailRole = Qt.ItemDataRole.UserRole + 2
CaptionRole = Qt.ItemDataRole.UserRole + 3  # the line under a thumbnail: score, or date when browsing
HeaderRole = Qt.ItemDataRole.UserRole + 4  # a group's header row: its PhotoGroup (None on a photo's row)
StackRole = Qt.ItemDataRole.UserRole + 5  # a burst's top or open shot: its StackMark (None on other rows)
_ROOT = QModelIndex()  # the invalid index: a list model's only parent

Row = SearchHit | PhotoGroup  # a photo, or the header of the group the photos after it are in


def header_text(group: PhotoGroup) -> str:
    """A group's header line: "March 2019  ·  42 photos"."""
    return f"{group.label}  ·  {group.count:,} photo{'s' if group.count != 1 else ''}"


def stack_text(mark: StackMark) -> str:
    """What a stacked row is, in words: "burst of 5 photos", "photo 2 of a burst of 5"."""
    if mark.is_top:
        return f"burst of {mark.count} photos"
    return f"photo {mark.place} of a burst of {mark.count}"


def without_empty_groups(rows: list[Row], more: bool = False) -> list[Row]:
    """`rows` less the headers no photo follows (their photos left); the last one stays while
    `more` pages may bring its photos."""
    kept: list[Row] = []
    for i, row in enumerate(rows):
        following = rows[i + 1] if i + 1 < len(rows) else None
        if isinstance(row, PhotoGroup) and (isinstance(following, PhotoGroup) or (following is None and not more)):
            continue
        kept.append(row)
    return kept


class ResultsModel(QAbstractListModel):
    """A list of `SearchHit`s; thumbnails are set later with `set_thumbnail`.

    In the library view the photos come in groups (`set_sections`): each group's first photo
    follows a header row, which is not selectable nor dragged, and is not a photo to
    `hits()`, `hit()` or `photo_count()`.

    Browsing the library comes in pages: while `set_more(True)` says more rows exist, a view
    scrolled to the end asks for them (`fetchMore`), and the model says so with `more_wanted`;
    the window loads the page in a worker and adds it with `append_hits`.

    With bursts stacked (`set_stacks`), rows that `set_hits`, `set_sections` or `set_rows` mark
    `stacked` (the library view, a listing of filters) show each burst as its top photo, with
    its shots after it while it is open (`toggle_stack`). `rows()`, `hits()` and
    `photo_count()` still count every photo loaded, shown or stacked away: the next page starts after them.
    """

    more_wanted = Signal()  # the view reached the last row and more exist

    def __init__(self) -> None:
        super().__init__()
        self._hits: list[Row] = []  # the rows shown: photos, and in the library view their groups' headers
        self._loaded: list[Row] = []  # every row loaded, photos stacked away included
        self._marks: list[StackMark | None] = []  # each shown row's place in a burst stack
        self._stack_of: dict[str, BurstStack] | None = None  # burst shot -> its stack, while stacking is on
        self._expanded: set[str] = set()  # the tops of the stacks shown open
        self._stacked = False  # the rows are the library view's or a listing's: stack them
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
        if isinstance(hit, PhotoGroup):
            return header_text(hit) if role == Qt.ItemDataRole.DisplayRole else hit if role == HeaderRole else None
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
            matched += f"\n{hit.source}: {hit.snippet}" if hit.snippet else ""  # its words written in the photo
            mark = self._marks[index.row()]
            burst = f"\n{stack_text(mark)}" if mark is not None else ""
            return f"{hit.path}\n{size}{dims}, {when}{score}{matched}{tags}{burst}"
        if role == CaptionRole:
            if hit.snippet:  # the query's words as written in the photo (the OCR step), from the first
                start = hit.snippet.find("[")
                return ("…" if start > 0 else "") + hit.snippet[max(start, 0):]
            if self.scored:  # the same for every query, unlike the raw score
                return f"{hit.relevance:.0%} {relevance_band(hit.relevance)}"
            if hit.taken:  # when it was taken, where the listing read it
                return hit.taken[:10]
            return datetime.datetime.fromtimestamp(hit.mtime).strftime("%Y-%m-%d") if hit.mtime else ""
        if role == HitRole:
            return hit
        if role == ThumbnailRole:
            return self._pixmaps.get(hit.path)
        if role == StackRole:
            return self._marks[index.row()]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and isinstance(self._hits[index.row()], PhotoGroup):
            return Qt.ItemFlag.ItemIsEnabled  # a header: not selected, not dragged
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Dragging results out gives the file manager (or any app) the files."""
        mime = QMimeData()
        rows = [self._hits[i.row()] for i in indexes if i.isValid()]
        mime.setUrls([QUrl.fromLocalFile(row.path) for row in rows if isinstance(row, SearchHit)])
        return mime

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if self.canFetchMore(parent):
            self._more = False  # one page at a time: `set_more` says again once it is in
            self.more_wanted.emit()

    # -- updates -------------------------------------------------------------------
    def set_hits(self, hits: list[SearchHit], scored: bool = True, more: bool = False, stacked: bool = False) -> None:
        """Show `hits` instead (search hits with scores, or browsed photos, `more` after them;
        `stacked`: a listing, whose bursts stack while stacking is on)."""
        self.set_rows(list(hits), scored, more, stacked)

    def set_sections(self, sections: list[GroupedHits], more: bool = False) -> None:
        """Show the library view's first page: each group's header, then its photos (bursts stacked)."""
        self.set_rows(_rows_of(sections), scored=False, more=more, stacked=True)

    def append_sections(self, sections: list[GroupedHits]) -> None:
        """The library view's next page; a group the last page ended in gets no second header."""
        last = next((row for row in reversed(self._loaded) if isinstance(row, PhotoGroup)), None)
        if sections and last is not None and sections[0].group.key == last.key:
            self.append_hits(list(sections[0].hits))
            sections = sections[1:]
        self.append_hits(_rows_of(sections))

    def set_rows(self, rows: list[Row], scored: bool = True, more: bool = False, stacked: bool = False) -> None:
        """Show `rows` as `rows()` gave them (a view to come back to)."""
        self.beginResetModel()
        self._loaded = list(rows)
        self.scored = scored
        self._more = more
        self._stacked = stacked
        self._hits, self._marks = self._shown()
        self.endResetModel()

    def rows(self) -> list[Row]:
        """Every row loaded, headers and stacked shots included, to come back to with `set_rows`."""
        return list(self._loaded)

    # -- burst stacks ----------------------------------------------------------------
    def set_stacks(self, stacks: list[BurstStack] | None) -> None:
        """Stack these bursts (None: stacking off, every photo shown); open stacks stay open."""
        self._stack_of = None if stacks is None else stacks_by_path(stacks)
        if stacks is None:
            self._expanded.clear()
        self._show()

    @property
    def stacking(self) -> bool:
        """Whether the rows shown are stacked (stacking on, and the rows a listing)."""
        return self._stack_of is not None and self._stacked

    def stack_mark(self, row: int) -> StackMark | None:
        """How the row shown at `row` belongs to a burst stack, if it does."""
        return self._marks[row] if 0 <= row < len(self._marks) else None

    def toggle_stack(self, top: str) -> bool:
        """Open the stack whose top photo is `top`, or close it; returns whether it is open now.
        Its shots appear right after the top (or go), the other rows stay where they are."""
        if top in self._expanded:
            self._expanded.discard(top)
        else:
            self._expanded.add(top)
        self._show()
        return top in self._expanded

    def row_of(self, path: str) -> int:
        """The row showing `path` (-1: none, or stacked away)."""
        return next((n for n, row in enumerate(self._hits) if isinstance(row, SearchHit) and row.path == path), -1)

    def _shown(self) -> tuple[list[Row], list[StackMark | None]]:
        """The rows to show, and their stack marks, for the rows loaded."""
        if self._stack_of is None or not self._stacked:
            return list(self._loaded), [None] * len(self._loaded)
        folded = stacked_rows(self._loaded, self._stack_of, self._expanded, self._more)
        return [row for row, _ in folded], [mark for _, mark in folded]

    def _show(self) -> None:
        """Show what `_shown` says with the fewest row moves: the rows before and after the
        part that changed keep their place (and the selection and scroll position stay)."""
        rows, marks = self._shown()
        old, before = self._hits, len(self._hits)
        head = 0
        while head < min(before, len(rows)) and old[head] is rows[head]:
            head += 1
        tail = 0
        while tail < min(before, len(rows)) - head and old[-1 - tail] is rows[-1 - tail]:
            tail += 1
        if before - tail > head:
            self.beginRemoveRows(QModelIndex(), head, before - tail - 1)
            del self._hits[head : before - tail]
            del self._marks[head : before - tail]
            self.endRemoveRows()
        if len(rows) - tail > head:
            self.beginInsertRows(QModelIndex(), head, len(rows) - tail - 1)
            self._hits[head:head] = rows[head : len(rows) - tail]
            self._marks[head:head] = marks[head : len(rows) - tail]
            self.endInsertRows()
        changed = [n for n, mark in enumerate(marks) if self._marks[n] != mark]
        self._marks = marks
        for n in changed:
            index = self.index(n)
            self.dataChanged.emit(index, index)

    @property
    def grouped(self) -> bool:
        """Whether header rows are shown (the grid then lays them out full width)."""
        return any(isinstance(row, PhotoGroup) for row in self._hits)

    def photo_count(self) -> int:
        """How many photos are loaded (headers are not photos; stacked shots are)."""
        return sum(1 for row in self._loaded if isinstance(row, SearchHit))

    def append_hits(self, hits: list[Row]) -> None:
        """One more page, after the rows loaded."""
        if hits:
            self._loaded.extend(hits)
            self._show()

    def set_more(self, more: bool) -> None:
        """Whether rows after the last one exist (a view scrolled to the end asks for them)."""
        self._more = more

    def update_tags(self, fresh: list[SearchHit]) -> None:
        """Show new tags (after the user edited some) without moving any result."""
        tags = {hit.photo_id: hit.tags for hit in fresh}
        for row, hit in enumerate(self._loaded):
            if isinstance(hit, SearchHit) and hit.photo_id in tags and tags[hit.photo_id] != hit.tags:
                self._loaded[row] = replaced = dataclasses.replace(hit, tags=tags[hit.photo_id])
                if hit in self._hits:
                    shown = next(n for n, r in enumerate(self._hits) if r is hit)
                    self._hits[shown] = replaced
                    index = self.index(shown)
                    self.dataChanged.emit(index, index)

    def hits(self) -> list[SearchHit]:
        """The photos loaded, in order (no headers; stacked shots too: they show when opened)."""
        return [row for row in self._loaded if isinstance(row, SearchHit)]

    def shown_hits(self) -> list[SearchHit]:
        """The photos shown, in order (not the shots stacked behind a top)."""
        return [row for row in self._hits if isinstance(row, SearchHit)]

    def hit(self, row: int) -> SearchHit:
        """The photo on `row` (a photo's row: headers cannot be selected)."""
        hit = self._hits[row]
        assert isinstance(hit, SearchHit), f"row {row} is a header"
        return hit

    def set_thumbnail(self, path: str, pixmap: QPixmap, px: int = 0) -> None:
        """`path`'s thumbnail, made for cells `px` device pixels wide (0: any size). One made for
        smaller cells than the one shown (a superseded request's late answer) does not replace it."""
        if 0 < px < self._pixmap_px.get(path, 0):
            return
        self._pixmaps[path] = pixmap
        self._pixmap_px[path] = px
        for row, hit in enumerate(self._hits):
            if isinstance(hit, SearchHit) and hit.path == path:
                index = self.index(row)
                self.dataChanged.emit(index, index, [ThumbnailRole])

    def has_thumbnail(self, path: str, px: int = 0) -> bool:
        """Whether `path` has a thumbnail made for cells of at least `px` device pixels (a
        smaller one is still shown, scaled up, until a sharper one arrives)."""
        return path in self._pixmaps and (self._pixmap_px[path] == 0 or self._pixmap_px[path] >= px)

    def remove_under(self, folder: str) -> None:
        """Drop every hit below `folder` (its photos left the library); the others stay put."""
        prefix = os.path.join(folder, "")
        self._remove(lambda hit: hit.path.startswith(prefix))

    def remove_path(self, path: str) -> None:
        self._remove(lambda hit: hit.path == path)

    def _remove(self, gone: Callable[[SearchHit], bool]) -> None:
        """Drop the photos `gone` names, then the headers none of their photos follow."""
        self._loaded = without_empty_groups(
            [row for row in self._loaded if not (isinstance(row, SearchHit) and gone(row))], self._more)
        if self.stacking:
            self._show()
            return
        for row in reversed(range(len(self._hits))):
            hit = self._hits[row]
            if isinstance(hit, SearchHit) and gone(hit):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._hits[row]
                del self._marks[row]
                self.endRemoveRows()
        kept = {id(row) for row in without_empty_groups(self._hits, self._more)}
        for row in reversed(range(len(self._hits))):
            if id(self._hits[row]) not in kept:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._hits[row]
                del self._marks[row]
                self.endRemoveRows()


def _rows_of(sections: list[GroupedHits]) -> list[Row]:
    rows: list[Row] = []
    for section in sections:
        rows += [section.group, *section.hits]
    return rows
