"""A real full disk: the library on a tiny tmpfs (mounted in a user and mount namespace).

Indexing stops with one sentence, every committed batch is kept and sound, and once
there is room again the next run indexes the rest. (test_faults.py injects ENOSPC at
every write point; this one lets the file system itself run out.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO, require_tool, shaded_folder

# Inside the namespace: a 600 KB tmpfs for the library, index until full, grow it, index again.
SCRIPT = r"""
set -u
mount -t tmpfs -o size=600k tmpfs "$LIB"
"$PY" -m cbir_desktop.cli index --batch-size 16 "$PHOTOS" >"$OUT/first.out" 2>"$OUT/first.err"
echo $? >"$OUT/first.rc"
"$PY" "$OUT/count.py" "$LIB" >"$OUT/first.json"
mount -o remount,size=50m tmpfs "$LIB"
"$PY" -m cbir_desktop.cli index >"$OUT/second.out" 2>"$OUT/second.err"
echo $? >"$OUT/second.rc"
"$PY" "$OUT/count.py" "$LIB" >"$OUT/second.json"
"""
COUNT = r"""
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}/catalogue.sqlite?mode=ro", uri=True)
print(json.dumps({
    "photos": db.execute("SELECT COUNT(*) FROM photos").fetchone()[0],
    "with_features": db.execute("SELECT COUNT(DISTINCT photo_id) FROM vectors WHERE kind = 'features'").fetchone()[0],
    "integrity": db.execute("PRAGMA integrity_check").fetchone()[0],
}))
"""


def test_a_full_disk_stops_indexing_with_a_sentence_and_the_next_run_finishes(tiny_models: Path,
                                                                               tmp_path: Path) -> None:
    unshare = require_tool("unshare", "util-linux")
    photos = tmp_path / "photos"
    for n in range(12):
        shaded_folder(photos / f"Folder{n}", (20 * n, 40, 200 - 10 * n), 30, n)
    lib, out = tmp_path / "lib", tmp_path / "out"
    lib.mkdir()
    out.mkdir()
    (out / "count.py").write_text(COUNT)
    env = {**os.environ, "LIB": str(lib), "PHOTOS": str(photos), "OUT": str(out), "PY": sys.executable,
           "CBIR_LIBRARY": str(lib)}
    env.pop("CBIR_FAULT", None)
    done = subprocess.run([unshare, "-Urm", "sh", "-c", SCRIPT], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    first = json.loads((out / "first.json").read_text())
    errors = [line for line in (out / "first.err").read_text().splitlines()
              if not line.startswith(("scanning", "indexing", "building"))]
    assert (out / "first.rc").read_text().strip() == "1"
    assert len(errors) == 1 and errors[0].startswith("cbir: The disk is full"), errors
    assert 0 < first["photos"] < 360 and first["with_features"] == first["photos"]  # whole batches kept
    assert first["integrity"] == "ok"

    second = json.loads((out / "second.json").read_text())
    assert (out / "second.rc").read_text().strip() == "0", (out / "second.err").read_text()
    assert second == {"photos": 360, "with_features": 360, "integrity": "ok"}
    assert "added" in (out / "second.out").read_text()
