"""The engine stays free of Qt: the CLI and scripts must run where Qt cannot load."""

from __future__ import annotations

import subprocess
import sys


def test_engine_api_imports_no_qt() -> None:
    code = (
        "import sys, cbir_desktop.engine.api, cbir_desktop.cli; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'superqt', 'qtpy', 'PyQt5', 'PyQt6') or m.startswith('cbir_desktop.ui')]; "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_engine_sources_never_import_qt() -> None:
    from pathlib import Path

    engine = Path(__file__).resolve().parents[2] / "cbir_desktop" / "engine"
    for source in engine.glob("*.py"):
        text = source.read_text()
        for banned in ("PySide6", "superqt", "qtpy", "cbir_desktop.ui", "from ..ui"):
            assert banned not in text, f"{source.name} mentions {banned}"
