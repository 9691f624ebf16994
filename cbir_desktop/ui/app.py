"""Entry point of `cbir-desktop`: logging, error hooks, settings, the window."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from platformdirs import user_cache_dir, user_config_dir, user_log_dir

from .platform_check import xcb_problem

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QTimer

    from ..engine.api import Library
    from .main_window import MainWindow

APP = "cbir-desktop"
LOG_NAME = "cbir-desktop.log"
log = logging.getLogger("cbir_desktop")


def log_folder() -> Path:
    """Where the window writes its log (`LOG_NAME`, rotated): the user log folder."""
    return Path(user_log_dir(APP, appauthor=False))


def _setup_logging() -> Path:
    folder = log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(folder / LOG_NAME, maxBytes=2_000_000,
                                                   backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return folder / LOG_NAME


def _install_error_hooks(log_file: Path) -> None:
    """Uncaught exceptions are logged and shown once, never a silent crash."""
    shown = threading.Event()

    def report(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.error("Uncaught exception:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        if shown.is_set():
            return
        shown.set()
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QMessageBox

        def show() -> None:
            QMessageBox.critical(None, APP, f"An unexpected error happened: {value}\n\n"
                                 f"Details were written to {log_file}. The app keeps running.")

        if QApplication.instance() is not None:
            QTimer.singleShot(0, show)

    sys.excepthook = report
    threading.excepthook = lambda args: report(args.exc_type, args.exc_value or Exception(), args.exc_traceback)


def _quit_on_interrupt(app: QCoreApplication) -> QTimer:
    """Ctrl+C (or SIGTERM) in the terminal closes the window cleanly, as it would a CLI.

    Python runs signal handlers only between bytecodes, and Qt's event loop is C++: a
    timer lets the interpreter look every 200 ms.
    """
    from PySide6.QtCore import QTimer

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: closing", signum)
        app.quit()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    log.info("window open; Ctrl+C in the terminal closes it")
    return timer


def main(argv: list[str] | None = None) -> int:
    from ..version import version_text

    parser = argparse.ArgumentParser(prog=APP, description="Search your photos by example or by word, offline.")
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument("--library", help="library folder (default: $CBIR_LIBRARY or the user data folder)")
    parser.add_argument("--self-test", action="store_true",
                        help="load the models, index a tiny folder, search it, and exit 0 on success")
    parser.add_argument("--install-desktop-entry", action="store_true",
                        help="add cbir-desktop to this user's application menu (Linux: ~/.local/share) and exit")
    # What the desktop entry's Exec=...%F passes for "Open with": handled as a drop on the window.
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a folder to add to the library, or a photo to search by")
    args = parser.parse_args(argv)
    if args.self_test:
        from ..selftest import run_self_test

        return run_self_test()
    if args.install_desktop_entry:
        return _install_desktop_entry()

    # Before Qt: a missing X11 library would make it abort with a misleading line.
    problem = xcb_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    log_file = _setup_logging()
    _install_error_hooks(log_file)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from .appearance import Appearance, requested_mode
    from .desktop import APP_ID, window_icon
    from .main_window import MainWindow
    from .settings import library_folder

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP)  # also the X11 window class, which the desktop entry's StartupWMClass names
    QApplication.setDesktopFileName(APP_ID)  # Wayland's app id: the desktop entry, hence its icon, for this window
    QApplication.setWindowIcon(window_icon())
    settings_file = Path(user_config_dir(APP, appauthor=False)) / "settings.ini"
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    Appearance(app, requested_mode(settings))  # before any window or dialog; the app owns it
    library_dir = args.library or os.environ.get("CBIR_LIBRARY") or library_folder(settings)
    library = _open_or_repair(library_dir)
    if library is None:
        return 1
    window = MainWindow(library, settings, Path(user_cache_dir(APP, appauthor=False)) / "thumbnails")
    window.show()
    _open_paths(window, args.paths)
    _quit_on_interrupt(app)
    code = app.exec()
    window.shutdown()
    return code


def _install_desktop_entry() -> int:
    """`--install-desktop-entry`: the menu entry and icons for this user, by copying files (no Qt)."""
    from .desktop import install_desktop_entry

    if sys.platform in ("win32", "darwin"):
        print("--install-desktop-entry is for Linux desktops; on this system, pin the app from where it runs.",
              file=sys.stderr)
        return 1
    try:
        written = install_desktop_entry()
    except OSError as exc:
        print(f"cbir-desktop: could not install the desktop entry: {exc}", file=sys.stderr)
        return 1
    print(f"installed {written[0]} and {len(written) - 1} icons under {written[1].parents[2]}")
    print(f"it starts: {_exec_of(written[0])}")
    return 0


def _exec_of(entry: Path) -> str:
    lines = entry.read_text(encoding="utf-8").splitlines()
    return next((line.removeprefix("Exec=") for line in lines if line.startswith("Exec=")), "?")


def _open_paths(window: MainWindow, paths: list[str]) -> None:
    """Paths given on the command line (the desktop's "Open with"): a folder is added, a file searched by.

    As a drop on the window does; only the first file is searched, a search shows one query.
    """
    searched = False
    for path in paths:
        if os.path.isdir(path):
            window.add_folder(os.path.abspath(path))
        elif os.path.isfile(path) and not searched:
            window.search_image(os.path.abspath(path))
            searched = True
        elif not os.path.exists(path):
            log.warning("%s from the command line does not exist; ignored", path)


def _open_or_repair(library_dir: str | Path) -> Library | None:
    """Open the library; a damaged catalogue gets one dialog offering to repair it (from its
    backups and what is readable; the start-up indexing run rebuilds the rest)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    from ..engine.api import open_library, repair_library
    from ..engine.errors import CatalogueDamaged, EngineError

    try:
        return open_library(library_dir)
    except CatalogueDamaged as exc:
        answer = QMessageBox.warning(
            None, APP, f"{exc}\n\nRepair it now? The damaged file is kept beside it.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return None
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = repair_library(library_dir)
            log.info("repaired the catalogue: %s", report)
            return open_library(library_dir)
        except EngineError as again:
            QMessageBox.critical(None, APP, str(again))
            return None
        finally:
            QGuiApplication.restoreOverrideCursor()
    except EngineError as exc:
        QMessageBox.critical(None, APP, str(exc))
        return None


if __name__ == "__main__":
    sys.exit(main())
