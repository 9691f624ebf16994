"""The window on a read-only library: it searches, says why editing is off, and does not index.

The library is mounted read-only for real (a bind mount in a user and mount namespace,
as in tests/engine/test_read_only.py); the window runs offscreen in that process and
reports what a person would see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import require_tool, shaded_folder

from cbir_desktop.engine.api import open_library

WINDOW = r"""
import json, sys, tempfile
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QLabel
from cbir_desktop.engine.api import open_library
from cbir_desktop.ui.main_window import MainWindow

app = QApplication([])
library = open_library(sys.argv[1], create=False)
tmp = Path(tempfile.mkdtemp())
window = MainWindow(library, QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), tmp / "thumbs")
window.show()
seen = {}
window.search_finished.connect(  # shown, or held back below the relevance cut-off
    lambda *_: seen.setdefault("hits", window.results.rowCount() + len(window._held_back)))

def report():
    note = window.statusBar().findChild(QLabel, "read_only_note")
    seen.update(note=note.text() if note else "", add=window.folders_dock.add_button.isEnabled(),
                indexing=window._indexing.running)
    print(json.dumps(seen))
    app.quit()

QTimer.singleShot(500, lambda: window.search_text("heron"))
QTimer.singleShot(4000, report)
app.exec()
window.shutdown()
"""
MOUNT_RO = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


def test_the_window_searches_a_read_only_library_and_says_why_editing_is_off(tiny_models: Path,
                                                                              tmp_path: Path) -> None:
    unshare = require_tool("unshare", "util-linux")
    shaded_folder(tmp_path / "photos" / "Herons", (200, 40, 40), 9, 0)
    shaded_folder(tmp_path / "photos" / "Lisbon", (40, 180, 60), 9, 1)
    lib = tmp_path / "lib"
    with open_library(lib) as library:
        library.index([tmp_path / "photos"])
    before = {p: p.read_bytes() for p in lib.rglob("*") if p.is_file()}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([unshare, "-Urm", "sh", "-c", MOUNT_RO, str(lib), sys.executable, "-c", WINDOW, str(lib)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Read-only library" in seen["note"] and "read-only media" in seen["note"]
    assert seen["hits"] > 0  # searching works
    assert seen["add"] is False and seen["indexing"] is False  # no folder edits, no indexing run
    assert {p: p.read_bytes() for p in lib.rglob("*") if p.is_file()} == before
