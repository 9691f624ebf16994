"""Before Qt starts: can its X11 platform plugin load its system libraries?

PySide6's wheel bundles Qt but not the X11 (xcb) libraries its `libqxcb.so` plugin
links to. When one is missing, Qt aborts with a misleading line ("xcb-cursor0 or
libxcb-cursor0 is needed") whatever the missing library really is. `xcb_problem()`
loads each library first, as the plugin would, and names the Debian packages to
install instead.

The table is the plugin's own list: the NEEDED entries of `libqxcb.so`,
`libQt6XcbQpa.so.6`, `libQt6Gui.so.6`, `libQt6Widgets.so.6`, `libQt6Core.so.6` and
`libQt6DBus.so.6` (PySide6-Essentials 6.9.3, `objdump -p`), less what PySide6 bundles
(ICU) and what every Linux Python already has (libc, libstdc++, zlib, zstd).
`tests/ui/test_platform_check.py` reads those entries again, so a PySide6 bump that
needs a new library fails there.

Qt-free on purpose: it runs before PySide6 is imported.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["XCB_LIBRARIES", "missing_libraries", "missing_message", "uses_xcb", "xcb_problem"]

# soname -> the Debian/Ubuntu package that ships it (README "Quick start" installs them all).
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}


def uses_xcb(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt will open the window through its X11 (xcb) plugin.

    On Linux: QT_QPA_PLATFORM is "xcb" (or "xcb:<options>"), or it is unset and the
    session is not Wayland. Qt 6 tries its Wayland plugin first in a Wayland session
    (WAYLAND_DISPLAY or XDG_SESSION_TYPE=wayland), and xcb only if that fails, so a
    missing X11 library there is no reason to refuse to start.
    """
    environ = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(":", 1)[0].strip() == "xcb"
    return not (environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland")


def _load(soname: str) -> None:
    """dlopen `soname` as the plugin would (the system search path, LD_LIBRARY_PATH; a
    bundle's own folder too); raises OSError when it or a library it needs is missing."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller may have copied it into the bundle
        if bundle is None or not (Path(bundle) / soname).is_file():
            raise
        ctypes.CDLL(str(Path(bundle) / soname))


def missing_libraries(load: Callable[[str], object] = _load) -> list[str]:
    """The sonames in `XCB_LIBRARIES` that `load` cannot load, in table order."""
    missing = []
    for soname in XCB_LIBRARIES:
        try:
            load(soname)
        except OSError:
            missing.append(soname)
    return missing


def missing_message(sonames: list[str]) -> str:
    """One sentence naming the missing libraries and the command that installs them."""
    packages = list(dict.fromkeys(XCB_LIBRARIES[soname] for soname in sonames))
    listed = ", ".join(sonames[:-1]) + (" and " if len(sonames) > 1 else "") + sonames[-1]
    return (f"cbir-desktop cannot open its window because Qt's X11 plugin needs {listed}, "
            f"which {'are' if len(sonames) > 1 else 'is'} not installed: run "
            f"`sudo apt install {' '.join(packages)}` (Debian and Ubuntu package names) and start it again.")


def xcb_problem(environ: Mapping[str, str] | None = None,
                load: Callable[[str], object] = _load) -> str | None:
    """The sentence to print instead of starting Qt, or None when the window can start."""
    if not uses_xcb(environ):
        return None
    missing = missing_libraries(load)
    return missing_message(missing) if missing else None
