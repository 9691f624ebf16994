"""The first hour with the app under Xvfb, with real key and mouse events: from an empty
library, add a folder through the menu and the real file dialog, watch indexing, see the
library view, search a misspelt word and click a suggestion, confirm and reject tags and
undo one, remove the folder (confirming), re-add it and find the tag decisions back.
Screenshots of every step go to test-output/screenshots/first-hour/ (look at them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import require_tool

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO.parent / "shared" / "datasets" / "caltech101" / "101_ObjectCategories"
SCREENSHOTS = REPO / "test-output" / "screenshots" / "first-hour"
DRIVER = Path(__file__).with_name("first_hour_driver.py")

pytestmark = pytest.mark.skipif(not DATASET.is_dir(), reason=f"needs the Caltech-101 photos in {DATASET}")

# A small library like a person's: named folders and a camera dump.
FOLDERS = {"Garden": [("sunflower", 10)], "Pets": [("dalmatian", 10)], "eBay listings": [("Motorbikes", 8)],
           "DCIM/101CANON": [("airplanes", 8), ("grand_piano", 4), ("sunflower", 3)]}


def _free_display() -> int:
    for number in range(140, 190):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


def test_the_first_hour_with_real_events(tmp_path: Path) -> None:
    require_tool("Xvfb", "xvfb")
    require_tool("xdotool", "xdotool")
    home = tmp_path / "home"
    photos = home / "Pictures" / "Photos"
    for folder, parts in FOLDERS.items():
        (photos / folder).mkdir(parents=True)
        start = 20  # other photos than the first ones other tests use
        for category, count in parts:
            for i in range(start, start + count):
                shutil.copy(DATASET / category / f"image_{i:04d}.jpg", photos / folder / f"{category}_{i:04d}.jpg")
    display = _free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "DISPLAY": f":{display}", "QT_QPA_PLATFORM": "xcb", "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
           "XDG_STATE_HOME": str(home / ".local" / "state"), "XDG_DATA_HOME": str(home / ".local" / "share"),
           "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    env.pop("CBIR_MODELS_DIR", None)
    env.pop("CBIR_LIBRARY", None)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{display}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        run = subprocess.run([sys.executable, str(DRIVER), str(SCREENSHOTS), str(photos), str(tmp_path / "library")],
                             env=env, capture_output=True, text=True, timeout=600)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    record = json.loads((SCREENSHOTS / "steps.json").read_text()) if (SCREENSHOTS / "steps.json").is_file() else {}
    for step in record.get("steps", []):
        print(f"{step['screenshot']}: {step['says']}")
    assert run.returncode == 0, f"{record.get('failure', '')}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    names = [step["screenshot"].split("-", 1)[1].removesuffix(".png") for step in record["steps"]]
    assert names == ["empty-library", "add-folder-dialog", "indexing", "library-view", "misspelt-respelt",
                     "misspelt-suggestions", "suggestion-clicked", "tags-edited", "remove-question",
                     "folder-removed", "decisions-back"]
    assert all((SCREENSHOTS / step["screenshot"]).stat().st_size > 10_000 for step in record["steps"])
    log = (home / ".local" / "state" / "cbir-desktop" / "log" / "cbir-desktop.log").read_text()
    assert "training failed" not in log and "Traceback" not in log, log[-3000:]
