"""`cbir-desktop` in a real X window (Xvfb): real key events, a screenshot to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import require_tool
from PIL import Image

from cbir_desktop.engine.api import open_library

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO.parent / "shared" / "datasets" / "caltech101" / "101_ObjectCategories"
SCREENSHOTS = REPO / "test-output" / "screenshots"

pytestmark = pytest.mark.skipif(not DATASET.is_dir(), reason=f"needs the Caltech-101 photos in {DATASET}")

GRAB = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
QGuiApplication.primaryScreen().grabWindow(0).save(sys.argv[1])
"""


def _free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _dark_pixels(image: Image.Image) -> int:
    return int((np.asarray(image.convert("RGB"), dtype=np.int32).sum(axis=2) < 200).sum())


def test_typing_a_query_in_a_real_window_shows_results(tmp_path: Path) -> None:
    require_tool("Xvfb", "xvfb")
    require_tool("xdotool", "xdotool")
    photos = tmp_path / "photos"
    for name in ("strawberry", "sunflower", "dalmatian", "airplanes"):
        (photos / name).mkdir(parents=True)
        for i in range(1, 7):
            shutil.copy(DATASET / name / f"image_{i:04d}.jpg", photos / name)
    library = tmp_path / "library"
    with open_library(library) as lib:
        assert lib.index([photos]).added == 24
        assert lib.train_words().active  # folder names teach text search and suggest tags

    display = _free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "DISPLAY": f":{display}", "QT_QPA_PLATFORM": "xcb",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("CBIR_MODELS_DIR", None)
    app = None
    try:
        _wait(lambda: Path(f"/tmp/.X11-unix/X{display}").exists(), 10, "Xvfb")
        app = subprocess.Popen([sys.executable, "-m", "cbir_desktop.ui.app", "--library", str(library)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        window = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", "^cbir-desktop$"],
                                env=env, capture_output=True, text=True, timeout=30).stdout.split()[0]
        subprocess.run(["xdotool", "windowsize", "--sync", window, "1200", "760"], env=env, timeout=10)
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, timeout=10)
        time.sleep(1.0)  # let the start-up rescan and word vectors settle
        subprocess.run(["xdotool", "type", "--delay", "60", "strawberry"], env=env, check=True, timeout=20)
        subprocess.run(["xdotool", "key", "Escape", "Return"], env=env, check=True, timeout=10)
        log = tmp_path / "state" / "cbir-desktop" / "log" / "cbir-desktop.log"
        _wait(lambda: log.is_file() and "search 'strawberry'" in log.read_text(), 30, "the search")
        time.sleep(2.0)  # thumbnails are made in the background
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / "window-strawberry.png"
        subprocess.run([sys.executable, "-c", GRAB, str(shot)], env=env, check=True, timeout=30)
        print(f"\nscreenshot of the real window: {shot}")
        assert "search 'strawberry': " in log.read_text()
        image = Image.open(shot).convert("RGB")
        assert image.size == (1280, 800)
        # The results grid shows colourful thumbnails, not an empty grey window.
        colours = image.resize((128, 80)).getcolors(128 * 80)
        assert colours is not None and len(colours) > 500
        tag_list = (940, 70, 1185, 400)  # the Tags panel's list: empty until a photo is selected
        assert _dark_pixels(image.crop(tag_list)) == 0
        subprocess.run(["xdotool", "mousemove", "--window", window, "370", "220", "click", "1"],
                       env=env, check=True, timeout=10)
        time.sleep(1.5)
        shot = SCREENSHOTS / "window-tags.png"
        subprocess.run([sys.executable, "-c", GRAB, str(shot)], env=env, check=True, timeout=30)
        print(f"screenshot with a photo's tags: {shot}")
        assert _dark_pixels(Image.open(shot).convert("RGB").crop(tag_list)) > 50  # its tags are listed
    finally:
        if app is not None:
            app.terminate()
            try:
                app.wait(timeout=15)
            except subprocess.TimeoutExpired:
                app.kill()
        xvfb.terminate()
        xvfb.wait(timeout=10)
