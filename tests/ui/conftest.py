"""Qt fixtures: a real MainWindow over a small indexed library, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import solid
from PySide6.QtCore import QSettings, QThreadPool

from cbir_desktop.engine.api import open_library
from cbir_desktop.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    yield
    assert QThreadPool.globalInstance().waitForDone(10000), "a worker thread outlived its test"


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for name, colour in [("red", "red"), ("green", "green"), ("blue", "blue"), ("yellow", "yellow")]:
        solid(root / f"{name}.jpg", colour)
    solid(root / "more" / "navy.png", (20, 25, 150))
    return root


@pytest.fixture
def make_window(tiny_models: Path, tmp_path: Path, qtbot):  # type: ignore[no-untyped-def]
    """Build a window over a library in tmp_path; settings are an INI file per test."""
    windows: list[MainWindow] = []

    def make(folders: list[Path] | None = None, index_first: bool = True) -> MainWindow:
        library = open_library(tmp_path / "library")
        if folders and index_first:
            library.index(folders)
        elif folders:
            for folder in folders:
                library.add_folder(folder)
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(library, settings, tmp_path / "thumbnails")
        qtbot.addWidget(window)
        windows.append(window)
        if folders and index_first:
            # The start-up reconcile runs once the event loop turns; let it finish.
            with qtbot.waitSignal(window.index_finished, timeout=20000):
                pass
        return window

    yield make
    for window in windows:
        window.shutdown()
