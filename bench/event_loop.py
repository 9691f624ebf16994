"""Event-loop stalls while the window indexes: does the window stay responsive?

Builds the real `MainWindow` offscreen (QT_QPA_PLATFORM=offscreen) over a fresh library
in a temporary folder, waits until the model is loaded (the device shows in the status
bar, as in a running app), then adds a folder of generated photos and lets the window
index it with the shipped model (models/manifest.json; CBIR_MODELS_DIR overrides it).
A 5 ms timer on the GUI thread records when it fires: a gap between two ticks is time
the event loop could not run, i.e. the window froze for that long.

Usage: python bench/event_loop.py [--photos 300] [--size 320x240] [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import percentiles, table  # common puts the repository on sys.path first
from PIL import Image
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.types import IndexReport
from cbir_desktop.ui.main_window import MainWindow

TICK_MS = 5  # the probe timer's interval: finer than a frame (16 ms)
TIMEOUT_S = 600


def make_photos(folder: Path, count: int, size: tuple[int, int]) -> None:
    """`count` JPEGs with a colour gradient each (distinct, cheap to make, real to decode)."""
    folder.mkdir(parents=True)
    width, height = size
    for i in range(count):
        a = Image.new("RGB", size, (i % 256, (i * 7) % 256, (i * 13) % 256))
        b = Image.new("RGB", size, ((i * 31) % 256, (i * 3) % 256, 255 - i % 256))
        mask = Image.linear_gradient("L").resize((width, height))
        Image.composite(a, b, mask).save(folder / f"p{i:04d}.jpg", quality=90)


def wait_for(app: QApplication, condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def run_once(app: QApplication, work: Path, photos: Path, run: int) -> tuple[object, ...]:
    settings = QSettings(str(work / f"settings{run}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(open_library(work / f"library{run}"), settings, work / f"thumbnails{run}")
    window.show()
    try:
        wait_for(app, lambda: bool(window.device_label.text()), TIMEOUT_S, "the model to load")
        reports: list[IndexReport] = []
        window.index_finished.connect(reports.append)
        ticks: list[float] = []
        probe = QTimer()
        probe.setInterval(TICK_MS)
        probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
        probe.start()
        start = time.perf_counter()
        window.add_folder(str(photos))
        wait_for(app, lambda: bool(reports), TIMEOUT_S, "indexing to finish")
        seconds = time.perf_counter() - start
        probe.stop()
        report = reports[0]
        gaps_ms = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)] or [0.0]
        p50, p95 = percentiles(gaps_ms)
        return (run, window.library.model_id, window.device_label.toolTip(), report.added, seconds,
                len(ticks), int(seconds * 1000 / TICK_MS), max(gaps_ms), p95, p50,
                sum(g > 50 for g in gaps_ms), statistics.mean(gaps_ms))
    finally:
        window.shutdown()
        window.deleteLater()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--size", default="320x240", help="photo size in pixels, WIDTHxHEIGHT")
    parser.add_argument("--runs", type=int, default=1, help="fresh libraries indexed one after another")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    app = QApplication([])
    work = Path(tempfile.mkdtemp(prefix="cbir-event-loop-"))
    try:
        make_photos(work / "photos", args.photos, (width, height))
        rows = [run_once(app, work, work / "photos", run) for run in range(1, args.runs + 1)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table(f"Event loop while the window indexes {args.photos} photos of {args.size} "
          f"({os.cpu_count()} cores, {TICK_MS} ms probe timer)",
          ["run", "model", "device", "added", "seconds", "ticks", "ticks if never late", "longest stall ms",
           "p95 gap ms", "p50 gap ms", "gaps > 50 ms", "mean gap ms"], rows)


if __name__ == "__main__":
    main()
