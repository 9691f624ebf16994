"""Qt fixtures: a real MainWindow over a small indexed library, offscreen."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import solid
from PySide6.QtCore import QSettings, QThreadPool

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.types import IndexProgress, IndexReport
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
def make_window(tiny_models: Path, tmp_path: Path, qtbot):
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


class IndexGate:
    """Holds a library's indexing generator after each stored batch until a step is allowed.

    The real engine indexes; the gate only decides when it may go on, so a test can
    pause or cancel at a known point instead of racing the indexer.
    """

    HOLD_S = 30  # a test that never opens the gate still ends

    def __init__(self) -> None:
        self._steps = threading.Semaphore(0)
        self._open = threading.Event()

    def step(self) -> None:
        """Let the held generator index one more batch."""
        self._steps.release()

    def open(self) -> None:
        """Stop holding: the generator runs freely from now on."""
        self._open.set()
        self._steps.release()

    def wrap(self, iter_index: Callable[..., Generator[IndexProgress, None, IndexReport]],
             batch_size: int) -> Callable[..., Generator[IndexProgress, None, IndexReport]]:
        def held(*args: Any, **kwargs: Any) -> Generator[IndexProgress, None, IndexReport]:
            kwargs["batch_size"] = batch_size
            gen = iter_index(*args, **kwargs)
            while True:
                try:
                    progress = next(gen)
                except StopIteration as stop:
                    return stop.value
                yield progress
                if progress.phase == "indexing" and progress.done and not self._open.is_set():
                    self._steps.acquire(timeout=self.HOLD_S)

        return held


@pytest.fixture
def hold_indexing(make_window, monkeypatch: pytest.MonkeyPatch):
    """`hold_indexing(library, batch_size)` gates that library's indexing (see `IndexGate`).

    Needs `make_window` so it is torn down first: the gate opens before the window awaits its workers.
    """
    gates: list[IndexGate] = []

    def hold(library: Library, batch_size: int) -> IndexGate:
        gate = IndexGate()
        monkeypatch.setattr(library, "iter_index", gate.wrap(library.iter_index, batch_size))
        gates.append(gate)
        return gate

    yield hold
    for gate in gates:
        gate.open()

