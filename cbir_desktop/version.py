"""The version both shells print (`--version`, the About dialog)."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from . import __version__


def version_text() -> str:
    """The `--version` line of both shells, "cbir-desktop X.Y.Z": the installed distribution's
    version; from a checkout never installed, pyproject.toml's; in a bundle without either,
    the package's own `__version__`."""
    try:
        return f"cbir-desktop {metadata.version('cbir-desktop')}"
    except metadata.PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return f"cbir-desktop {found.group(1) if found else __version__}"
