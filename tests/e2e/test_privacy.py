"""Nothing leaves the machine: the app writes only to its library (and the user's photo sidecars)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import solid


def test_cli_writes_nothing_outside_the_library_and_the_photos(tiny_models: Path, tmp_path: Path) -> None:
    """No telemetry files (onnxruntime's device id and event queue) or anything else in HOME."""
    home = tmp_path / "home"
    home.mkdir()
    for colour in ("red", "green", "blue"):
        solid(tmp_path / "photos" / f"{colour}.jpg", colour)
    env = {key: value for key, value in os.environ.items()
           if key not in ("CI", "ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    env |= {"HOME": str(home), "CBIR_LIBRARY": str(tmp_path / "lib")}
    photos = tmp_path / "photos"
    for args in (["index", str(photos)], ["search", "--text", "red"], ["tags", str(photos / "red.jpg")]):
        subprocess.run([sys.executable, "-m", "cbir_desktop.cli", *args], env=env, check=True,
                       capture_output=True, text=True, timeout=120)
    assert [str(p.relative_to(home)) for p in home.rglob("*")] == []
