"""The engine stays free of Qt and the shells see only the facade: checked at run time and by contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_engine_api_imports_no_qt() -> None:
    code = (
        "import sys, cbir_desktop.engine.api, cbir_desktop.cli; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'superqt', 'qtpy', 'PyQt5', 'PyQt6') or m.startswith('cbir_desktop.ui')]; "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_import_contracts_hold() -> None:
    """The layering of pyproject.toml's import-linter contracts (README "Architecture")."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and "Contracts: 3 kept, 0 broken" in result.stdout
