"""`cbir-desktop` names the missing X11 packages instead of letting Qt abort with a misleading line.

The real check runs against this machine's libraries, and against a library hidden for
real: in a user and mount namespace (`unshare -Urm`, as the read-only tests do) an empty
file is bind-mounted over `libxcb-icccm.so.4` and `libxcb-keysyms.so.1`, so dlopen fails
exactly as on a machine without those packages, for Qt and for the check alike. No
test-only switch in the app is needed, and the same namespace shows Qt's own misleading
abort that the check replaces.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import PySide6
import pytest
from helpers import require_tool

from cbir_desktop.ui.platform_check import XCB_LIBRARIES, missing_message, uses_xcb, xcb_problem

QT = Path(PySide6.__file__).resolve().parent / "Qt"
# What the xcb plugin loads: the plugin, its Qt libraries, and theirs.
QT_FILES = [QT / "plugins" / "platforms" / "libqxcb.so",
            *(QT / "lib" / f"libQt6{name}.so.6" for name in ("XcbQpa", "Gui", "Widgets", "Core", "DBus"))]
# Every Linux Python already has these (the C and C++ runtimes, zlib, zstd).
BASE = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libstdc++.so.6",
        "libgcc_s.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libz.so.1", "libzstd.so.1"}
HIDDEN = ("libxcb-icccm.so.4", "libxcb-keysyms.so.1")  # what the clean Debian machine lacked
HIDE = 'for lib in $0; do mount --bind "$EMPTY" "$lib" || exit 99; done; exec "$@"'
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the X11 plugin is Linux's")


def _needed(path: Path) -> set[str]:
    objdump = require_tool("objdump", "binutils")
    out = subprocess.run([objdump, "-p", str(path)], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"^\s*NEEDED\s+(\S+)", out, re.MULTILINE))


def _resolved(soname: str) -> str:
    """Where the dynamic loader finds `soname` for Qt's xcb library (ldd, from libc-bin)."""
    out = subprocess.run(["ldd", str(QT / "lib" / "libQt6XcbQpa.so.6")], capture_output=True, text=True).stdout
    found = re.search(rf"^\s*{re.escape(soname)} => (\S+)", out, re.MULTILINE)
    assert found, f"{soname} not found by ldd:\n{out}"
    return found.group(1)


def test_table_names_every_system_library_the_xcb_plugin_needs() -> None:
    """The table is the plugin's real list: a PySide6 bump that needs another library fails here."""
    needed = set().union(*map(_needed, QT_FILES))
    bundled = {p.name for p in (QT / "lib").iterdir()}
    assert needed - bundled - BASE == set(XCB_LIBRARIES)


def test_table_maps_each_library_to_the_debian_package_that_ships_it() -> None:
    dpkg = require_tool("dpkg", "dpkg")
    for soname, package in XCB_LIBRARIES.items():
        found = subprocess.run([dpkg, "-S", f"*/{soname}"], capture_output=True, text=True).stdout
        owners = {line.split(":")[0] for line in found.splitlines()}  # "libxcb1:amd64: /usr/lib/..."
        # Ubuntu 24.04 renamed some (libglib2.0-0t64); they provide the old name, which apt accepts.
        assert owners in ({package}, {f"{package}t64"}), (soname, found)


@pytest.mark.parametrize(("environ", "xcb"), [
    ({}, True),
    ({"QT_QPA_PLATFORM": "xcb"}, True),
    ({"QT_QPA_PLATFORM": "xcb:nograb"}, True),
    ({"QT_QPA_PLATFORM": "offscreen"}, False),
    ({"QT_QPA_PLATFORM": "wayland"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),  # Qt tries Wayland first in a Wayland session
    ({"XDG_SESSION_TYPE": "wayland"}, False),
    ({"XDG_SESSION_TYPE": "wayland", "QT_QPA_PLATFORM": "xcb"}, True),  # asked for: checked
    ({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, True),
])
def test_the_check_runs_only_when_qt_will_use_its_x11_plugin(environ: dict[str, str], xcb: bool) -> None:
    assert uses_xcb(environ, platform="linux") is xcb
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, platform="darwin") is False


def test_the_message_is_one_sentence_naming_each_package_once() -> None:
    def fake_load(soname: str) -> None:
        if soname in ("libxcb-icccm.so.4", "libglib-2.0.so.0", "libgthread-2.0.so.0"):
            raise OSError(f"{soname}: cannot open shared object file")

    message = xcb_problem({"QT_QPA_PLATFORM": "xcb"}, load=fake_load)
    assert message is not None and "\n" not in message and message.count(". ") == 0
    assert "`sudo apt install libxcb-icccm4 libglib2.0-0`" in message
    assert xcb_problem({"QT_QPA_PLATFORM": "offscreen"}, load=fake_load) is None
    assert "needs libEGL.so.1, which is not installed" in missing_message(["libEGL.so.1"])


def test_the_real_check_passes_on_this_machine() -> None:
    """The libraries are installed here (README's apt command): loaded for real, nothing is missing."""
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    for key in ("LD_LIBRARY_PATH", "LD_PRELOAD", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        env.pop(key, None)
    done = subprocess.run([sys.executable, "-c", "from cbir_desktop.ui.platform_check import missing_libraries, "
                           "xcb_problem; print(missing_libraries()); print(xcb_problem())"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "None"]


def _cbir_desktop() -> list[str]:
    script = Path(sys.executable).with_name("cbir-desktop")  # the command the README starts
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cbir_desktop"]


def test_a_missing_x11_library_names_its_package_and_exits_1_before_qt(tmp_path: Path) -> None:
    unshare = require_tool("unshare", "util-linux")
    empty = tmp_path / "empty.so"
    empty.touch()
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0", "EMPTY": str(empty),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    hidden = " ".join(_resolved(soname) for soname in HIDDEN)

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([unshare, "-Urm", "sh", "-c", HIDE, hidden, *command], env=env,
                              capture_output=True, text=True, timeout=120)

    # The libraries are hidden for real: Qt on its own aborts with its misleading line.
    bare = run(sys.executable, "-c", "from PySide6.QtWidgets import QApplication; QApplication([])")
    assert bare.returncode not in (0, 99), bare.stderr
    assert "xcb-cursor0 or libxcb-cursor0 is needed" in bare.stderr

    done = run(*_cbir_desktop())
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1  # one sentence, one line
    assert "libxcb-icccm.so.4 and libxcb-keysyms.so.1" in done.stderr
    assert "`sudo apt install libxcb-icccm4 libxcb-keysyms1`" in done.stderr
    assert "qt.qpa" not in done.stderr  # Qt never started
    assert not (tmp_path / "state").exists()  # nor did logging: it stopped first

    assert run(*_cbir_desktop(), "--version").stdout == f"{_version()}\n"  # --version needs no window


def _version() -> str:
    from cbir_desktop.version import version_text

    return version_text()


def _apt_packages(text: str, start: str) -> set[str]:
    """The packages of the first `start ...` command in `text` (backslash-continued lines joined)."""
    command = re.search(rf"{re.escape(start)}((?:[^\n]*\\\n)*[^\n]*)", text)
    assert command, f"no `{start}` command"
    return {word for word in command[1].replace("\\\n", " ").split() if not word.startswith(("-", ">"))}


def test_ci_installs_the_readme_packages_and_only_test_tools_besides() -> None:
    """.ci/run installs the README's own apt command (read from README.md) before anything
    else, and nothing the window needs besides: its other apt command is test tools only."""
    repo = Path(__file__).resolve().parents[2]
    readme = _apt_packages((repo / "README.md").read_text(), "sudo apt install")
    ci_text = (repo / ".ci" / "run").read_text()
    assert "'/^sudo apt install /{on=1}" in ci_text and "README.md" in ci_text
    ci = _apt_packages(ci_text, "apt-get install -y -qq --no-install-recommends \\\n")
    assert ci == {"xvfb", "xauth", "xdotool", "libimage-exiftool-perl", "strace"}
    assert {"build-essential", "python3-venv", "libxcb-icccm4", "libxcb-keysyms1", "fonts-dejavu-core"} <= readme
    # Every package the start-up check may name is in the README's command or comes with it.
    assert set(XCB_LIBRARIES.values()) - readme <= {"libxcb1", "libx11-6", "libxcb-render0", "libxcb-shm0",
                                                    "libxcb-sync1", "libxcb-util1", "libfreetype6"}
