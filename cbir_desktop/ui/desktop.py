"""The app's place on the desktop: the `resources/` folder, the window icon, the Linux desktop entry.

No Qt at import time: `--install-desktop-entry` and the self-test use this module without a window.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

__all__ = ["APP_ID", "ICON_SIZES", "desktop_exec", "icon_files", "install_desktop_entry", "launcher_command",
           "read_desktop_entry", "resource_problems", "resources_dir", "window_icon"]

# The desktop entry's file name, its Icon= name, Wayland's app id (QGuiApplication.desktopFileName)
# and the X11 window class (the application name): one name, so the desktop matches them all.
APP_ID = "cbir-desktop"
ICON_SIZES = (16, 32, 48, 64, 128, 256)  # resources/cbir-desktop-<N>.png, rendered by resources/render_icons.py
_MARKER = f"{APP_ID}.desktop"  # a folder holding this is the resources folder
# Characters that make an Exec= argument need double quotes (Desktop Entry Specification, "The Exec key").
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def resources_dir() -> Path:
    """Where icons and the desktop entry live: PyInstaller bundle, installed package, source checkout.

    The same order as the engine's `models_dir()`: a bundle unpacks next to its executable
    (`sys._MEIPASS`); a wheel installs `resources/` as the `cbir_desktop._resources` package;
    a checkout (or an editable install made before the folder existed) has it beside the package.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and (Path(bundle) / "resources" / _MARKER).is_file():
        return Path(bundle) / "resources"
    try:
        # A namespace package (no __init__.py): files() is a MultiplexedPath, whose str() is no
        # path; a file joined to it is a real one.
        packaged = resources.files("cbir_desktop._resources").joinpath(_MARKER)
        if packaged.is_file():
            return Path(str(packaged)).parent
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "resources"


def icon_files(root: Path | None = None) -> dict[int, Path]:
    """The app icon's PNG for each size in `ICON_SIZES` that exists under `root` (default: `resources_dir()`)."""
    folder = root or resources_dir()
    found = {side: folder / f"{APP_ID}-{side}.png" for side in ICON_SIZES}
    return {side: path for side, path in found.items() if path.is_file()}


def read_desktop_entry(path: Path) -> dict[str, str]:
    """The `[Desktop Entry]` group of a desktop file, keys as written (raises on a malformed file)."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # desktop keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return dict(parser["Desktop Entry"])


def resource_problems(root: Path | None = None) -> list[str]:
    """What is missing or wrong in the resources folder (empty when all is there): the self-test's check
    that a bundle or an install carries the icons and a desktop entry that names them."""
    root = root or resources_dir()
    problems = [f"no {APP_ID}-{side}.png in {root}" for side in ICON_SIZES if side not in icon_files(root)]
    if not (root / f"{APP_ID}.svg").is_file():
        problems.append(f"no {APP_ID}.svg in {root}")
    try:
        entry = read_desktop_entry(root / _MARKER)
    except (OSError, KeyError, configparser.Error) as exc:
        return [*problems, f"no readable desktop entry in {root}: {exc}"]
    if entry.get("Icon") != APP_ID or entry.get("StartupWMClass") != APP_ID:
        problems.append(f"{_MARKER} must name Icon={APP_ID} and StartupWMClass={APP_ID}")
    if not entry.get("Exec", "").startswith(f"{APP_ID} "):
        problems.append(f"{_MARKER} must start {APP_ID} (Exec={entry.get('Exec')})")
    return problems


def window_icon() -> QIcon:
    """The app icon with every rendered size, so each place (title bar, task switcher) gets a sharp one.

    PNGs only: the app never needs Qt's SVG plugin. Empty (null) if the resources are missing.
    """
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for path in icon_files().values():
        icon.addFile(str(path))
    return icon


def launcher_command() -> list[str]:
    """The command that starts this app as it runs now, for the desktop entry's Exec= line.

    A bundle is its executable; a pip install its `cbir-desktop` script (by absolute path, since
    a venv's bin/ is rarely on the desktop's PATH); anything else runs the package with this Python.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == APP_ID and script.is_file():
        return [str(script.absolute())]
    return [sys.executable, "-m", "cbir_desktop"]


def desktop_exec(command: list[str]) -> str:
    """`command` as an Exec= value followed by `%F`, quoted and escaped as the specification asks."""
    parts = []
    for arg in command:
        arg = arg.replace("%", "%%")
        if any(char in _EXEC_RESERVED for char in arg):
            arg = '"' + "".join("\\" + char if char in '"`$\\' else char for char in arg) + '"'
        parts.append(arg)
    # The whole value is a desktop-file string too: its backslashes are escaped once more.
    return " ".join(parts).replace("\\", "\\\\") + " %F"


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def install_desktop_entry(command: list[str] | None = None, data_home: Path | None = None) -> list[Path]:
    """Put the desktop entry and the icons where Linux desktops look for a user's apps.

    Writes `applications/cbir-desktop.desktop` (its Exec= starting `command`, default: this app as it
    runs now) and `icons/hicolor/<N>x<N>/apps/cbir-desktop.png` under `data_home` (default:
    $XDG_DATA_HOME or ~/.local/share). Returns the files written; raises OSError if one cannot be.
    """
    home = data_home or _data_home()
    source = resources_dir()
    entry = (source / _MARKER).read_text(encoding="utf-8")
    exec_line = "Exec=" + desktop_exec(command or launcher_command())
    lines = [exec_line if line.startswith("Exec=") else line for line in entry.splitlines()]
    applications = home / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    written = [applications / _MARKER]
    written[0].write_text("\n".join(lines) + "\n", encoding="utf-8")
    for side, png in icon_files(source).items():
        target = home / "icons" / "hicolor" / f"{side}x{side}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)
        written.append(target)
    scalable = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / f"{APP_ID}.svg", scalable)
    written.append(scalable)
    # Menus pick a new entry up by themselves; "Open with" for its MimeType= needs the cache rebuilt.
    tool = shutil.which("update-desktop-database")
    if tool:
        subprocess.run([tool, "-q", str(applications)], check=False, timeout=30)
    return written
