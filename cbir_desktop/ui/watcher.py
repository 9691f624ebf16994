"""Watching photo folders for changes while the app runs.

Watches directories (recursive inotify/FSEvents/ReadDirectoryChanges through
watchdog), never single files. Only events that change content are delivered:
with opened/closed-without-write events dropped, large trees no longer overflow
the inotify queue. No watcher is reliable alone, so the window also rescans at
start-up, after an overflow or watcher error, and every few minutes.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QObject, Signal
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from ..engine.api import is_photo_name

log = logging.getLogger(__name__)

CONTENT_EVENTS = [
    FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [os.fsdecode(event.src_path)]
        if getattr(event, "dest_path", None):
            paths.append(os.fsdecode(event.dest_path))
        if event.is_directory or any(is_photo_name(p) for p in paths):
            # Emitted from watchdog's thread; Qt queues it to the GUI thread.
            self.watcher.changed.emit()


class _OverflowListener(logging.Handler):
    """watchdog reports a kernel queue overflow only in its log; turn that into a rescan."""

    def __init__(self, watcher: FolderWatcher) -> None:
        super().__init__(logging.WARNING)
        self.watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.watcher.overflowed.emit()


class FolderWatcher(QObject):
    """Emits `changed` (in the GUI thread) when photos under the watched folders change."""

    changed = Signal()
    overflowed = Signal()  # events were lost: the whole tree needs a rescan
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._observer: Observer | None = None  # type: ignore[valid-type]  # watchdog picks its Observer class at run time
        self._folders: list[str] = []
        self._overflow_listener = _OverflowListener(self)
        logging.getLogger("watchdog.observers").addHandler(self._overflow_listener)

    def watch(self, folders: list[str]) -> None:
        """Replace the set of watched folders."""
        self.stop()
        self._folders = [f for f in folders if os.path.isdir(f)]
        if not self._folders:
            return
        observer = Observer()
        handler = _Handler(self)
        for folder in self._folders:
            try:
                observer.schedule(handler, folder, recursive=True, event_filter=CONTENT_EVENTS)
            except OSError as exc:  # e.g. the inotify watch limit
                log.warning("Cannot watch %s: %s", folder, exc)
                self.failed.emit(f"Cannot watch {folder} for changes ({exc}); it is rescanned every few minutes.")
        observer.daemon = True
        observer.start()
        self._observer = observer

    def close(self) -> None:
        """Stop watching for good (the window is closing)."""
        self.stop()
        logging.getLogger("watchdog.observers").removeHandler(self._overflow_listener)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=3)
            self._observer = None
