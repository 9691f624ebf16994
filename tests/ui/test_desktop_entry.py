"""The app icon, the Linux desktop entry and where they are found (checkout, wheel, bundle)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from cbir_desktop import selftest
from cbir_desktop.ui import app, desktop
from cbir_desktop.ui.desktop import (
    APP_ID,
    ICON_SIZES,
    desktop_exec,
    icon_files,
    install_desktop_entry,
    read_desktop_entry,
    resource_problems,
    resources_dir,
    window_icon,
)

REPO = Path(__file__).resolve().parents[2]
RESOURCES = REPO / "resources"


def test_the_checkout_finds_the_top_level_resources_folder() -> None:
    assert resources_dir() == RESOURCES
    assert resource_problems() == []


def test_the_desktop_entry_names_the_app_its_icon_and_what_it_opens() -> None:
    entry = read_desktop_entry(RESOURCES / f"{APP_ID}.desktop")
    assert entry["Type"] == "Application" and entry["Name"] == "cbir-desktop"
    assert entry["GenericName"] == "Photo Search" and entry["Comment"]
    assert entry["Terminal"] == "false"
    # Exec runs the script pyproject.toml installs; it takes the paths "Open with" passes.
    command, files = entry["Exec"].split()
    assert f'\n{command} = "cbir_desktop.ui.app:main"\n' in (REPO / "pyproject.toml").read_text()
    assert files == "%F"
    # Icon is a name the icon theme resolves to the PNGs that --install-desktop-entry copies.
    assert entry["Icon"] == APP_ID and set(icon_files(RESOURCES)) == set(ICON_SIZES)
    assert entry["StartupWMClass"] == app.APP  # the X11 window class is the application name
    for key in ("Categories", "MimeType", "Keywords"):
        assert entry[key].endswith(";"), key  # lists end with a semicolon
    assert {"Graphics", "Photography", "Viewer"} <= set(entry["Categories"].split(";"))
    assert {"inode/directory", "image/jpeg", "image/png"} <= set(entry["MimeType"].split(";"))


def test_the_icon_pngs_are_square_renders_of_the_svg(qapp: QApplication) -> None:
    spec = importlib.util.spec_from_file_location("render_icons", RESOURCES / "render_icons.py")
    assert spec is not None and spec.loader is not None
    render_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_icons)
    assert tuple(render_icons.SIZES) == ICON_SIZES
    for side, path in icon_files(RESOURCES).items():
        committed = np.asarray(Image.open(path).convert("RGBA"), dtype=np.int16)
        assert committed.shape == (side, side, 4)
        assert committed[0, 0, 3] == 0 and committed[side // 2, side // 2, 3] == 255  # rounded corners, solid middle
        image = render_icons.render(RESOURCES / f"{APP_ID}.svg", side)
        fresh = np.frombuffer(image.convertToFormat(image.Format.Format_RGBA8888).constBits(),
                              dtype=np.uint8).reshape(side, side, 4).astype(np.int16)
        # Run resources/render_icons.py after editing the SVG: the PNGs must match it.
        assert np.abs(committed - fresh).mean() < 2, path.name


def test_the_window_icon_holds_every_size(qapp: QApplication) -> None:
    icon = window_icon()
    assert not icon.isNull()
    assert {size.width() for size in icon.availableSizes()} == set(ICON_SIZES)
    assert icon.actualSize(QSize(20, 20)).width() <= 20


def test_a_bundle_uses_its_own_resources_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(RESOURCES, bundle / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources_dir() == bundle / "resources"
    shutil.rmtree(bundle / "resources")
    assert resources_dir() == RESOURCES  # a bundle without them: the next place


def test_the_self_test_fails_when_the_resources_are_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []
    assert selftest._resources_ok(lines.append)
    assert "6 icon sizes and the desktop entry" in lines[-1]
    partial = tmp_path / "resources"
    partial.mkdir()
    shutil.copy(RESOURCES / f"{APP_ID}-16.png", partial / f"{APP_ID}-32.png")  # misnamed: 16 px
    monkeypatch.setattr(selftest, "resources_dir", lambda: partial)
    assert not selftest._resources_ok(lines.append)
    assert lines[-1].startswith("FAIL") and f"no {APP_ID}-16.png" in lines[-1]
    assert "not 32x32" in lines[-1] and "no readable desktop entry" in lines[-1]


@pytest.mark.parametrize(("command", "exec_value"), [
    (["/opt/cbir-desktop/cbir-desktop"], "/opt/cbir-desktop/cbir-desktop %F"),
    (["/home/me/my apps/.venv/bin/python", "-m", "cbir_desktop"],
     '"/home/me/my apps/.venv/bin/python" -m cbir_desktop %F'),
    (['/a"b$c/x'], '"/a\\\\"b\\\\$c/x" %F'),  # quoted, escaped for Exec, then for the file's string
    (["/100%/x"], "/100%%/x %F"),
])
def test_exec_lines_are_quoted_as_the_specification_asks(command: list[str], exec_value: str) -> None:
    assert desktop_exec(command) == exec_value


def test_installing_the_desktop_entry_writes_it_and_the_icons(tmp_path: Path) -> None:
    home = tmp_path / "share"
    written = install_desktop_entry(["/opt/my apps/cbir-desktop"], data_home=home)
    entry_file = home / "applications" / f"{APP_ID}.desktop"
    assert written[0] == entry_file
    entry = read_desktop_entry(entry_file)
    assert entry["Exec"] == '"/opt/my apps/cbir-desktop" %F'
    assert entry["Icon"] == APP_ID and entry["MimeType"] == read_desktop_entry(RESOURCES / entry_file.name)["MimeType"]
    for side in ICON_SIZES:
        png = home / "icons" / "hicolor" / f"{side}x{side}" / "apps" / f"{APP_ID}.png"
        assert png in written and Image.open(png).size == (side, side)
    assert (home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_install_desktop_entry_flag_installs_for_this_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setattr(desktop, "launcher_command", lambda: ["/usr/bin/cbir-desktop"])
    assert app.main(["--install-desktop-entry"]) == 0
    out = capsys.readouterr().out
    assert "it starts: /usr/bin/cbir-desktop %F" in out
    assert (tmp_path / "share" / "applications" / f"{APP_ID}.desktop").is_file()


def test_paths_on_the_command_line_are_opened_like_a_drop(make_window, photos: Path) -> None:
    window = make_window()
    added: list[str] = []
    searched: list[str] = []
    window.add_folder = added.append  # type: ignore[method-assign]  # record, do not index
    window.search_image = searched.append  # type: ignore[method-assign]
    app._open_paths(window, [str(photos), str(photos / "red.jpg"), str(photos / "blue.jpg"),
                             str(photos / "missing")])
    assert added == [str(photos)] and searched == [str(photos / "red.jpg")]
