"""`--version` of both commands: "cbir-desktop X.Y.Z", the installed version, else pyproject.toml's."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import cbir_desktop
from cbir_desktop import cli

REPO = Path(__file__).resolve().parents[2]
PYPROJECT_VERSION = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.MULTILINE)[1]


def _command(name: str) -> list[str]:
    script = Path(sys.executable).with_name(name)  # the console scripts pip installed
    module = {"cbir": "cbir_desktop.cli", "cbir-desktop": "cbir_desktop"}[name]
    return [str(script)] if script.is_file() else [sys.executable, "-m", module]


@pytest.mark.parametrize("name", ["cbir", "cbir-desktop"])
def test_version_prints_the_package_version_and_exits_0(name: str, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "QT_QPA_PLATFORM": "xcb"}  # no display: never opened
    done = subprocess.run([*_command(name), "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"cbir-desktop {PYPROJECT_VERSION}\n", "")
    assert not (tmp_path / ".local").exists()  # no library, no log: it only printed


def test_version_is_the_installed_distributions() -> None:
    assert cli.version_text() == f"cbir-desktop {metadata.version('cbir-desktop')}"
    assert metadata.version("cbir-desktop") == PYPROJECT_VERSION == cbir_desktop.__version__


def test_version_falls_back_to_pyproject_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    monkeypatch.setattr(cbir_desktop, "__version__", "0.0.0-stale")  # pyproject.toml wins over the code's copy
    assert cli.version_text() == f"cbir-desktop {PYPROJECT_VERSION}"
