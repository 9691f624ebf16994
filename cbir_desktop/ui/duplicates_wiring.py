"""Runs what the Duplicates window asks for: the search (with progress and cancel), the
thumbnails, moving rejected photos to the trash or marking them rejected in XMP after a
question, and undoing either (Edit → Undo) while the app runs."""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QMessageBox, QVBoxLayout, QWidget

from ..engine.api import Library
from ..engine.types import DuplicateGroup, TrashReport, XmpRejectReport, XmpUndoReport
from . import ops
from .compare import CompareDialog
from .dialogs import show_error
from .duplicates import Decisions, TrashBatch, megabytes
from .duplicates_view import DuplicatesView
from .ops import DuplicatesProgress, SerialOp
from .trash_restore import Restore

__all__ = ["DuplicatesWiring"]

COMPARE_SIDE = 2400  # px: the longest side a photo is read at for Compare


class DuplicatesWiring(QObject):
    """The Duplicates window (made on first use) and the work behind it."""

    groups_shown = Signal(list)  # list[DuplicateGroup], once the view shows them
    trashed = Signal(object)  # TrashReport, once the view shows it (the window updates grid and folders)
    restored = Signal(object)  # trash_restore.Restore (the window reindexes)
    undo_changed = Signal(bool)  # whether a trash or XMP action can be undone
    undo_named = Signal(str)  # the Edit menu's words for the next undo
    xmp_marked = Signal(object)  # XmpRejectReport, once the view shows it
    xmp_unmarked = Signal(object)  # XmpUndoReport, once the sidecars are back as they were
    status = Signal(str)  # for the main status bar
    question_shown = Signal(object)  # the QMessageBox asking before the trash (tests answer it)
    compare_shown = Signal(object)  # CompareDialog

    def __init__(self, parent: QWidget, library: Library, thumbnail_cache: Path) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.library = library
        self.window: QWidget | None = None
        self.view: DuplicatesView | None = None
        self.compare: CompareDialog | None = None
        # Trash batches and XMP marks to undo, newest last: Edit → Undo takes the last, whichever it is.
        self.undoable: list[TrashBatch | XmpRejectReport] = []
        self._find = SerialOp(self, partial(ops.find_duplicates, library), on_progress=self._on_find_progress,
                              on_result=self._on_found, on_error=self._on_find_error, cancellable=True)
        self._find.finished.connect(self._on_find_finished)
        self._thumbnails = SerialOp(self, partial(ops.thumbnail_images, library, thumbnail_cache),
                                    on_progress=self._on_thumbnail, quit_superseded=True)
        self._compare_images = SerialOp(self, _compare_images, on_progress=self._on_compare_image,
                                        quit_superseded=True)

    # -- the window ---------------------------------------------------------------------
    def open(self) -> DuplicatesView:
        """Show the Duplicates window (a window of its own beside the main one)."""
        if self.window is None:
            self.window = QWidget(self.parent_widget, Qt.WindowType.Window)
            self.window.setWindowTitle("Duplicates — cbir-desktop")
            self.window.resize(1000, 700)
            self.view = DuplicatesView(self.library.series_window)
            self.view.find_requested.connect(self.find)
            self.view.cancel_requested.connect(self.cancel)
            self.view.trash_requested.connect(self.ask_trash)
            self.view.xmp_reject_requested.connect(self.ask_xmp_reject)
            self.view.compare_requested.connect(self.open_compare)
            self.view.set_read_only(self.library.read_only)
            QVBoxLayout(self.window).addWidget(self.view)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        assert self.view is not None
        return self.view

    @property
    def running(self) -> bool:
        return self._find.running

    def find(self, level: str, window_s: float) -> None:
        assert self.view is not None
        if level == "series" and window_s != self.library.series_window and not self.library.read_only:
            ops.run_in_background(self.library.set_series_window, window_s, on_error=self._on_error)
        self.view.show_running(True)
        self._find.request(level, window_s if level == "series" else None)

    def cancel(self) -> None:
        self._find.cancel()

    def _on_find_progress(self, progress: DuplicatesProgress) -> None:
        eta = f", about {progress.eta_s:.0f} s left" if progress.eta_s else ""
        text = f"Reading {progress.done:,} of {progress.total:,} photos ({progress.rate:.1f}/s{eta})"
        if self.view is not None:
            self.view.show_progress(progress.done, progress.total, text)
        self.status.emit(text)

    def _on_found(self, groups: list[DuplicateGroup] | None) -> None:
        if self.view is None:
            return
        if groups is None:
            self.view.show_status("Cancelled. Press Find to look again.")
            self.status.emit("Duplicate search cancelled.")
            return
        photos = sum(len(g.members) for g in groups)
        summary = (f"{len(groups)} group{'s' if len(groups) != 1 else ''}, {photos} photos. Mark each photo "
                   "Keep or Reject, or accept the suggestions (★).") if groups else "No duplicates found."
        self.view.show_groups(Decisions(groups), summary)
        self.status.emit(summary.split(".")[0] + ".")
        self._thumbnails.request([m.path for g in groups for m in g.members])
        self.groups_shown.emit(groups)

    def _on_find_error(self, exc: BaseException) -> None:
        if self.view is not None:
            self.view.show_status(f"Could not look for duplicates: {exc}")
        self._on_error(exc)

    def _on_find_finished(self) -> None:
        if self.view is not None:
            self.view.show_running(False)
            if self.view.status.text() == "Looking for duplicates…":
                self.view.show_status("Cancelled. Press Find to look again.")

    def _on_thumbnail(self, item: tuple[str, QImage, int]) -> None:
        if self.view is not None:
            self.view.set_thumbnail(item[0], QPixmap.fromImage(item[1]))

    # -- compare ------------------------------------------------------------------------
    def open_compare(self, group: DuplicateGroup) -> None:
        paths = [m.path for m in group.members]
        self.compare = CompareDialog(self.window, paths)
        self.compare.show()
        self._compare_images.request(paths)
        self.compare_shown.emit(self.compare)

    def _on_compare_image(self, item: tuple[str, QImage]) -> None:
        if self.compare is not None:
            self.compare.set_image(*item)

    # -- trash and undo -------------------------------------------------------------------
    def ask_trash(self) -> None:
        """Say how many photos and how much, and where they go; move them only on Yes."""
        assert self.view is not None
        rejected = self.view.decisions.rejected()
        if not rejected:
            return
        size = sum(m.size for m in rejected)
        box = QMessageBox(QMessageBox.Icon.Question, "Move to trash",
                          f"Move {len(rejected)} rejected photo{'s' if len(rejected) != 1 else ''} "
                          f"({megabytes(size)}) to the system trash?", parent=self.window)
        box.setInformativeText("They leave the library and their folders. Nothing is deleted: restore them "
                               "from the trash, or with Edit → Undo move to trash while the app runs.")
        move = box.addButton("Move to trash", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        paths = [m.path for m in rejected]
        box.finished.connect(lambda _result: self._on_trash_answered(paths, box.clickedButton() is move))
        box.open()
        self.question_shown.emit(box)

    def _on_trash_answered(self, paths: list[str], move: bool) -> None:
        if move and self.view is not None:
            self.view.trash_button.setEnabled(False)
            self.view.show_status(f"Moving {len(paths)} photos to the trash…")
            ops.run_in_background(ops.trash_photos, self.library, paths, on_result=self._on_trashed,
                                  on_error=self._on_error)

    def _on_trashed(self, report: TrashReport) -> None:
        if report.moved:
            self._push(TrashBatch(report.moved))
        text = f"Moved {len(report.moved)} photo{'s' if len(report.moved) != 1 else ''} to the trash."
        if report.failed:
            text += f" {len(report.failed)} could not be moved: " + "; ".join(
                f"{f.path} ({f.reason})" for f in report.failed[:3])
        if self.view is not None:
            decisions = self.view.decisions
            decisions.drop(report.moved)
            self.view.show_groups(decisions, text)
        self.status.emit(text)
        self.trashed.emit(report)

    # -- rejects marked in XMP ----------------------------------------------------------
    def ask_xmp_reject(self) -> None:
        """Say how many photos and what is written where; mark them only on Yes."""
        assert self.view is not None
        rejected = self.view.decisions.rejected()
        if not rejected:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Mark rejected in XMP",
                          f"Mark {len(rejected)} photo{'s' if len(rejected) != 1 else ''} rejected (rating −1) "
                          "in their XMP sidecars?", parent=self.window)
        box.setInformativeText("The photos stay where they are and in the library; only the .xmp files beside "
                               "them change, keeping what they hold. darktable, digiKam and Lightroom read the "
                               "rating. Edit → Undo mark rejected in XMP puts the sidecars back while the app runs.")
        mark = box.addButton("Mark rejected", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        paths = [m.path for m in rejected]
        box.finished.connect(lambda _result: self._on_xmp_answered(paths, box.clickedButton() is mark))
        box.open()
        self.question_shown.emit(box)

    def _on_xmp_answered(self, paths: list[str], mark: bool) -> None:
        if mark and self.view is not None:
            self.view.xmp_button.setEnabled(False)
            self.view.show_status(f"Marking {len(paths)} photos rejected in XMP…")
            ops.run_in_background(self.library.mark_rejected_in_xmp, paths, on_result=self._on_xmp_marked,
                                  on_error=self._on_error)

    def _on_xmp_marked(self, report: XmpRejectReport) -> None:
        if report.marked:
            self._push(report)
        count = len(report.marked)
        text = f"Marked {count} photo{'s' if count != 1 else ''} rejected in XMP (rating −1)."
        if report.failed:
            text += f" {len(report.failed)} not marked: " + "; ".join(
                f"{Path(f.path).name} ({f.reason})" for f in report.failed[:3])
        if self.view is not None:  # marked photos leave the groups: they are dealt with
            decisions = self.view.decisions
            decisions.drop([m.path for m in report.marked])
            self.view.show_groups(decisions, text)
        self.status.emit(text)
        self.xmp_marked.emit(report)

    def _on_xmp_unmarked(self, undone: XmpUndoReport) -> None:
        count = len(undone.restored)
        text = f"Put back the XMP sidecar{'s' if count != 1 else ''} of {count} photo{'s' if count != 1 else ''}."
        if undone.failed:
            text += " Left as they are: " + "; ".join(f"{Path(f.path).name} ({f.reason})" for f in undone.failed[:3])
        if self.view is not None:
            self.view.show_status(text + " Press Find to look again.")
        self.status.emit(text)
        self.xmp_unmarked.emit(undone)

    # -- undo -----------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self.undoable)

    def undo(self) -> None:
        """Undo the last trash or XMP action (in a worker): photos back from the trash, or
        sidecars back as they were."""
        if not self.undoable:
            return
        action = self.undoable.pop()
        self._undo_changed()
        if isinstance(action, XmpRejectReport):
            ops.run_in_background(self.library.undo_xmp_reject, action, on_result=self._on_xmp_unmarked,
                                  on_error=self._on_error)
            return
        ops.run_in_background(ops.restore_photos, list(action.paths), on_result=self._on_restored,
                              on_error=self._on_error)

    def _push(self, action: TrashBatch | XmpRejectReport) -> None:
        self.undoable.append(action)
        self._undo_changed()

    def _undo_changed(self) -> None:
        last = self.undoable[-1] if self.undoable else None
        self.undo_named.emit("Undo &mark rejected in XMP" if isinstance(last, XmpRejectReport)
                             else "Undo &move to trash")
        self.undo_changed.emit(last is not None)

    def _on_restored(self, restore: Restore) -> None:
        text = f"Put {len(restore.restored)} photo{'s' if len(restore.restored) != 1 else ''} back from the trash."
        if restore.not_restored:
            text += " Not put back: " + "; ".join(f"{path}: {where}" for path, where in restore.not_restored[:3])
        if self.view is not None:
            self.view.show_status(text + " Press Find to look again.")
        self.status.emit(text)
        self.restored.emit(restore)

    def close(self) -> None:
        if self.window is not None:
            self.window.close()

    def _on_error(self, exc: BaseException) -> None:
        show_error(self.window or self.parent_widget, exc)


def _compare_images(paths: list[str]) -> Generator[tuple[str, QImage], None, None]:
    """Each photo upright, at most COMPARE_SIDE px (off the GUI thread: QImage only)."""
    for path in paths:
        try:
            yield path, ops.load_image(path, COMPARE_SIDE)
        except Exception:  # noqa: BLE001, S112 - a photo that no longer reads stays blank
            continue
