"""The results grid: a list view over `ResultsModel`, its keys, tag clicks and context menu.

It only shows hits and says what the person asked for (signals, or a call on the
host window for the context menu's actions); the window runs the operations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Protocol

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeyEvent, QKeySequence, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QListView, QMenu, QStyle, QWidget

from ..engine.types import SearchHit, StackMark
from .group_header import GroupedDelegate
from .results_model import HeaderRole, HitRole, ResultsModel, StackRole, ThumbnailRole
from .thumbnail_delegate import MARGIN, ThumbnailDelegate

MIN_FITTED_SIDE = 64  # the smallest thumbnail a narrow grid draws

__all__ = ["ResultsHost", "ResultsView", "context_menu", "open_photo", "reveal"]


class ResultsHost(Protocol):
    """What the context menu asks of the window."""

    def copy_image(self, path: str) -> None: ...
    def search_image(self, path: str) -> None: ...
    def search_person_like(self, path: str) -> None: ...
    def search_text(self, text: str) -> None: ...
    def preview(self) -> None: ...
    def confirm_tags(self, tags: list[str]) -> None: ...
    def reject_tags(self, tags: list[str]) -> None: ...
    def ask_tag(self) -> None: ...
    def write_xmp(self) -> None: ...
    def toggle_stack(self, top: str) -> None: ...


class ResultsView(QListView):
    """Thumbnails in a grid; space previews, Enter opens, a click on a tag searches it, a click
    on a burst's count (or S on it) opens or closes its stack."""

    tag_clicked = Signal(str)
    preview_requested = Signal()
    stack_toggle_requested = Signal(str)  # the top photo of the stack to open or close

    def __init__(self, model: ResultsModel, side: int) -> None:
        super().__init__()
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QListView.DragDropMode.DragOnly)  # photos drag out as files; nothing drops in
        self.setModel(model)
        self.results = model
        self.side = side  # the thumbnail size asked for; drawn smaller when the grid is narrower
        self.delegate = ThumbnailDelegate(self, side)
        # Photos through the thumbnail delegate; the library view's group headers full width.
        self.grouped_delegate = GroupedDelegate(self, self.delegate)
        self.setItemDelegate(self.grouped_delegate)
        model.modelReset.connect(self._on_results_model_reset)
        self.doubleClicked.connect(lambda _index: self.preview_requested.emit())
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def set_side(self, side: int) -> None:
        """Thumbnail side in pixels."""
        self.side = side
        self._spread_columns()
        self.doItemsLayout()

    def _on_results_model_reset(self) -> None:
        """Headers or not: a grid lays out equal cells only, so with headers each row has its
        own size (a header as wide as the grid, a photo one column wide)."""
        self.setUniformItemSizes(not self.results.grouped)
        self._spread_columns()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._spread_columns()  # a new width: as many columns as now fit
        super().resizeEvent(event)

    def _spread_columns(self) -> None:
        """As many columns as fit, with the width left over shared between them: without a grid
        the cells pack to the left and leave an empty column's worth of space at the right."""
        width = self._layout_width()
        # A grid narrower than one cell (a small window) draws the thumbnails smaller to fit
        # rather than scrolling sideways.
        fitted = max(MIN_FITTED_SIDE, min(self.side, width - 2 * MARGIN))
        if fitted != self.delegate.side:
            self.delegate.side = fitted
            self.setIconSize(QSize(fitted, fitted))
        cell = self.delegate.cell_size(self.font())
        columns = max(1, width // cell.width())
        grid = QSize(max(cell.width(), width // columns), cell.height())
        if self.results.grouped:
            if self.gridSize().isValid() or (grid, width) != (self.grouped_delegate.cell, self.grouped_delegate.width):
                self.grouped_delegate.cell, self.grouped_delegate.width = grid, width
                self.setGridSize(QSize())  # no grid: each row its size hint
                self.scheduleDelayedItemsLayout()
        else:
            self.grouped_delegate.cell = QSize()
            if grid != self.gridSize():
                self.setGridSize(grid)

    def _layout_width(self) -> int:
        """The width Qt lays the cells out in. It keeps room for a vertical scroll bar shown as
        needed, shown or not (QListViewPrivate::prepareItemsLayout): computing the columns from the
        viewport instead makes them flip as the scroll bar comes and goes. A row wraps once its
        cells would reach the last pixel, hence the 1."""
        width = self.maximumViewportSize().width() - 1
        style = self.style()
        if self.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded:
            width -= style.pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self.verticalScrollBar())
            if style.styleHint(QStyle.StyleHint.SH_ScrollView_FrameOnlyAroundContents, None, self):
                width -= 2 * style.pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, self)
        return width

    def selected_hit(self) -> SearchHit | None:
        index = self.currentIndex()
        return index.data(HitRole) if index.isValid() else None

    def selected_paths(self) -> list[str]:
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        return [self.results.hit(row).path for row in rows]

    def tag_at(self, pos: QPoint) -> str | None:
        """The tag drawn at viewport position `pos`, if any."""
        index = self.indexAt(pos)
        if not index.isValid():
            return None
        hit = index.data(HitRole)
        if hit is None:  # a group's header
            return None
        return self.delegate.tag_at(self.visualRect(index), hit.tags, self.font(), pos)

    def stack_badge_at(self, pos: QPoint) -> StackMark | None:
        """The stack whose badge is drawn at viewport position `pos`, if any."""
        index = self.indexAt(pos)
        mark = index.data(StackRole) if index.isValid() else None
        if mark is None:
            return None
        picture = self.delegate.picture_rect(self.visualRect(index), index.data(ThumbnailRole),
                                             self.devicePixelRatioF())
        return mark if self.delegate.stack_badge_rect(picture, self.font(), mark).contains(pos.toPointF()) else None

    def current_stack(self) -> StackMark | None:
        """The stack the current photo is the top or an open shot of, if any."""
        index = self.currentIndex()
        return index.data(StackRole) if index.isValid() else None

    def moveCursor(self, action: QListView.CursorAction, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        """Arrow keys, Home, End and the page keys step over group headers to the photo beyond."""
        index = super().moveCursor(action, modifiers)
        if not index.isValid() or index.data(HeaderRole) is None:
            return index
        backwards = action in (QListView.CursorAction.MoveLeft, QListView.CursorAction.MoveUp,
                               QListView.CursorAction.MovePrevious, QListView.CursorAction.MovePageUp)
        row = index.row() + (-1 if backwards else 1)
        if not 0 <= row < self.results.rowCount():  # a header first: its group's first photo
            row = index.row() + 1 if backwards else index.row() - 1
        found = self.results.index(row)
        return found if found.isValid() and found.data(HeaderRole) is None else self.currentIndex()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            self.preview_requested.emit()
        elif (event.key() == Qt.Key.Key_S and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
              and self.current_stack() is not None):
            mark = self.current_stack()  # S, as in Lightroom: open or close the stack
            if mark is not None:
                self.stack_toggle_requested.emit(mark.top)
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            hit = self.selected_hit()
            if hit is not None:
                open_photo(hit.path)
        else:
            super().keyPressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            mark = self.stack_badge_at(event.position().toPoint())
            if mark is not None:
                super().mouseReleaseEvent(event)  # the photo selected, as any click does
                self.stack_toggle_requested.emit(mark.top)
                return
            tag = self.tag_at(event.position().toPoint())
            if tag:
                self.tag_clicked.emit(tag)  # clicking a tag searches that tag
                return
        super().mouseReleaseEvent(event)


def context_menu(parent: QWidget, host: ResultsHost, hit: SearchHit, stack: StackMark | None = None) -> QMenu:
    """The actions on one result (its tags included; its burst's stack, where it has one)."""
    menu = QMenu(parent)
    if stack is not None:
        action = menu.addAction(f"{'Collapse' if stack.expanded else 'Expand'} stack ({stack.count} photos)",
                                lambda: host.toggle_stack(stack.top))
        action.setShortcut(QKeySequence("S"))  # shown in the menu; the grid takes the key
        menu.addSeparator()
    menu.addAction("Open", lambda: open_photo(hit.path))
    menu.addAction("Reveal in file manager", lambda: reveal(hit.path))
    raw = hit.raw_path
    if raw:  # a RAW+JPEG pair shown as its JPEG
        menu.addAction("Open RAW", lambda: open_photo(raw))
        menu.addAction("Show RAW in folder", lambda: reveal(raw))
    menu.addAction("Copy path", lambda: QApplication.clipboard().setText(hit.path))
    menu.addAction("Copy image", lambda: host.copy_image(hit.path))
    menu.addAction("More like this", lambda: host.search_image(hit.path))
    menu.addAction("More of this person", lambda: host.search_person_like(hit.path))
    menu.addAction("Preview", host.preview)
    for tag in hit.tags:
        menu.addAction(f"Search “{tag}”", lambda tag=tag: host.search_text(tag))
    menu.addSeparator()
    for tag in hit.tags:
        menu.addAction(f"Confirm tag “{tag}”", lambda tag=tag: host.confirm_tags([tag]))
    for tag in hit.tags:
        menu.addAction(f"Reject tag “{tag}”", lambda tag=tag: host.reject_tags([tag]))
    menu.addAction("Add tag…", host.ask_tag)
    menu.addAction("Write tags to XMP sidecars", host.write_xmp)
    return menu


def open_photo(path: str) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def reveal(path: str) -> None:
    """Show `path` in the file manager (selected where the platform can)."""
    if sys.platform == "darwin":
        subprocess.Popen(["open", "-R", path])
    elif sys.platform == "win32":
        subprocess.Popen(["explorer", "/select,", path])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))
