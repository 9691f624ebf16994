"""The main window: watched folders, background indexing, search bar, results grid.

No search or indexing logic lives here: every engine call goes through `ops` and
runs in a worker thread; this module only wires widgets to those operations.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QImageReader,
    QKeySequence,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QCompleter,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSlider,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import WorkerBase, create_worker

from ..engine.api import Library
from ..engine.photos.decode import is_image_name
from ..engine.errors import ImageUnreadable
from ..engine.photos.thumbnails import thumbnail
from ..engine.types import IndexProgress, IndexReport, SearchHit
from . import ops
from .dialogs import PreviewDialog, SettingsDialog, show_error
from .results_model import HitRole, ResultsModel
from .tag_panel import TagPanel
from .thumbnail_delegate import ThumbnailDelegate
from .watcher import FolderWatcher

log = logging.getLogger(__name__)

RESCAN_EVERY_MS = 10 * 60 * 1000  # watchers miss events on big trees: rescan now and then
DEBOUNCE_MS = 1500  # gather a burst of file events into one rescan
TRAIN_DEBOUNCE_MS = 1000  # relearn text search this long after the last tag edit
PANEL_TAGS = 12  # tags listed in the Tags panel
PREVIEW_SIDE = 1600  # the preview decodes at most this size (fast even for 50-MP photos)


class MainWindow(QMainWindow):
    """The cbir-desktop window."""

    search_finished = Signal(object)  # list[SearchHit], for tests and status
    index_progressed = Signal(object)  # IndexProgress
    index_finished = Signal(object)  # IndexReport
    tags_changed = Signal(list)  # paths whose tags the user edited (saved by then)
    training_finished = Signal(object)  # TrainingReport: later text searches use it

    def __init__(self, library: Library, settings: QSettings, thumbnail_cache: Path) -> None:
        super().__init__()
        self.library = library
        self.settings = settings
        self.thumbnail_cache = thumbnail_cache
        self._search_id = 0
        self._index_worker: Any = None
        self._index_cancel = threading.Event()
        self._index_again = False
        self._thumb_worker: Any = None
        self._searched_text = ""
        self._pending_model: str | None = None  # switching: indexed in the background first
        self._training = False
        self._train_again = False
        self._tags_edited_since_training = False
        self._tags_request = 0
        self.setWindowTitle("cbir-desktop")
        self.setAcceptDrops(True)
        self.resize(1100, 720)
        self._build_widgets()
        self._build_actions()
        self.watcher = FolderWatcher(self)
        self.watcher.changed.connect(self._on_watcher_changed)
        self.watcher.overflowed.connect(self._on_watcher_changed)
        self.watcher.failed.connect(self._on_watcher_failed)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.start_indexing)
        self._rescan_timer = QTimer(self, interval=RESCAN_EVERY_MS)
        self._rescan_timer.timeout.connect(self.start_indexing)
        self._rescan_timer.start()
        self._completion_timer = QTimer(self, singleShot=True, interval=250)
        self._completion_timer.timeout.connect(self._update_completions)
        # Tag edits come in bursts: relearn once they pause.
        self._train_timer = QTimer(self, singleShot=True, interval=TRAIN_DEBOUNCE_MS)
        self._train_timer.timeout.connect(self.retrain)
        self.refresh_folders()
        # Word vectors load in the background so the first typed word is answered fast.
        ops.run_in_background(self.library.words, on_error=self._on_error)
        ops.run_in_background(self._device_name, on_result=self._on_device_known)
        QTimer.singleShot(0, self.start_indexing)  # reconcile at start-up
        self.search_bar.setFocus()

    # -- construction -------------------------------------------------------------
    def _build_widgets(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        row = QHBoxLayout()
        self.search_bar = QLineEdit()
        self.search_bar.setPlaceholderText("Type a word and press Enter, or drop a photo here")
        self.search_bar.setClearButtonEnabled(True)
        self.search_bar.returnPressed.connect(self._on_search_bar_return_pressed)
        self.search_bar.textEdited.connect(lambda _text: self._completion_timer.start())
        self.completer = QCompleter([], self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search_bar.setCompleter(self.completer)
        row.addWidget(self.search_bar, 1)
        self.open_button = QPushButton("Search by photo…")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        row.addWidget(self.open_button)
        layout.addLayout(row)

        self.chips = QWidget()
        self.chips_layout = QHBoxLayout(self.chips)
        self.chips_layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chips)

        self.stack = QStackedWidget()
        self.empty_label = QLabel(
            "<h2>Add a folder of photos</h2><p>Drop a folder on this window or use "
            "<b>Folders → Add folder…</b>. Photos are indexed on this computer; nothing is uploaded.</p>"
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack.addWidget(self.empty_label)
        self.results = ResultsModel()
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.view.setDragEnabled(True)
        self.view.setModel(self.results)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.delegate = ThumbnailDelegate(self.view, int(self.settings.value("thumbnail_size", 160)))
        self.view.setItemDelegate(self.delegate)
        self.view.doubleClicked.connect(self._on_view_double_clicked)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu)
        self.view.installEventFilter(self)
        self.view.viewport().installEventFilter(self)  # clicks on tags
        self.stack.addWidget(self.view)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        dock = QDockWidget("Folders", self)
        dock.setObjectName("folders")
        panel = QWidget()
        panel_layout = QVBoxLayout(panel)
        self.folder_list = QListWidget()
        panel_layout.addWidget(self.folder_list)
        buttons = QHBoxLayout()
        add = QPushButton("Add…")
        add.clicked.connect(self._on_add_folder_clicked)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._on_remove_folder_clicked)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        panel_layout.addLayout(buttons)
        panel_layout.addWidget(QLabel("Skipped files"))
        self.skipped = QTreeWidget()
        self.skipped.setHeaderLabels(["File", "Reason"])
        panel_layout.addWidget(self.skipped)
        dock.setWidget(panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

        tags_dock = QDockWidget("Tags", self)
        tags_dock.setObjectName("tags")
        self.tag_panel = TagPanel()
        self.tag_panel.confirm_requested.connect(self.confirm_tags)
        self.tag_panel.reject_requested.connect(self.reject_tags)
        self.tag_panel.add_requested.connect(lambda tag: self.confirm_tags([tag]))
        self.tag_panel.write_xmp_requested.connect(self.write_xmp)
        tags_dock.setWidget(self.tag_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, tags_dock)

        bar = self.statusBar()
        self.status_label = QLabel("")
        bar.addWidget(self.status_label, 1)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        bar.addPermanentWidget(self.progress)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_indexing)
        for button in (self.pause_button, self.cancel_button):
            button.hide()
            bar.addPermanentWidget(button)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(64, 320)
        self.size_slider.setValue(self.delegate.side)
        self.size_slider.setMaximumWidth(140)
        self.size_slider.valueChanged.connect(self._on_size_slider_changed)
        bar.addPermanentWidget(self.size_slider)
        self.device_label = QLabel("")
        bar.addPermanentWidget(self.device_label)

    def _build_actions(self) -> None:
        menu = self.menuBar().addMenu("&Folders")
        add = QAction("&Add folder…", self)
        add.triggered.connect(self._on_add_folder_clicked)
        menu.addAction(add)
        rescan = QAction("&Rescan now", self)
        rescan.triggered.connect(self.start_indexing)
        menu.addAction(rescan)
        edit = self.menuBar().addMenu("&Edit")
        paste = QAction("&Paste image or path", self)
        paste.setShortcut(QKeySequence.StandardKey.Paste)
        paste.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        paste.triggered.connect(self.paste)
        edit.addAction(paste)
        settings = QAction("&Settings…", self)
        settings.triggered.connect(self.open_settings)
        edit.addAction(settings)

    def _on_error(self, exc: BaseException) -> None:
        show_error(self, exc)

    # -- folders --------------------------------------------------------------------
    def refresh_folders(self) -> None:
        folders = self.library.folders()
        self.folder_list.clear()
        self.folder_list.addItems(folders)
        self.watcher.watch(folders)
        if not self.results.rowCount():
            self.stack.setCurrentIndex(0 if not folders else 1)

    def add_folder(self, folder: str) -> None:
        try:
            self.library.add_folder(folder)
        except Exception as exc:  # noqa: BLE001 - shown to the person
            show_error(self, exc)
            return
        self.refresh_folders()
        self.start_indexing()

    @Slot()
    def _on_add_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos")
        if folder:
            self.add_folder(folder)

    @Slot()
    def _on_remove_folder_clicked(self) -> None:
        item = self.folder_list.currentItem()
        if item is None:
            return
        folder = item.text()
        self.cancel_indexing()
        ops.run_in_background(self.library.remove_folder, folder,
                              on_result=lambda _n: self.refresh_folders(), on_error=self._on_error)

    # -- indexing -------------------------------------------------------------------
    @Slot()
    def start_indexing(self) -> None:
        """Reconcile every watched folder with the catalogue, in a worker."""
        if self._index_worker is not None:
            self._index_again = True  # one more pass once this one ends
            return
        if not self.library.folders():
            return
        self._index_cancel = threading.Event()
        self._index_again = False
        self.progress.show()
        self.progress.setRange(0, 0)
        self.pause_button.show()
        self.cancel_button.show()
        self.pause_button.setText("Pause")
        self._index_worker = ops.start_indexing(
            self.library, None, self._index_cancel, self._on_index_progress,
            self._on_index_done, self._on_index_error, model_id=self._pending_model,
        )
        self._index_worker.finished.connect(self._on_index_worker_finished)

    @Slot()
    def cancel_indexing(self) -> None:
        self._index_again = False
        self._index_cancel.set()
        worker = self._index_worker
        if worker is not None and worker.is_paused:
            worker.resume()  # a paused generator must run on to see the cancel

    @Slot()
    def _on_pause_clicked(self) -> None:
        worker = self._index_worker
        if worker is None:
            return
        worker.toggle_pause()
        self.pause_button.setText("Resume" if not worker.is_paused else "Pause")
        self.status_label.setText("Paused" if not worker.is_paused else self.status_label.text())

    def _on_index_progress(self, progress: IndexProgress) -> None:
        if progress.phase == "indexing" and progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
            eta = f", about {_duration(progress.eta_s)} left" if progress.eta_s else ""
            self.status_label.setText(
                f"Indexing {progress.done:,} of {progress.total:,} photos ({progress.rate:.1f}/s{eta})"
            )
        elif progress.phase != "done":
            self.status_label.setText(progress.phase.capitalize() + "…")
        self.index_progressed.emit(progress)

    def switch_model(self, model_id: str) -> None:
        """Index the library with `model_id` in the background; searches keep using the
        current model's index until that finishes, then the switch completes."""
        if model_id == self.library.model_id:
            self._pending_model = None
            return
        self._pending_model = model_id
        self.start_indexing()

    def _on_index_done(self, report: IndexReport) -> None:
        if self._pending_model and not report.cancelled and self._index_again is False:
            self.library.set_model(self._pending_model)
            log.info("switched to model %s", self._pending_model)
            self._pending_model = None
            ops.run_in_background(self._device_name, on_result=self._on_device_known)
        changed = report.added + report.updated + report.moved + report.removed
        self.status_label.setText(
            "Indexing cancelled; it resumes next time." if report.cancelled else
            f"Library up to date: {report.added} added, {report.updated} updated, {report.moved} moved, "
            f"{report.removed} removed, {len(report.failed)} skipped."
        )
        self.skipped.clear()
        for failure in report.failed:
            QTreeWidgetItem(self.skipped, [failure.path, failure.reason])
        if changed:
            self._drop_missing_results()
            if not report.cancelled:  # folder names may have changed: relearn text search
                self.retrain()
        self.index_finished.emit(report)

    def retrain(self) -> None:
        """Relearn text search from folder names and tags in a worker (one at a time)."""
        if self._training:
            self._train_again = True
            return
        self._training = True
        ops.run_in_background(self.library.train_words, on_result=self._on_training_done,
                              on_error=self._on_training_error)

    def _on_training_done(self, report: Any) -> None:
        self._training = False
        if self._train_again:  # labels changed while it trained: learn them too
            self._train_again = False
            self.retrain()
            return
        if report.active:
            log.info("learned %d words and %d terms from %d labelled photos in %.1f s",
                     len(report.words), len(report.terms), report.photos, report.seconds)
        else:
            log.info("learned text search is off: %s", report.off_reason)
            if self._tags_edited_since_training:  # the user is teaching it: say what it still needs
                self.status_label.setText(f"Text search learns your tags once it has enough: it "
                                          f"{report.off_reason}.")
        self._tags_edited_since_training = False
        self.training_finished.emit(report)

    def _on_training_error(self, exc: BaseException) -> None:
        self._training = False
        log.warning("training failed: %s", exc)
        self.status_label.setText(f"Could not relearn text search: {exc}")

    def _on_index_error(self, exc: BaseException) -> None:
        self.status_label.setText("Indexing stopped.")
        show_error(self, exc)

    def _on_index_worker_finished(self) -> None:
        self._index_worker = None
        self.progress.hide()
        self.pause_button.hide()
        self.cancel_button.hide()
        if self._index_again:
            QTimer.singleShot(0, self.start_indexing)

    @Slot()
    def _on_watcher_changed(self) -> None:
        self._debounce.start()

    @Slot(str)
    def _on_watcher_failed(self, message: str) -> None:
        self.status_label.setText(message)

    def _drop_missing_results(self) -> None:
        for hit in self.results.hits():
            if not os.path.exists(hit.path):
                self.results.remove_path(hit.path)

    # -- searching ------------------------------------------------------------------
    @Slot()
    def _on_search_bar_return_pressed(self) -> None:
        text = self.search_bar.text().strip()
        if not text:
            return
        path = _as_local_path(text)
        if path and os.path.isfile(path):
            self.search_image(path)
        else:
            self.search_text(text)

    @Slot()
    def _on_open_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Search by photo", "", "Images (*.jpg *.jpeg *.png *.gif *.bmp *.tif *.tiff *.webp *.heic)"
        )
        if path:
            self.search_image(path)

    def search_text(self, text: str) -> None:
        """Search photos by word; similar words appear as chips."""
        self.search_bar.setText(text)
        self._run_search(self.library.search_text, text)
        ops.run_in_background(self.library.similar_words, text, 8,
                              on_result=self._show_chips, on_error=lambda _exc: self._show_chips([]))

    def search_image(self, path: str) -> None:
        """Search photos that look like the image file at `path` (in the library or not)."""
        self.search_bar.setText(path)
        self._show_chips([])
        self._run_search(self.library.search_image, path)

    def _run_search(self, func: Any, query: str) -> None:
        self._completion_timer.stop()
        self._searched_text = self.search_bar.text()
        self.completer.popup().hide()
        self._search_id += 1
        search_id = self._search_id  # results of older searches are dropped
        k = int(self.settings.value("results", 60))
        self.status_label.setText("Searching…")
        ops.run_in_background(
            func, query, k,
            on_result=lambda hits: self._on_search_done(search_id, hits),
            on_error=lambda exc: self._on_search_error(search_id, exc),
        )

    def _on_search_done(self, search_id: int, hits: list[SearchHit]) -> None:
        if search_id != self._search_id:
            return
        self.stack.setCurrentIndex(1)
        self.results.set_hits(hits)
        self._on_selection_changed()  # a model reset clears the selection without a signal
        self.status_label.setText(f"{len(hits)} photos")
        log.info("search %r: %d results", self.search_bar.text(), len(hits))
        self._load_thumbnails(hits)
        self.search_finished.emit(hits)

    def _on_search_error(self, search_id: int, exc: BaseException) -> None:
        if search_id != self._search_id:
            return
        self.results.set_hits([])
        self.status_label.setText(str(exc))
        self.search_finished.emit([])

    def _show_chips(self, words: list[Any]) -> None:
        while self.chips_layout.count():
            item = self.chips_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for hit in words:
            chip = QPushButton(hit.word)
            chip.setFlat(True)
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.setStyleSheet("QPushButton { border: 1px solid palette(mid); border-radius: 10px; padding: 2px 10px; }")
            chip.clicked.connect(lambda _checked=False, word=hit.word: self.search_text(word))
            self.chips_layout.addWidget(chip)
        self.chips_layout.addStretch(1)

    def chip_words(self) -> list[str]:
        return [self.chips_layout.itemAt(i).widget().text() for i in range(self.chips_layout.count())
                if self.chips_layout.itemAt(i).widget() is not None]

    @Slot()
    def _update_completions(self) -> None:
        prefix = self.search_bar.text().strip()
        if len(prefix) < 2 or os.sep in prefix:
            return
        ops.run_in_background(self.library.completions, prefix, 12,
                              on_result=lambda words: self._on_completions(prefix, words),
                              on_error=lambda _exc: None)

    def _on_completions(self, prefix: str, words: list[str]) -> None:
        if self.search_bar.text().strip() != prefix or self._searched_text == self.search_bar.text():
            return  # stale: the text changed, or it was already searched
        model = self.completer.model()
        model.setStringList(words)  # type: ignore[attr-defined]
        if words and self.search_bar.hasFocus():
            self.completer.complete()

    # -- thumbnails -----------------------------------------------------------------
    def _load_thumbnails(self, hits: list[SearchHit]) -> None:
        if self._thumb_worker is not None:
            self._thumb_worker.quit()  # a newer search replaces the old thumbnails
        paths = [h.path for h in hits if not self.results.has_thumbnail(h.path)]
        worker = create_worker(_thumbnail_images, self.thumbnail_cache, paths, _start_thread=False)
        worker.yielded.connect(self._on_thumbnail_ready)
        self._thumb_worker = worker
        worker.start()

    def _on_thumbnail_ready(self, item: tuple[str, QImage]) -> None:
        path, image = item
        self.results.set_thumbnail(path, QPixmap.fromImage(image))  # QPixmap: GUI thread only

    @Slot(int)
    def _on_size_slider_changed(self, side: int) -> None:
        self.delegate.side = side
        self.settings.setValue("thumbnail_size", side)
        self.view.setIconSize(QSize(side, side))
        self.view.doItemsLayout()

    # -- actions on results ---------------------------------------------------------------
    def selected_hit(self) -> SearchHit | None:
        index = self.view.currentIndex()
        return index.data(HitRole) if index.isValid() else None

    @Slot()
    def _on_view_double_clicked(self) -> None:
        self.preview()

    def preview(self) -> None:
        """A larger view of the current result; the photo is decoded in a worker."""
        hit = self.selected_hit()
        if hit is None:
            return
        ops.run_in_background(_load_image, hit.path, PREVIEW_SIDE,
                              on_result=lambda image: self._show_preview(hit.path, image),
                              on_error=self._on_error)

    def _show_preview(self, path: str, image: QImage) -> None:
        dialog = PreviewDialog(self, path, QPixmap.fromImage(image))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def copy_image(self, path: str) -> None:
        ops.run_in_background(_load_image, path, 0,
                              on_result=lambda image: QApplication.clipboard().setImage(image),
                              on_error=self._on_error)

    def tag_at(self, pos: Any) -> str | None:
        """The tag drawn at viewport position `pos`, if any."""
        index = self.view.indexAt(pos)
        if not index.isValid():
            return None
        hit = index.data(HitRole)
        return self.delegate.tag_at(self.view.visualRect(index), hit.tags, self.view.font(), pos)

    def _on_view_context_menu(self, pos: Any) -> None:
        hit = self.selected_hit()
        if hit is None:
            return
        menu = QMenu(self)
        menu.addAction("Open", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(hit.path)))
        menu.addAction("Reveal in file manager", lambda: _reveal(hit.path))
        menu.addAction("Copy path", lambda: QApplication.clipboard().setText(hit.path))
        menu.addAction("Copy image", lambda: self.copy_image(hit.path))
        menu.addAction("More like this", lambda: self.search_image(hit.path))
        menu.addAction("Preview", self.preview)
        for tag in hit.tags:
            menu.addAction(f"Search “{tag}”", lambda tag=tag: self.search_text(tag))
        menu.addSeparator()
        for tag in hit.tags:
            menu.addAction(f"Confirm tag “{tag}”", lambda tag=tag: self.confirm_tags([tag]))
        for tag in hit.tags:
            menu.addAction(f"Reject tag “{tag}”", lambda tag=tag: self.reject_tags([tag]))
        menu.addAction("Add tag…", self._ask_tag)
        menu.addAction("Write tags to XMP sidecars", self.write_xmp)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    # -- tags ---------------------------------------------------------------------------
    def selected_paths(self) -> list[str]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedIndexes())
        return [self.results.hit(row).path for row in rows]

    def _on_selection_changed(self, *_args: Any) -> None:
        shown_before = self.tag_panel.paths[:1]
        paths = self.selected_paths()
        self.tag_panel.set_photos(paths)
        if paths[:1] != shown_before:  # widening a selection keeps the first photo's tags shown
            self.refresh_tag_panel()

    def refresh_tag_panel(self) -> None:
        """Load the first selected photo's tags in a worker; a newer request wins."""
        paths = self.tag_panel.paths
        if not paths:
            return
        self._tags_request += 1
        request = self._tags_request
        ops.run_in_background(self.library.tags, paths[0], PANEL_TAGS,
                              on_result=lambda tags: self._on_panel_tags(request, tags),
                              on_error=self._on_error)

    def _on_panel_tags(self, request: int, tags: list[Any]) -> None:
        if request == self._tags_request:
            self.tag_panel.set_tags(tags)

    def confirm_tags(self, tags: list[str]) -> None:
        """Confirm (or add) `tags` on the selected photos; text search relearns after."""
        self._edit_tags(add=tags, remove=[])

    def reject_tags(self, tags: list[str]) -> None:
        self._edit_tags(add=[], remove=tags)

    def _ask_tag(self) -> None:
        text, ok = QInputDialog.getText(self, "Add tag", "Tag for the selected photos:")
        if ok and text.strip():
            self.confirm_tags([text.strip()])

    def _edit_tags(self, add: list[str], remove: list[str]) -> None:
        paths = self.selected_paths()
        if not paths:
            return
        ops.run_in_background(self.library.edit_tags, paths, add, remove,
                              on_result=lambda _none: self._on_tags_edited(paths),
                              on_error=self._on_error)

    def _on_tags_edited(self, paths: list[str]) -> None:
        self.status_label.setText(f"Tags saved for {len(paths)} photo{'s' if len(paths) != 1 else ''}; "
                                  "text search relearns in the background.")
        self.refresh_tag_panel()
        shown = [(hit.photo_id, hit.score) for hit in self.results.hits()]
        ops.run_in_background(self.library.photo_hits, shown, on_result=self.results.update_tags,
                              on_error=self._on_error)
        self._tags_edited_since_training = True
        self._train_timer.start()
        self.tags_changed.emit(paths)

    def write_xmp(self) -> None:
        """Confirmed tags of the selected photos to .xmp sidecars (photos never modified)."""
        paths = self.selected_paths()
        if paths:
            ops.run_in_background(self.library.write_xmp, paths, on_result=self._on_xmp_written,
                                  on_error=self._on_error)

    def _on_xmp_written(self, sidecars: list[Any]) -> None:
        self.status_label.setText(f"Wrote {len(sidecars)} XMP sidecar{'s' if len(sidecars) != 1 else ''}.")

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
        if (obj is self.view.viewport() and event.type() == event.Type.MouseButtonRelease
                and event.button() == Qt.MouseButton.LeftButton):
            tag = self.tag_at(event.position().toPoint())
            if tag:
                self.search_text(tag)  # clicking a tag searches that tag
                return True
        if obj is self.view and event.type() == event.Type.KeyPress:
            if event.key() == Qt.Key.Key_Space:
                self.preview()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                hit = self.selected_hit()
                if hit is not None:
                    QDesktopServices.openUrl(QUrl.fromLocalFile(hit.path))
                return True
        return super().eventFilter(obj, event)

    # -- drag and drop, clipboard -----------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        for url in mime.urls():
            path = url.toLocalFile()
            if os.path.isdir(path):
                self.add_folder(path)
                event.acceptProposedAction()
                return
            if os.path.isfile(path):
                self.search_image(path)
                event.acceptProposedAction()
                return
        if mime.hasImage():
            self._search_clipboard_image(mime.imageData())
            event.acceptProposedAction()

    @Slot()
    def paste(self) -> None:
        """Paste an image (searched by example) or a path / word into the search."""
        mime = QApplication.clipboard().mimeData()
        if mime.hasImage():
            self._search_clipboard_image(mime.imageData())
        elif mime.hasUrls() and mime.urls()[0].isLocalFile():
            self.search_image(mime.urls()[0].toLocalFile())
        elif mime.hasText():
            text = mime.text().strip()
            path = _as_local_path(text)
            if path and os.path.isfile(path) and is_image_name(path):
                self.search_image(path)
            else:
                self.search_bar.setText(text)
                self.search_bar.setFocus()

    def _search_clipboard_image(self, image: Any) -> None:
        target = self.thumbnail_cache / "pasted.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        QImage(image).save(str(target))
        self.search_image(str(target))

    # -- settings -------------------------------------------------------------------------
    def _device_name(self) -> str:
        runner = self.library.embedder().runner
        note = f" ({runner.provider_note})" if runner.provider_note else ""
        return f"{runner.provider}{note}"

    def _on_device_known(self, device: str) -> None:
        self.device_label.setText(device.split(" (")[0])
        self.device_label.setToolTip(device)

    @Slot()
    def open_settings(self) -> None:
        models = [(m.id, m.name) for m in self.library.models()]
        dialog = SettingsDialog(self, models, self.library.model_id, self.device_label.toolTip(),
                                int(self.settings.value("results", 60)), self.delegate.side,
                                str(self.library.root))
        if dialog.exec():
            self.settings.setValue("results", dialog.results.value())
            if dialog.library.text() and dialog.library.text() != str(self.library.root):
                self.settings.setValue("library", dialog.library.text())
            self.size_slider.setValue(dialog.thumb.value())
            self.switch_model(dialog.model.currentData())

    # -- closing --------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Cancel and await every worker, then close the library (safe to call twice)."""
        self._rescan_timer.stop()
        self._debounce.stop()
        self.watcher.close()
        self.cancel_indexing()
        if self._thumb_worker is not None:
            self._thumb_worker.quit()
        WorkerBase.await_workers(msecs=10000)
        self.library.close()

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def _thumbnail_images(cache: Path, paths: list[str]):  # type: ignore[no-untyped-def]
    """Worker generator: (path, QImage) per photo; QImage is safe off the GUI thread."""
    for path in paths:
        try:
            file = thumbnail(cache, path)
        except Exception:  # noqa: BLE001 - a missing thumbnail is just a grey box
            continue
        image = QImage(str(file))
        if not image.isNull():
            yield path, image


def _load_image(path: str, max_side: int) -> QImage:
    """Read a photo as a QImage in a worker, scaled while decoding when `max_side` is set."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation
    if max_side:
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > max_side:
            reader.setScaledSize(size.scaled(max_side, max_side, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise ImageUnreadable(path, reader.errorString() or "cannot be read")
    return image


def _as_local_path(text: str) -> str | None:
    if text.startswith("file://"):
        return QUrl(text).toLocalFile()
    expanded = os.path.expanduser(text)
    return expanded if os.path.isabs(expanded) else None


def _reveal(path: str) -> None:
    if sys.platform == "darwin":
        subprocess.Popen(["open", "-R", path])
    elif sys.platform == "win32":
        subprocess.Popen(["explorer", "/select,", path])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))


def _duration(seconds: float | None) -> str:
    if not seconds:
        return "?"
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
