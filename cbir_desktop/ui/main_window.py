"""The main window: watched folders, background indexing, search bar, results grid.

No search or indexing logic lives here, and no work queue: every engine call goes
through `ops` (a `SerialOp` per kind of work, or `run_in_background` for one-off
writes) and runs in a worker thread; this module only wires widgets to them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QSettings, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ..engine.api import RELEVANT_FROM, Library, filter_terms, is_photo_name, parse_query
from ..engine.errors import EngineError, UnknownWord
from ..engine.types import (
    Device,
    IndexProgress,
    IndexReport,
    ModelInfo,
    PersonGroup,
    SearchHit,
    TagEdit,
    TagScore,
    TrainingReport,
    WordHit,
)
from . import ops
from .dialogs import (
    PreviewDialog,
    SettingsDialog,
    ask_delete_faces,
    ask_remove_folder,
    faces_deleted_note,
    show_error,
)
from .duplicates_wiring import DuplicatesWiring
from .folders_dock import FoldersDock
from .grouping_bar import GroupingBar
from .info_panel import InfoPanel
from .ops import FacetsAnswer, FolderRemoval, IndexRun, LibraryPage, SearchAnswer, SerialOp
from .people import PeopleWiring
from .people_panel import PeopleDock
from .pickers import picker_sections, with_terms
from .results_model import ResultsModel, Row, without_empty_groups
from .results_view import ResultsView, context_menu
from .search_bar import SearchBar
from .search_notice import SearchNotice, quoted
from .settings import (
    LIBRARY,
    LIBRARY_GROUPING,
    PREVIEW_FACES,
    RESULTS,
    SORT,
    THUMBNAIL_SIZE,
    library_grouping,
    preview_faces,
    sort_order,
)
from .sort_box import SortBox
from .stacks import BurstStacks, stack_status
from .tag_panel import TagPanel
from .undo import TagHistory, describe
from .watcher import FolderWatcher

log = logging.getLogger(__name__)

RESCAN_EVERY_MS = 10 * 60 * 1000  # watchers miss events on big trees: rescan now and then
DEBOUNCE_MS = 1500  # gather a burst of file events into one rescan
TRAIN_DEBOUNCE_MS = 1000  # relearn text search this long after the last tag edit
MIN_CENTRE_WIDTH = 320  # below this, the side panels narrow to make room
PANEL_TAGS = 12  # tags listed in the Tags panel
SIMILAR_WORDS = 8  # chips under the search bar
COMPLETIONS = 12
PREVIEW_SIDE = 1600  # the preview decodes at most this size (fast even for 50-MP photos)
BROWSE_PAGE = 200  # photos per page of the library view: a few screens, read in milliseconds
# Phases of an indexing run that count photos, and how the status bar says them.
COUNTED_PHASES = {"indexing": "Indexing", "describing colours": "Describing the colours of",
                  "finding faces": "Finding faces in", "reading text in photos": "Reading the text in"}
# The steps after the photos are searchable, which resume where they stopped: new photos found
# by the watcher or a rescan the user asks for stop them, are indexed first, and they go on after.
RESUMABLE_PHASES = frozenset({"finding faces", "reading text in photos"})
LIVE_RELOAD_S = 2.0  # while indexing, a library view shorter than a page is read again this often
REPORT_KEPT_S = 60.0  # a run that changed nothing leaves a change report this recent on the status line
PANEL_WIDTH = 240  # the Folders and Tags panels' starting width, in pixels


@dataclass
class LibraryPlace:
    """Where the library view was when a search replaced it, to come back to."""

    rows: list[Row] = field(default_factory=list)  # photos and their groups' headers
    more: bool = False  # more pages after these
    scroll: int = 0


class MainWindow(QMainWindow):
    """The cbir-desktop window."""

    search_finished = Signal(object)  # list[SearchHit], for tests and status
    index_progressed = Signal(object)  # IndexProgress
    index_finished = Signal(object)  # IndexReport
    tags_changed = Signal(list)  # paths whose tags the user edited (saved by then)
    training_finished = Signal(object)  # TrainingReport: later text searches use it
    folder_removed = Signal(object)  # FolderRemoval, once every view shows it
    library_shown = Signal(object)  # LibraryPage, once the library view shows it
    pickers_shown = Signal(object)  # the Filter menu (filter_menu.FilterMenu), once it pops up
    pairs_changed = Signal(bool)  # RAW+JPEG pairs show as one photo (True) or not, from now
    face_recognition_changed = Signal(bool)  # indexing finds faces (True) or not, from now
    face_data_deleted = Signal(object)  # ops.FaceDeletion: every face and person is gone (people panel: refresh)

    def __init__(self, library: Library, settings: QSettings, thumbnail_cache: Path) -> None:
        super().__init__()
        self.library = library
        self.settings = settings
        self.thumbnail_cache = thumbnail_cache
        # The library's model as the window knows it (a plain attribute, not an engine
        # call); each indexing run reports it, so a finished switch shows up here.
        self._model_id = library.model_id
        self._model_target: str | None = None  # switching: indexed in the background first
        self._tags_edited_since_training = False
        self.tag_history = TagHistory()  # tag edits to undo and redo, until the app closes
        # The library view (no search): all photos or one folder's, in pages, grouped by month
        # taken (newest first), folder or place.
        self._browsing = True
        self._browse_folder: str | None = None
        self._grouping = library_grouping(settings)
        self._library_more = False
        self._restore_scroll: int | None = None  # a reloaded first page keeps the scroll position
        self._saved_library: LibraryPlace | None = None  # while a search is shown
        self._library_stale = False  # the library changed while a search was shown
        self._live_reloaded = 0.0  # when the library view was last read again during indexing
        self._changes_reported = -REPORT_KEPT_S, ""  # when and how the status line last said what a run changed
        self._index_phase = ""  # the running indexing run's phase ("" when none runs)
        self._preempted = False  # the running run was asked to stop for newer work
        self._respelt: tuple[str, list[str]] | None = None  # (typed, other spellings) of a respelt search
        self._answer: SearchAnswer | None = None  # the search shown
        self._held_back: list[SearchHit] = []  # its hits below the relevance cut-off, until "Show more"
        self._show_all = False  # "Show more" asked past the best k: show every hit
        self.setWindowTitle("cbir-desktop")
        self.setAcceptDrops(True)
        self.resize(1100, 720)
        self._build_widgets()
        self._build_actions()
        self._build_ops()
        self._build_timers()
        self.refresh_folders()
        self._request_library_page(0, BROWSE_PAGE)
        # Word vectors load in the background so the first typed word is answered fast.
        ops.run_in_background(self.library.words, on_error=self._on_error)
        self._device.request()
        self._show_read_only(library.read_only)
        # Reconcile at start-up; the run first heals any derived state a crash left unsound.
        QTimer.singleShot(0, self.start_indexing)
        self.search_bar.field.setFocus()

    # -- construction -------------------------------------------------------------
    def _build_widgets(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        self.search_bar = SearchBar()
        self.search_bar.text_submitted.connect(self._on_search_bar_text_submitted)
        self.search_bar.photo_chosen.connect(self.search_image)
        self.search_bar.word_clicked.connect(self.search_text)
        self.search_bar.completions_wanted.connect(self._on_search_bar_completions_wanted)
        self.search_bar.cleared.connect(self._on_search_bar_cleared)
        self.search_bar.paste_requested.connect(self._on_search_bar_paste_requested)
        self.search_bar.filter_removed.connect(self._on_search_bar_filter_removed)
        self.search_bar.filters_wanted.connect(self._on_search_bar_filters_wanted)
        self.search_bar.filter_added.connect(self._on_search_bar_filter_added)
        layout.addWidget(self.search_bar)
        self.notice = SearchNotice()  # above the grid: a respelt word, a cut-off with "Show more"
        self.notice.word_clicked.connect(self.search_text)
        self.notice.action_clicked.connect(self.show_more)
        layout.addWidget(self.notice)
        self.grouping_bar = GroupingBar(library_grouping(self.settings))  # the library view's groups
        self.grouping_bar.grouping_chosen.connect(self._on_grouping_bar_grouping_chosen)
        layout.addWidget(self.grouping_bar)
        layout.addWidget(self._build_results(), 1)
        self.setCentralWidget(central)
        self.folders_dock = FoldersDock(self)
        self.folders_dock.add_requested.connect(self.add_folder)
        self.folders_dock.remove_requested.connect(self.remove_folder)
        self.folders_dock.folder_chosen.connect(self.show_library)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.folders_dock)
        self.people_dock = PeopleDock(self)  # a tab beside Folders (View → People)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.people_dock)
        self.tabifyDockWidget(self.folders_dock, self.people_dock)
        self.folders_dock.raise_()
        self.tags_dock = self._build_tags_dock()
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.tags_dock)
        self.info_dock = QDockWidget("Info", self)  # the selected photo's date, camera, place...
        self.info_dock.setObjectName("info")
        self.info_panel = InfoPanel()
        self.info_dock.setWidget(self.info_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.info_dock)
        self.tabifyDockWidget(self.tags_dock, self.info_dock)
        self.tags_dock.raise_()
        # Panels start at a set width and keep the one the person drags them to: their contents
        # (long paths, tag names) elide instead of widening them.
        self.resizeDocks([self.folders_dock, self.tags_dock], [PANEL_WIDTH, PANEL_WIDTH], Qt.Orientation.Horizontal)
        self._build_status_bar()
        self._show_sort(content=False)

    def _build_results(self) -> QStackedWidget:
        self.stack = QStackedWidget()
        self.empty_page = QWidget()  # an empty library says what to do next
        empty = QVBoxLayout(self.empty_page)
        empty.addStretch(1)
        self.empty_label = QLabel(
            "<h2>Add a folder of photos</h2><p>Drop a folder on this window or use "
            "<b>Folders → Add folder…</b>. Photos are indexed on this computer; nothing is uploaded.</p>"
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        empty.addWidget(self.empty_label)
        self.empty_add_button = QPushButton("Add folder…")
        self.empty_add_button.clicked.connect(lambda: self.folders_dock.ask_folder())
        empty.addWidget(self.empty_add_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty.addStretch(1)
        self.stack.addWidget(self.empty_page)
        self.message_page = QWidget()  # a search with nothing to show says so, and what to try
        message = QVBoxLayout(self.message_page)
        message.addStretch(1)
        self.message = SearchNotice(centred=True)
        self.message.word_clicked.connect(self.search_text)
        self.message.action_clicked.connect(self.show_more)
        message.addWidget(self.message)
        message.addStretch(2)
        self.stack.addWidget(self.message_page)
        self.results = ResultsModel()
        self.results.more_wanted.connect(self._on_results_more_wanted)
        self.view = ResultsView(self.results, THUMBNAIL_SIZE.read(self.settings))
        self.delegate = self.view.delegate
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.preview_requested.connect(self.preview)
        self.view.tag_clicked.connect(self.search_text)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu)
        self.view.stack_toggle_requested.connect(self.toggle_stack)
        self.bursts = BurstStacks(self, self.library, self.results, self.settings)  # bursts found in a worker
        self.stack.addWidget(self.view)
        return self.stack

    def _build_tags_dock(self) -> QDockWidget:
        tags_dock = QDockWidget("Tags", self)
        tags_dock.setObjectName("tags")
        self.tag_panel = TagPanel()
        self.tag_panel.confirm_requested.connect(self.confirm_tags)
        self.tag_panel.reject_requested.connect(self.reject_tags)
        self.tag_panel.add_requested.connect(lambda tag: self.confirm_tags([tag]))
        self.tag_panel.write_xmp_requested.connect(self.write_xmp)
        tags_dock.setWidget(self.tag_panel)
        return tags_dock

    def _build_status_bar(self) -> None:
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
        self.size_slider.setRange(THUMBNAIL_SIZE.minimum, THUMBNAIL_SIZE.maximum)
        self.size_slider.setValue(self.view.side)
        self.size_slider.setMaximumWidth(140)
        self.size_slider.valueChanged.connect(self._on_size_slider_changed)
        bar.addPermanentWidget(self.size_slider)
        self.sort_box = SortBox()  # beside the size slider: both are about the results shown
        self.sort_box.sort_changed.connect(self._on_sort_box_sort_changed)
        bar.addPermanentWidget(self.sort_box)
        self.device_label = QLabel("")
        bar.addPermanentWidget(self.device_label)

    def _build_actions(self) -> None:
        file = self.menuBar().addMenu("&File")
        quit_ = QAction("&Quit", self)
        quit_.setShortcut(QKeySequence("Ctrl+Q"))  # StandardKey.Quit is empty on Windows
        quit_.setMenuRole(QAction.MenuRole.QuitRole)
        quit_.triggered.connect(self.close)  # the normal way: closeEvent shuts the workers down
        file.addAction(quit_)
        menu = self.menuBar().addMenu("&Folders")
        add = QAction("&Add folder…", self)
        add.triggered.connect(self.folders_dock.ask_folder)
        menu.addAction(add)
        rescan = QAction("&Rescan now", self)
        rescan.triggered.connect(self.start_indexing)
        menu.addAction(rescan)
        edit = self.menuBar().addMenu("&Edit")
        self.undo_action = QAction("&Undo tag edit", self)
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))  # a focused text field keeps its own undo
        self.undo_action.triggered.connect(self.undo_tag_edit)
        self.redo_action = QAction("&Redo tag edit", self)
        self.redo_action.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        self.redo_action.triggered.connect(self.redo_tag_edit)
        edit.addActions([self.undo_action, self.redo_action])
        self.undo_trash_action = QAction("Undo &move to trash", self)  # the Duplicates window's, until the app closes
        self.undo_trash_action.setEnabled(False)
        self.undo_trash_action.triggered.connect(self.undo_trash)
        edit.addAction(self.undo_trash_action)
        edit.addSeparator()
        self._update_undo_actions()
        paste = QAction("&Paste image or path", self)
        paste.setShortcut(QKeySequence.StandardKey.Paste)
        paste.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        paste.triggered.connect(self.paste)
        edit.addAction(paste)
        settings = QAction("&Settings…", self)
        settings.triggered.connect(self.open_settings)
        edit.addAction(settings)
        view = self.menuBar().addMenu("&View")
        people = self.people_dock.toggleViewAction()
        people.setShortcut(QKeySequence("Ctrl+Shift+P"))
        view.addAction(people)
        duplicates = QAction("Find &duplicates…", self)
        duplicates.setShortcut(QKeySequence("Ctrl+Shift+D"))
        duplicates.triggered.connect(self.open_duplicates)
        view.addAction(duplicates)
        view.addAction(self.bursts.action)  # View → Stack bursts (remembered)
        help_ = self.menuBar().addMenu("&Help")
        about = QAction("&About…", self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self.open_about)
        help_.addAction(about)
        # The model list is read in a worker, as for Settings; shutdown() closes this op too.
        self._about_models = SerialOp(self, self.library.models, on_result=self._show_about,
                                      on_error=self._on_error, drop_superseded=True)

    def _build_ops(self) -> None:
        """One `SerialOp` per kind of work: each runs one at a time, the latest request wins."""
        lib = self.library
        self._indexing = SerialOp(self, partial(ops.index_library, lib), on_progress=self._on_index_progress,
                                  on_result=self._on_index_done, on_error=self._on_index_error, cancellable=True)
        self._indexing.finished.connect(self._on_indexing_finished)
        self._training = SerialOp(self, lib.train_words, on_result=self._on_training_done,
                                  on_error=self._on_training_error, drop_superseded=True)
        self._folders = SerialOp(self, lib.folders, on_result=self._show_folders, on_error=self._on_error,
                                 drop_superseded=True)
        self._browse = SerialOp(self, partial(ops.browse, lib), on_result=self._on_library_page,
                                on_error=self._on_error, drop_superseded=True)
        self._search = SerialOp(self, partial(ops.search, lib), on_result=self._on_search_done,
                                on_error=self._on_search_error, drop_superseded=True)
        self._facets = SerialOp(self, partial(ops.facets, lib), on_result=self._on_facets,
                                on_error=self._on_facets_error, drop_superseded=True)
        self._chips = SerialOp(self, lib.similar_words, on_result=self._on_similar_words,
                               on_error=lambda _exc: self.search_bar.show_chips([]), drop_superseded=True)
        self._completions = SerialOp(self, partial(ops.completions, lib), on_result=self._on_completions,
                                     on_error=lambda _exc: None, drop_superseded=True)
        self._panel_tags = SerialOp(self, lib.tags, on_result=self._on_panel_tags, on_error=self._on_error,
                                    drop_superseded=True)
        self._info = SerialOp(self, partial(ops.photo_info, lib), on_result=self._on_photo_info,
                              on_error=lambda exc: self.info_panel.show_nothing(str(exc)), drop_superseded=True)
        self._shown_tags = SerialOp(self, lib.photo_hits, on_result=self.results.update_tags,
                                    on_error=self._on_error, drop_superseded=True)
        self._thumbnails = SerialOp(self, partial(ops.thumbnail_images, lib, self.thumbnail_cache),
                                    on_progress=self._on_thumbnail_ready, quit_superseded=True)
        self._device = SerialOp(self, lib.device, on_result=self._on_device_known,
                                on_error=lambda exc: log.warning("no device: %s", exc), drop_superseded=True)
        self._models = SerialOp(self, partial(ops.library_settings, lib), on_result=self._show_settings,
                                on_error=self._on_error, drop_superseded=True)
        self._group_photos = SerialOp(self, partial(ops.person_photos, lib), on_result=self._on_search_done,
                                      on_error=self._on_search_error, drop_superseded=True)
        self._person_like = SerialOp(self, partial(ops.person_like, lib), on_result=self._on_person_like,
                                     on_error=self._on_search_error, drop_superseded=True)
        self.people = PeopleWiring(self, lib, self.people_dock)
        self.people.person_chosen.connect(self.search_text)
        self.people.group_chosen.connect(self.show_group)
        self.people.names_changed.connect(self.search_bar.set_names)
        self.people.status.connect(self.status_label.setText)
        self.face_data_deleted.connect(lambda _deletion: self.people.refresh())
        self.people.refresh()
        self.duplicates = DuplicatesWiring(self, lib, self.thumbnail_cache)
        self.duplicates.status.connect(self.status_label.setText)
        self.duplicates.trashed.connect(self._on_photos_trashed)
        self.duplicates.restored.connect(lambda _restore: self.start_indexing())
        self.duplicates.undo_changed.connect(self.undo_trash_action.setEnabled)
        self.duplicates.undo_named.connect(self.undo_trash_action.setText)  # trash or XMP marks, the last
        self.bursts.status.connect(self.status_label.setText)
        # A search for series there may have changed the series window: the bursts are found again.
        self.duplicates.groups_shown.connect(lambda _groups: self.bursts.library_changed())

    def _build_timers(self) -> None:
        self.watcher = FolderWatcher(self)
        self.watcher.changed.connect(self._on_watcher_changed)
        self.watcher.overflowed.connect(self._on_watcher_changed)
        self.watcher.failed.connect(self._on_watcher_failed)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.start_indexing)
        self._rescan_timer = QTimer(self, interval=RESCAN_EVERY_MS)
        self._rescan_timer.timeout.connect(self._rescan_now_and_then)
        self._rescan_timer.start()
        # Tag edits come in bursts: relearn once they pause.
        self._train_timer = QTimer(self, singleShot=True, interval=TRAIN_DEBOUNCE_MS)
        self._train_timer.timeout.connect(self.retrain)

    def _on_error(self, exc: BaseException) -> None:
        show_error(self, exc)

    # -- folders --------------------------------------------------------------------
    def refresh_folders(self) -> None:
        self._folders.request()

    def _show_folders(self, folders: list[str]) -> None:
        self.folders_dock.set_folders(folders)
        self.watcher.watch(folders)
        self._update_centre()

    @Slot(str)
    def add_folder(self, folder: str) -> None:
        """Watch `folder` and index it."""
        ops.run_in_background(ops.add_folder, self.library, folder, on_result=self._on_folder_added,
                              on_error=self._on_error)

    def _on_folders_edited(self, folders: list[str]) -> None:
        self._folders.discard()  # a listing read before this edit may still be on its way
        self._show_folders(folders)

    def _on_folder_added(self, folders: list[str]) -> None:
        self._on_folders_edited(folders)
        self.start_indexing()

    @Slot(str)
    def remove_folder(self, folder: str) -> None:
        """Ask first (how many photos leave, read in a worker), then stop watching `folder`
        and drop its photos from the library; files and the user's tag decisions stay."""
        ops.run_in_background(self.library.folder_photo_count, folder,
                              on_result=lambda count: self._ask_remove_folder(folder, count),
                              on_error=self._on_error)

    def _ask_remove_folder(self, folder: str, count: int) -> None:
        box, remove = ask_remove_folder(self, folder, count)
        box.finished.connect(lambda _result: self._on_remove_question_answered(folder,
                                                                               box.clickedButton() is remove))
        box.open()  # window-modal, and the event loop keeps running

    def _on_remove_question_answered(self, folder: str, remove: bool) -> None:
        if not remove:
            return
        self.cancel_indexing()
        ops.run_in_background(ops.remove_folder, self.library, folder, on_result=self._on_folder_removed,
                              on_error=self._on_error)

    def _on_folder_removed(self, removal: FolderRemoval) -> None:
        """Every view at once: folders, skipped files, results, the tag panel."""
        self._on_folders_edited(removal.folders)
        self.folders_dock.show_skipped(removal.skipped)
        self.results.remove_under(removal.folder)
        if self._saved_library is not None:
            self._saved_library.rows = without_empty_groups(
                [row for row in self._saved_library.rows if not isinstance(row, SearchHit)
                 or not row.path.startswith(os.path.join(removal.folder, ""))], self._saved_library.more)
        if self._browse_folder is not None and (self._browse_folder + os.sep).startswith(
                os.path.join(removal.folder, "")):
            self.show_library(None)  # the folder shown has gone: show the whole library
        self._update_centre()
        self._on_selection_changed()  # the selected photos may have left
        self.people.refresh()  # their faces left with them
        self.status_label.setText(f"Removed {removal.folder} ({removal.removed} photo"
                                  f"{'s' if removal.removed != 1 else ''}) from the library.")
        self.folder_removed.emit(removal)

    @Slot()
    def _on_watcher_changed(self) -> None:
        self._debounce.start()

    @Slot(str)
    def _on_watcher_failed(self, message: str) -> None:
        self.status_label.setText(message)

    # -- indexing -------------------------------------------------------------------
    @Slot()
    def start_indexing(self) -> None:
        """Reconcile every watched folder with the catalogue in a worker (once more after a running
        pass). A running faces or text step stops for it and goes on in the new pass."""
        self._request_indexing(preempt=True)

    @Slot()
    def _rescan_now_and_then(self) -> None:
        """The periodic rescan waits for a running pass instead of stopping its steps."""
        self._request_indexing(preempt=False)

    def _request_indexing(self, preempt: bool) -> None:
        if self.library.read_only:
            return
        self._indexing.request(self._model_target)
        if preempt and self._index_phase in RESUMABLE_PHASES and not self._indexing.is_paused:
            self._preempted = True
            self._indexing.interrupt()

    def _show_read_only(self, reason: str) -> None:
        """A read-only library (read-only media, another user's): search works, editing is off."""
        if not reason:
            return
        note = QLabel(f"Read-only library ({reason}): searching works; indexing and tag edits are off.")
        note.setObjectName("read_only_note")
        self.statusBar().insertWidget(0, note)
        self.tag_panel.set_read_only(reason)
        self.folders_dock.set_read_only(reason)
        self.people_dock.set_read_only(reason)
        self.empty_add_button.setEnabled(False)
        for action in self.menuBar().findChildren(QAction):
            if action.text() in ("&Add folder…", "&Rescan now"):
                action.setEnabled(False)

    @Slot()
    def cancel_indexing(self) -> None:
        self._indexing.cancel()

    @Slot()
    def _on_pause_clicked(self) -> None:
        if not self._indexing.running:
            return
        was_paused = self._indexing.is_paused
        self._indexing.toggle_pause()
        self.pause_button.setText("Pause" if was_paused else "Resume")
        if not was_paused:
            self.status_label.setText("Paused")

    def _show_index_controls(self, shown: bool) -> None:
        for widget in (self.progress, self.pause_button, self.cancel_button):
            widget.setVisible(shown)
        if shown:
            self.pause_button.setText("Pause")

    def _on_index_progress(self, progress: IndexProgress) -> None:
        self._index_phase = progress.phase
        if self.progress.isHidden():  # shown once there is something to index
            self._show_index_controls(True)
        if progress.phase in COUNTED_PHASES and progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
            eta = f", about {_duration(progress.eta_s)} left" if progress.eta_s else ""
            self.status_label.setText(f"{COUNTED_PHASES[progress.phase]} {progress.done:,} of {progress.total:,} "
                                      f"photos ({progress.rate:.1f}/s{eta})")
        elif progress.phase == "waiting":
            self.progress.setRange(0, 0)
            self.status_label.setText(f"Waiting for {progress.path}, which is changing this library…")
        elif progress.phase == "healed":
            self.status_label.setText(f"Rebuilt {progress.path}.")
        elif progress.phase != "done":
            if progress.phase == "scanning":
                self.progress.setRange(0, 0)  # busy until the number of photos is known
            self.status_label.setText(progress.phase.capitalize() + "…")
        if progress.phase == "indexing" and progress.done:
            self._reload_while_indexing()
        self.index_progressed.emit(progress)

    def _reload_while_indexing(self) -> None:
        """A library view holding less than a page fills while photos are indexed: a first index
        of a large folder shows its photos as they arrive, not only once it ends."""
        if not self._browsing or self.results.photo_count() >= BROWSE_PAGE:
            return
        now = time.monotonic()
        if now - self._live_reloaded >= LIVE_RELOAD_S:
            self._live_reloaded = now
            self.reload_library()

    def _on_index_done(self, run: IndexRun | None) -> None:
        # Stopped in a step after indexing for newer work: its photos are all indexed.
        preempted = self._preempted and run is not None and run.report.cancelled
        self._index_phase, self._preempted = "", False
        if run is None:  # no folder to index
            return
        self.people.refresh()  # the faces step may have found faces, groups and suggestions
        if run.model_id != self._model_id:
            log.info("switched to model %s", run.model_id)
            self._model_id = run.model_id
            if self._model_target == run.model_id:
                self._model_target = None
            self._device.request()
        report = run.report
        if preempted:
            self.folders_dock.show_skipped(report.failed)
        else:
            self._show_index_report(report)
        if report.added + report.updated + report.moved + report.removed:
            self.bursts.library_changed()
            if self._browsing:
                self.reload_library()
            else:
                self._library_stale = True  # reloaded when the search is cleared
                self._drop_missing_results()
            if preempted or not report.cancelled:  # folder names may have changed: relearn text search
                self.retrain()
        self.index_finished.emit(report)

    def _show_index_report(self, report: IndexReport) -> None:
        """What the run changed; a run that changed nothing (a rescan the watcher asked for right
        after) leaves a recent report of changes on the status line instead of "0 added"."""
        self.folders_dock.show_skipped(report.failed)
        if report.cancelled:
            self.status_label.setText("Indexing cancelled; it resumes next time.")
            return
        changed = report.added + report.updated + report.moved + report.removed + len(report.failed)
        now = time.monotonic()
        if changed:
            self._changes_reported = now, (
                f"Library up to date: {report.added} added, {report.updated} updated, {report.moved} moved, "
                f"{report.removed} removed, {len(report.failed)} skipped.")
        elif now - self._changes_reported[0] > REPORT_KEPT_S:
            self._changes_reported = now, "Library up to date."
        self.status_label.setText(self._changes_reported[1])

    def _on_index_error(self, exc: BaseException) -> None:
        self._index_phase, self._preempted = "", False
        self.status_label.setText("Indexing stopped.")
        show_error(self, exc)

    def _on_indexing_finished(self) -> None:
        self._show_index_controls(False)

    def _drop_missing_results(self) -> None:
        for hit in self.results.hits():
            if not os.path.exists(hit.path):
                self.results.remove_path(hit.path)

    def switch_model(self, model_id: str) -> None:
        """Index the library with `model_id` in the background; searches keep using the
        current model's index until that finishes, then the switch completes."""
        if model_id == (self._model_target or self._model_id):
            return
        if self._model_target is not None:  # switching elsewhere: stop indexing for that model
            self.cancel_indexing()
        self._model_target = None if model_id == self._model_id else model_id
        self.start_indexing()

    # -- learning -------------------------------------------------------------------
    def retrain(self) -> None:
        """Relearn text search from folder names and tags in a worker (once more if asked while it runs)."""
        self._training.request()

    def _on_training_done(self, report: TrainingReport) -> None:
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
        log.warning("training failed: %s", exc)
        self.status_label.setText(f"Could not relearn text search: {exc}")

    # -- searching ------------------------------------------------------------------
    @Slot(str)
    def _on_search_bar_text_submitted(self, text: str) -> None:
        path = _as_local_path(text)
        if path and os.path.isfile(path):
            self.search_image(path)
        else:
            self.search_text(text)

    @Slot(str)
    def search_text(self, text: str) -> None:
        """Search photos by word, narrowed by its key:value filters; similar words appear as chips."""
        self._respelt = None
        self._run_search(text, by_image=False)
        words = _words_of(text)
        if words:
            self._chips.request(words, SIMILAR_WORDS)
        else:
            self._chips.discard()
            self.search_bar.show_chips([])

    @Slot(str)
    def _on_search_bar_filter_removed(self, term: str) -> None:
        """The same search without that filter."""
        terms = [t for t in self.search_bar.filter_terms() if t != term]
        if self._answer is not None and self._answer.by_image:  # the same photo, fewer filters
            self.search_image(self._answer.query, terms)
            return
        words = _words_of(self.search_bar.text())
        query = " ".join(part for part in (words, *terms) if part)
        if query:
            self.search_text(query)
        else:
            self.search_bar.show_filters([])
            self._on_search_bar_cleared()

    @Slot(str)
    def search_image(self, path: str, filters: Sequence[str] = ()) -> None:
        """Search photos that look like the image file at `path` (in the library or not), among
        those the `filters` terms allow ("place:Lisbon"; chosen in the Filter menu)."""
        self._respelt = None
        self._chips.discard()
        self.search_bar.show_chips([])
        self._run_search(path, by_image=True, photo_filters=tuple(filters))

    def _run_search(self, query: str, by_image: bool, k: int = 0, photo_filters: tuple[str, ...] = ()) -> None:
        """Search in a worker; a new search (not "Show more", which passes `k`) starts at the top.
        A search by photo takes its filters apart (`photo_filters`): its query is the photo."""
        self._leave_library_view()
        self._group_photos.discard()
        self._person_like.discard()
        self.search_bar.set_query(query)
        self._completions.discard()
        self._show_all = bool(k)
        self.status_label.setText("Searching…")
        self._search.request(query, k or RESULTS.read(self.settings), by_image,  # older answers are dropped
                             sort_order(self.settings), photo_filters)

    def _leave_library_view(self) -> None:
        """A search's answer takes the centre: keep the library view's place, to come back to."""
        if self._browsing:
            self._saved_library = LibraryPlace(self.results.rows(), self._library_more,
                                               self.view.verticalScrollBar().value())
            self._browsing = False
            self.grouping_bar.hide()  # it groups the library view, not a search's results
            self._browse.discard()

    @Slot(object)
    def show_group(self, group: PersonGroup) -> None:
        """The photos of an unnamed group of faces (People panel), shown as a search's answer;
        a search, or *All photos* in the Folders panel, takes the centre back."""
        self._clear_for_listing()
        self._group_photos.request(group, RESULTS.read(self.settings))

    @Slot(str)
    def search_person_like(self, path: str) -> None:
        """"More of this person": the photos with faces nearest the main face of the photo at
        `path`, nearest first (nothing, and a word in the status line, when it has no face)."""
        self._clear_for_listing()
        self._person_like.request(path, RESULTS.read(self.settings))

    def _on_person_like(self, answer: SearchAnswer) -> None:
        self._on_search_done(answer)
        if not answer.hits:
            self.status_label.setText(f"No face found in {answer.query.removeprefix('the person in ')}: "
                                      "nothing to look for.")

    def _clear_for_listing(self) -> None:
        """The centre made ready for a list of photos that is not a typed search."""
        self._leave_library_view()
        self._search.discard()
        self._chips.discard()
        self._completions.discard()
        self.search_bar.set_query("")
        self.search_bar.show_chips([])
        self._respelt = None
        self._show_all = False
        self.status_label.setText("Reading…")
        self._group_photos.discard()
        self._person_like.discard()

    def _search_again(self, k: int = 0) -> None:
        """The search shown, asked again (for `k` results: "Show more"; in the order now chosen)."""
        if self._answer is not None:
            answer = self._answer
            self._run_search(answer.query, answer.by_image, k, answer.filters if answer.by_image else ())

    def _on_search_done(self, answer: SearchAnswer) -> None:
        """Show the hits down to the relevance cut-off (all of them after "Show more")."""
        more_asked = self._show_all and self._answer is not None and self._answer.query == answer.query
        scroll = self.view.verticalScrollBar().value() if more_asked else 0
        self._answer = answer
        weaker = [] if self._show_all else [h for h in answer.hits if h.relevance < RELEVANT_FROM]
        shown = [h for h in answer.hits if h.relevance >= RELEVANT_FROM] if weaker else answer.hits
        self._held_back = weaker
        # A listing shows dates, not relevance, and stacks its bursts; a search shows every match.
        self.results.set_hits(shown, scored=not answer.listing, stacked=answer.listing)
        self.search_bar.show_filters(answer.filters)
        self._show_sort(content=not answer.listing)
        self._scroll_to(scroll)  # a new search or a chip click starts at the top
        self._on_selection_changed()  # a model reset clears the selection without a signal
        self._say_what_was_found(answer, shown)
        self.status_label.setText(f"{len(shown)} photo{'s' if len(shown) != 1 else ''}{_named_part(shown)}")
        log.info("search %r: %d results, %d shown", answer.query, len(answer.hits), len(shown))
        self._load_thumbnails(shown)
        self.search_finished.emit(shown)

    def _say_what_was_found(self, answer: SearchAnswer, shown: list[SearchHit]) -> None:
        """The notice above the grid, or the message page when nothing is shown."""
        what = "this photo" if answer.by_image else quoted(answer.query)
        lines, chips = [], []
        if self._respelt is not None:
            typed, chips = self._respelt
            lines.append(f"No photo or word matches {quoted(typed)}; showing {what}.")
        action = ""
        if self._held_back:
            count = len(self._held_back)
            action = f"Show {count} weaker match{'es' if count != 1 else ''}"
        elif len(answer.hits) >= answer.k and answer.hits and self._show_all:
            action = "Show more"
        if shown:
            self.message.clear()
            self.stack.setCurrentWidget(self.view)
            if action or lines:
                count = len(shown)
                lines.append(f"All {count} best matches for {what}." if self._show_all else
                             f"{count} photo{'s match' if count != 1 else ' matches'} {what}.")
                self.notice.show_message(" ".join(lines), chips, action)
            else:
                self.notice.clear()
            return
        self.notice.clear()
        if answer.filters and not answer.hits:
            lines.append("No photo matches these filters: " + ", ".join(escape(t) for t in answer.filters) + ".")
        else:
            lines.append(f"No photo clearly matches {what}." if answer.hits else f"No photos match {what}.")
        self.message.show_message("<h3>" + "<br>".join(lines) + "</h3>", chips, action)
        self.stack.setCurrentWidget(self.message_page)

    def _on_search_error(self, exc: BaseException) -> None:
        """A word nobody knows: search its clear respelling, or offer the close ones; other
        failures (an unreadable photo) are said in the results area, never in a dialog."""
        if isinstance(exc, UnknownWord) and exc.best:
            self._respelt = (exc.text, [s for s in exc.suggestions if s != exc.best])
            self._run_search(" ".join([exc.best, *_filters_of(self.search_bar.text())]), by_image=False)
            self._chips.request(exc.best, SIMILAR_WORDS)
            return
        self._answer = None
        self._held_back = []
        self.results.set_hits([])
        self.notice.clear()
        if isinstance(exc, UnknownWord) and exc.suggestions:
            html = f"<h3>No photo or word matches {quoted(exc.text)}.</h3>Did you mean:"
        elif isinstance(exc, UnknownWord):
            html = (f"<h3>Nothing matches {quoted(exc.text)}.</h3>No photo and no known word: check the "
                    "spelling, or try another word.")
        else:
            html = f"<h3>Could not search.</h3>{escape(str(exc))}"
        self.search_bar.show_filters([])
        self.message.show_message(html, exc.suggestions if isinstance(exc, UnknownWord) else [])
        self.stack.setCurrentWidget(self.message_page)
        self.search_bar.show_chips([])
        self.status_label.setText(str(exc))
        self.search_finished.emit([])

    @Slot()
    def show_more(self) -> None:
        """Past the cut-off: the weaker hits already found, then a longer search."""
        if self._held_back:
            self.results.append_hits(self._held_back)
            self._load_thumbnails(self._held_back)
            self._held_back = []
            self._show_all = True
            if self._answer is not None:
                self._say_what_was_found(self._answer, self.results.hits())
            count = self.results.rowCount()
            self.status_label.setText(f"{count} photo{'s' if count != 1 else ''}")
            self.search_finished.emit(self.results.hits())
        elif self._answer is not None:
            self._search_again(k=self._answer.k * 2)

    @Slot()
    def _on_search_bar_filters_wanted(self) -> None:
        """The Filter button: what the library holds, counted for the filters shown, in a worker."""
        self._facets.request(tuple(self.search_bar.filter_terms()))

    def _on_facets(self, answer: FacetsAnswer) -> None:
        menu = self.search_bar.show_pickers(picker_sections(answer.facets, answer.terms))
        self.pickers_shown.emit(menu)

    def _on_facets_error(self, exc: BaseException) -> None:
        self.status_label.setText(f"Could not read the library's dates, places and cameras: {exc}")

    @Slot(str)
    def _on_search_bar_filter_added(self, term: str) -> None:
        """A picker's choice: the search shown (its words or photo, and filters) narrowed by it
        too; in the library view, the photos it allows are listed."""
        by_image = self._answer is not None and self._answer.by_image
        words = "" if by_image else _words_of(self.search_bar.text())
        try:
            query = with_terms(" ".join([words, *self.search_bar.filter_terms()]), term)
        except EngineError as exc:  # words typed with a filter it cannot use: said, not searched
            self.status_label.setText(str(exc))
            return
        if by_image and self._answer is not None:  # the same photo, among the photos the filters allow
            self.search_image(self._answer.query, filter_terms(parse_query(query).filters))
            return
        self.search_text(query)

    @Slot(str)
    def _on_sort_box_sort_changed(self, sort: str) -> None:
        """Remember the order; a search shown is shown again in it."""
        self.settings.setValue(SORT, sort)
        if self._answer is not None and not self._answer.listing:
            self._search_again()

    def _show_sort(self, content: bool) -> None:
        """The order control: the chosen order for a content search; filters alone and the
        library view are newest first, whatever is chosen."""
        self.sort_box.set_sort(sort_order(self.settings) if content else "date")
        self.sort_box.set_sort_enabled(content)

    def _on_similar_words(self, words: list[WordHit]) -> None:
        self.search_bar.show_chips([hit.word for hit in words])

    @Slot(str)
    def _on_search_bar_completions_wanted(self, prefix: str) -> None:
        self._completions.request(prefix, COMPLETIONS)

    def _on_completions(self, answer: tuple[str, list[str]]) -> None:
        self.search_bar.show_completions(*answer)

    # -- the library view --------------------------------------------------------------
    @Slot(str)
    def _on_grouping_bar_grouping_chosen(self, grouping: str) -> None:
        """The library view again, from the top, in the groups chosen (remembered)."""
        self.settings.setValue(LIBRARY_GROUPING, grouping)
        if grouping != self._grouping:
            self._grouping = grouping
            self.show_library(self._browse_folder)

    @Slot(object)
    def show_library(self, folder: str | None = None) -> None:
        """The centre shows the library's photos in groups (months taken, newest first; folders;
        places), or those of `folder` (and its subfolders), from the top; a search shown is cleared."""
        if not self._browsing:
            self._leave_search()
        self._browse_folder = folder
        self._saved_library = None
        self._library_stale = False
        self._restore_scroll = None
        self.results.set_hits([], scored=False)
        self._request_library_page(0, BROWSE_PAGE)

    def reload_library(self) -> None:
        """Read the library view again (the library changed), keeping its rows and scroll position."""
        self._restore_scroll = self.view.verticalScrollBar().value()
        self._request_library_page(0, max(self.results.photo_count(), BROWSE_PAGE))

    def _request_library_page(self, offset: int, limit: int) -> None:
        self.results.set_more(False)  # one page at a time
        self._browse.request(self._browse_folder, offset, limit, self._grouping)

    @Slot()
    def _on_results_more_wanted(self) -> None:
        if self._browsing:
            self._request_library_page(self.results.photo_count(), BROWSE_PAGE)

    def _on_library_page(self, page: LibraryPage) -> None:
        if not self._browsing or page.folder != self._browse_folder or page.by != self._grouping:
            return  # a search, another folder or other groups took the centre meanwhile
        self._library_more = page.more
        if page.offset:
            self.results.set_more(page.more)  # before the rows go in: the view may want the next page
            self.results.append_sections(page.sections)
        else:
            self.results.set_sections(page.sections, more=page.more)
            self._scroll_to(self._restore_scroll or 0)
            self._restore_scroll = None
            self._on_selection_changed()  # a model reset clears the selection without a signal
        self._update_centre()
        self._load_thumbnails(self.results.hits())
        self.library_shown.emit(page)

    def _scroll_to(self, value: int) -> None:
        self.view.doItemsLayout()  # lay the rows out now, so the scroll bar has its range
        self.view.verticalScrollBar().setValue(value)

    @Slot()
    def _on_search_bar_cleared(self) -> None:
        """Back to the library view where it was left."""
        if self._browsing:
            return
        self._leave_search()
        place = self._saved_library or LibraryPlace()
        self._saved_library = None
        if not place.rows:
            self.show_library(self._browse_folder)
            return
        self._library_more = place.more
        self.results.set_rows(place.rows, scored=False, more=place.more, stacked=True)
        self._scroll_to(place.scroll)
        self._on_selection_changed()
        self._update_centre()
        if self._library_stale:
            self._library_stale = False
            self.reload_library()

    def _leave_search(self) -> None:
        self._browsing = True
        self.grouping_bar.show()
        self._search.discard()
        self._group_photos.discard()
        self._person_like.discard()
        self._chips.discard()
        self._completions.discard()
        self.search_bar.set_query("")
        self.search_bar.show_chips([])
        self.search_bar.show_filters([])
        self._show_sort(content=False)
        self.notice.clear()
        self.message.clear()
        self._answer = None
        self._held_back = []

    def _update_centre(self) -> None:
        """An empty library with no folder says what to do next; otherwise the grid shows."""
        if not self._browsing:
            return  # a search decides between the grid and its message
        empty = not self.results.rowCount() and not self.folders_dock.folders()
        self.stack.setCurrentWidget(self.empty_page if empty else self.view)
        self.grouping_bar.setVisible(not empty)

        # -- thumbnails -----------------------------------------------------------------
    def _load_thumbnails(self, hits: list[SearchHit]) -> None:
        """Thumbnails of `hits` in a worker; a newer search stops the older one's."""
        px = round(self.view.side * self.view.devicePixelRatioF())  # device pixels: sharp on HiDPI
        self._thumbnails.request([h.path for h in hits if not self.results.has_thumbnail(h.path, px)], px)

    def _on_thumbnail_ready(self, item: tuple[str, QImage, int]) -> None:
        path, image, px = item
        pixmap = QPixmap.fromImage(image)  # QPixmap: GUI thread only
        pixmap.setDevicePixelRatio(self.view.devicePixelRatioF())
        self.results.set_thumbnail(path, pixmap, px)

    @Slot(int)
    def _on_size_slider_changed(self, side: int) -> None:
        THUMBNAIL_SIZE.write(self.settings, side)
        self.view.set_side(side)
        self._load_thumbnails(self.results.hits())  # bigger cells want sharper thumbnails

    # -- actions on results ---------------------------------------------------------------
    @Slot()
    def preview(self) -> None:
        """A larger view of the current result; the photo is decoded in a worker."""
        hit = self.view.selected_hit()
        if hit is None:
            return
        ops.run_in_background(ops.preview_photo, self.library, hit.path, PREVIEW_SIDE,
                              on_result=self._show_preview, on_error=self._on_error)

    def _show_preview(self, photo: ops.PreviewPhoto) -> None:
        dialog = PreviewDialog(self, photo.path, QPixmap.fromImage(photo.image), photo.faces,
                               preview_faces(self.settings), photo.faces_on)
        dialog.faces_toggled.connect(lambda on: self.settings.setValue(PREVIEW_FACES, on))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def copy_image(self, path: str) -> None:
        ops.run_in_background(ops.load_image, path, 0,
                              on_result=lambda image: QApplication.clipboard().setImage(image),
                              on_error=self._on_error)

    def _on_view_context_menu(self, pos: QPoint) -> None:
        hit = self.view.selected_hit()
        if hit is not None:
            context_menu(self, self, hit, self.view.current_stack()).popup(self.view.viewport().mapToGlobal(pos))

    @Slot(str)
    def toggle_stack(self, top: str) -> None:
        """Open the burst stack whose top photo is `top` (its shots right after it), or close it;
        the top stays current, and the status line says what it is."""
        self.results.toggle_stack(top)
        row = self.results.row_of(top)
        if row >= 0:
            self.view.setCurrentIndex(self.results.index(row))
            mark = self.results.stack_mark(row)
            if mark is not None:
                self.status_label.setText(stack_status(mark))
            self._load_thumbnails(self.results.shown_hits())

    # -- tags ---------------------------------------------------------------------------
    def _on_selection_changed(self, *_args: Any) -> None:
        shown_before = self.tag_panel.paths[:1]
        paths = self.view.selected_paths()
        mark = self.view.current_stack() if len(paths) == 1 else None
        if mark is not None:
            self.status_label.setText(stack_status(mark))
        self.tag_panel.set_photos(paths)
        if paths[:1] != shown_before:  # widening a selection keeps the first photo's tags shown
            self.refresh_tag_panel()
            self._show_info(paths[:1])

    def _show_info(self, paths: list[str]) -> None:
        """The Info panel for the first selected photo, read in a worker."""
        if paths:
            self._info.request(paths[0])
        else:
            self._info.discard()
            self.info_panel.show_nothing()

    def _on_photo_info(self, info: ops.PhotoInfo) -> None:
        if self.tag_panel.paths[:1] == [info.path]:
            hit = next((h for h in self.results.hits() if h.path == info.path), None)
            self.info_panel.show_photo(info.path, info.metadata, list(hit.tags) if hit else [], info.raw_path,
                                       info.faces)

    def refresh_tag_panel(self) -> None:
        """Load the first selected photo's tags in a worker; a newer request wins."""
        paths = self.tag_panel.paths
        if paths:
            self._panel_tags.request(paths[0], PANEL_TAGS)
        else:
            self._panel_tags.discard()  # nothing selected: an answer on its way is stale

    def _on_panel_tags(self, tags: list[TagScore]) -> None:
        if self.tag_panel.paths:
            self.tag_panel.set_tags(tags)

    def confirm_tags(self, tags: list[str]) -> None:
        """Confirm (or add) `tags` on the selected photos; text search relearns after."""
        self._edit_tags(add=tags, remove=[])

    def reject_tags(self, tags: list[str]) -> None:
        self._edit_tags(add=[], remove=tags)

    def ask_tag(self) -> None:
        text, ok = QInputDialog.getText(self, "Add tag", "Tag for the selected photos:")
        if ok and text.strip():
            self.confirm_tags([text.strip()])

    def _edit_tags(self, add: list[str], remove: list[str]) -> None:
        paths = self.view.selected_paths()
        if not paths:
            return
        ops.run_in_background(self.library.edit_tags, paths, add, remove,
                              on_result=lambda edit: self._on_tags_edited(paths, edit),
                              on_error=self._on_error)

    def _on_tags_edited(self, paths: list[str], edit: TagEdit) -> None:
        self.tag_history.record(edit)
        self._update_undo_actions()
        self.status_label.setText(f"Tags saved for {len(paths)} photo{'s' if len(paths) != 1 else ''}; "
                                  "text search relearns in the background.")
        self._show_tag_changes(paths)

    @Slot()
    def undo_tag_edit(self) -> None:
        """Put the last tag edit back as it was (in a worker); the status bar says what was undone."""
        if self.tag_history.can_undo:
            self._move_tag_edit(self.tag_history.start_undo(), self.library.undo_tag_edit, "Undid")

    @Slot()
    def redo_tag_edit(self) -> None:
        """Apply the last undone tag edit again (in a worker)."""
        if self.tag_history.can_redo:
            self._move_tag_edit(self.tag_history.start_redo(), self.library.redo_tag_edit, "Redid")

    def _move_tag_edit(self, edit: TagEdit, func: Any, done: str) -> None:
        self._update_undo_actions()  # off while it runs: one undo or redo at a time
        ops.run_in_background(func, edit, on_result=lambda _none: self._on_tag_edit_moved(edit, done),
                              on_error=self._on_tag_edit_move_failed)

    def _on_tag_edit_moved(self, edit: TagEdit, done: str) -> None:
        self.tag_history.finish(ok=True)
        self._update_undo_actions()
        self.status_label.setText(f"{done}: {describe(edit)}")
        self._show_tag_changes(list(dict.fromkeys(c.path for c in edit.changes)))

    def _on_tag_edit_move_failed(self, exc: BaseException) -> None:
        self.tag_history.finish(ok=False)
        self._update_undo_actions()
        show_error(self, exc)

    def _update_undo_actions(self) -> None:
        history = self.tag_history
        for action, can, edit, verb in ((self.undo_action, history.can_undo, history.next_undo(), "Undo"),
                                        (self.redo_action, history.can_redo, history.next_redo(), "Redo")):
            action.setEnabled(can)
            action.setToolTip(f"{verb}: {describe(edit)}" if can and edit else "")

    def _show_tag_changes(self, paths: list[str]) -> None:
        """The tag panel and the grid's tags after the user's tags changed; relearning follows."""
        self.refresh_tag_panel()
        self._shown_tags.request([(hit.photo_id, hit.score) for hit in self.results.hits()])
        self._tags_edited_since_training = True
        self._train_timer.start()
        self.tags_changed.emit(paths)

    def write_xmp(self) -> None:
        """Confirmed tags of the selected photos to .xmp sidecars (photos never modified)."""
        paths = self.view.selected_paths()
        if paths:
            ops.run_in_background(self.library.write_xmp, paths, on_result=self._on_xmp_written,
                                  on_error=self._on_error)

    def _on_xmp_written(self, sidecars: list[Any]) -> None:
        self.status_label.setText(f"Wrote {len(sidecars)} XMP sidecar{'s' if len(sidecars) != 1 else ''}.")

    # -- drag and drop, clipboard -----------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.source() is not None:  # results dragged out of the grid, not yet out of the window
            return
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if event.source() is not None:  # dropped back on the window: not a query
            event.ignore()
            return
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
        """Paste an image, an image file or its path (searched by example), or words into the search."""
        mime = QApplication.clipboard().mimeData()
        if not self._search_pasted(mime) and mime.hasText():
            self.search_bar.field.setText(mime.text().strip())
            self.search_bar.field.setFocus()

    @Slot()
    def _on_search_bar_paste_requested(self) -> None:
        """The paste key in the search field: an image searches as `paste` does; text pastes at the cursor."""
        if not self._search_pasted(QApplication.clipboard().mimeData()):
            self.search_bar.field.paste()

    def _search_pasted(self, mime: QMimeData) -> bool:
        """Search by the clipboard's image, image file or image path; False when it holds none of them."""
        if mime.hasImage():
            self._search_clipboard_image(mime.imageData())
            return True
        local = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        path = local[0] if local else _as_local_path(mime.text().strip()) if mime.hasText() else None
        if path and os.path.isfile(path) and is_photo_name(path):
            self.search_image(path)
            return True
        return False

    def _search_clipboard_image(self, image: Any) -> None:
        target = self.thumbnail_cache / "pasted.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        QImage(image).save(str(target))
        self.search_image(str(target))

    # -- settings -------------------------------------------------------------------------
    def _on_device_known(self, device: Device) -> None:
        self.device_label.setText(device.provider)
        self.device_label.setToolTip(str(device))

    @Slot()
    def open_settings(self) -> None:
        """The Settings dialog, once the model list has been read (in a worker)."""
        self._models.request()

    def _show_settings(self, state: ops.LibrarySettings) -> None:
        dialog = SettingsDialog(self, [(m.id, m.name) for m in state.models], self._model_target or self._model_id,
                                self.device_label.toolTip() or "not known yet (the model is loading)",
                                RESULTS.read(self.settings), self.view.side,
                                str(self.library.root), state.pairs_as_one, state.faces_on, state.small_faces,
                                text_on=state.text_on, expansion_on=state.expansion_on)
        dialog.text.setEnabled(not self.library.read_only)
        dialog.expansion.setEnabled(not self.library.read_only)
        dialog.pairs.setEnabled(not self.library.read_only)
        dialog.faces.setEnabled(not self.library.read_only)
        dialog.small_faces.setEnabled(state.faces_on and not self.library.read_only)
        dialog.delete_faces.setEnabled(not self.library.read_only)
        dialog.delete_faces_requested.connect(lambda: self.delete_face_data(dialog))
        dialog.accepted.connect(lambda: self._apply_settings(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # window-modal, and the event loop keeps running

    def _apply_settings(self, dialog: SettingsDialog) -> None:
        RESULTS.write(self.settings, dialog.results.value())
        if dialog.library.text() and dialog.library.text() != str(self.library.root):
            self.settings.setValue(LIBRARY, dialog.library.text())
        self.size_slider.setValue(dialog.thumb.value())
        if dialog.pairs.isEnabled() and dialog.pairs.isChecked() != dialog.pairs_shown:
            ops.run_in_background(ops.set_pairs_as_one, self.library, dialog.pairs.isChecked(),
                                  on_result=self._on_pairs_changed, on_error=self._on_error)
        if dialog.faces.isEnabled() and dialog.faces.isChecked() != dialog.faces_shown:
            ops.run_in_background(ops.set_face_recognition, self.library, dialog.faces.isChecked(),
                                  on_result=self._on_face_recognition_changed, on_error=self._on_error)
        if dialog.small_faces.isEnabled() and dialog.small_faces.isChecked() != dialog.small_faces_shown:
            ops.run_in_background(ops.set_small_faces, self.library, dialog.small_faces.isChecked(),
                                  on_result=lambda _on: self.start_indexing(), on_error=self._on_error)
        if dialog.text.isEnabled() and dialog.text.isChecked() != dialog.text_shown:  # on: read what is unread
            ops.run_in_background(ops.set_text_reading, self.library, dialog.text.isChecked(),
                                  on_result=lambda on: self.start_indexing() if on else None, on_error=self._on_error)
        if dialog.expansion.isEnabled() and dialog.expansion.isChecked() != dialog.expansion_shown:
            ops.run_in_background(ops.set_image_expansion, self.library, dialog.expansion.isChecked(),
                                  on_result=lambda on: self.start_indexing() if on else None, on_error=self._on_error)
        self.switch_model(dialog.model.currentData())

    def _on_pairs_changed(self, on: bool) -> None:
        """RAW+JPEG pairs show as one photo, or not, from now: the results shown are read again."""
        if self._browsing:
            self.reload_library()
        elif self._answer is not None:  # the same results asked again, showing what they showed
            answer = self._answer
            self._search.request(answer.query, answer.k, answer.by_image, sort_order(self.settings),
                                 answer.filters if answer.by_image else ())
        self.pairs_changed.emit(on)

    # -- privacy: face recognition and face data --------------------------------------------
    def _on_face_recognition_changed(self, on: bool) -> None:
        """Turned off: the Info panel stops naming people, and the user is asked whether the
        faces found so far should go too."""
        self.face_recognition_changed.emit(on)
        self._show_info(self.tag_panel.paths[:1])
        if not on:
            self.delete_face_data(None, turned_off=True)

    def delete_face_data(self, parent: QWidget | None = None, turned_off: bool = False) -> None:
        """Count the face data (in a worker), ask, then delete it (in a worker) and say how much
        went; `parent` is the dialog that asked (the window when None or already closed)."""
        ops.run_in_background(ops.face_data_size, self.library, on_error=self._on_error,
                              on_result=lambda size: self._ask_delete_faces(parent, size, turned_off))

    def _ask_delete_faces(self, parent: QWidget | None, size: tuple[int, int], turned_off: bool) -> None:
        faces, people = size
        if turned_off and not faces and not people:
            return  # nothing to forget: no question
        box, delete = ask_delete_faces(parent if parent is not None and isValid(parent) else self,
                                       faces, people, turned_off)
        box.finished.connect(lambda _result: self._on_delete_faces_answered(box.clickedButton() is delete))
        box.open()

    def _on_delete_faces_answered(self, delete: bool) -> None:
        if delete:
            ops.run_in_background(ops.delete_face_data, self.library, on_result=self._on_face_data_deleted,
                                  on_error=self._on_error)

    def _on_face_data_deleted(self, deletion: ops.FaceDeletion) -> None:
        faces_deleted_note(self, deletion.faces, deletion.people).open()
        self._show_info(self.tag_panel.paths[:1])
        self.face_data_deleted.emit(deletion)

    # -- about ----------------------------------------------------------------------------
    @Slot()
    def open_about(self) -> None:
        """The About dialog, once the model list has been read (in a worker)."""
        self._about_models.request()

    def _show_about(self, models: list[ModelInfo]) -> None:
        from ..version import version_text
        from .app import log_folder
        from .dialogs import AboutDialog

        dialog = AboutDialog(self, version_text(), [(m.id, m.name) for m in models], self._model_id,
                             self.device_label.toolTip() or "not known yet (the model is loading)",
                             str(self.library.root), str(log_folder()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # window-modal, and the event loop keeps running

    # -- a narrow window ------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        """Side panels keep their width, unless the window gets too narrow for the centre
        (640 px wide): then they give way, down to their minimum, so the grid stays usable."""
        super().resizeEvent(event)
        QTimer.singleShot(0, self._fit_panels)  # once the layout has given the panels their widths

    def _fit_panels(self) -> None:
        docks = [d for d in (self.folders_dock, self.tags_dock) if d.isVisible() and not d.isFloating()]
        room = self.width() - MIN_CENTRE_WIDTH
        if docks and sum(d.width() for d in docks) > room:
            widths = [max(d.minimumSizeHint().width(), room // len(docks)) for d in docks]
            self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

    # -- duplicates ------------------------------------------------------------------------
    def open_duplicates(self) -> None:
        """The Duplicates window: groups of copies and series, the keeper suggested, the rest to the trash."""
        self.duplicates.open()

    def undo_trash(self) -> None:
        """Undo the Duplicates window's last action: photos back from the trash (the next indexing
        run takes them in again), or the XMP sidecars of photos marked rejected back as they were."""
        self.duplicates.undo()

    def _on_photos_trashed(self, report: Any) -> None:
        """Photos left for the trash: out of the grid, the saved library view, the panels."""
        gone = set(report.moved)
        self.bursts.library_changed()
        for path in gone:
            self.results.remove_path(path)
        if self._saved_library is not None:
            self._saved_library.rows = without_empty_groups(
                [row for row in self._saved_library.rows if not isinstance(row, SearchHit) or row.path not in gone],
                self._saved_library.more)
        self._update_centre()
        self._on_selection_changed()
        self.refresh_folders()
        self.people.refresh()

    # -- closing --------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Cancel and await every worker, then close the library (safe to call twice)."""
        self._rescan_timer.stop()
        self._debounce.stop()
        self._train_timer.stop()
        self.watcher.close()
        self.duplicates.close()
        for op in self.findChildren(SerialOp):
            op.close()  # nothing starts again, and indexing stops at its next batch
        ops.await_all(msecs=10000)
        self.library.close()

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)


def _words_of(query: str) -> str:
    """The words of a typed query, without its key:value filters (all of it when they do not parse)."""
    try:
        return parse_query(query).text
    except EngineError:
        return query


def _filters_of(query: str) -> list[str]:
    """The key:value filters of a typed query."""
    try:
        return filter_terms(parse_query(query).filters)
    except EngineError:
        return []


def _as_local_path(text: str) -> str | None:
    if text.startswith("file://"):
        return QUrl(text).toLocalFile()
    expanded = os.path.expanduser(text)
    return expanded if os.path.isabs(expanded) else None


def _duration(seconds: float | None) -> str:
    if not seconds:
        return "?"
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def _named_part(hits: list[SearchHit]) -> str:
    """The status line's word on photos a query word named by place, camera or person (their
    reasons are in each result's tooltip): ", 3 taken in Lisbon", ", 4 with Anna"."""
    named = list(dict.fromkeys(hit.matched for hit in hits if hit.matched))
    if not named:
        return ""
    count = sum(1 for hit in hits if hit.matched)
    return f", {count} {named[0]}" + (", …" if len(named) > 1 else "")
