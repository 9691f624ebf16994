"""Tags in the window: confirm, add and reject them on selected photos, write them to XMP,
and see text search learn from them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import require_tool, search_everything, shaded_folder
from PySide6.QtCore import QItemSelectionModel, Qt

# Camera folders say nothing about what the photos show: only the user's tags can.
GROUPS = {"100CANON": (200, 40, 40), "101CANON": (40, 180, 60)}


def _camera_library(root: Path) -> None:
    for seed, (folder, base) in enumerate(GROUPS.items()):
        shaded_folder(root / "DCIM" / folder, base, 12, seed)


def _folders(hits) -> list[str]:
    return [Path(h.path).parent.name for h in hits]


def _select_folder(window, folder: str) -> None:
    """Select every shown result from `folder`, as a ctrl-click would."""
    selection = window.view.selectionModel()
    selection.clearSelection()
    for row, hit in enumerate(window.results.hits()):
        if Path(hit.path).parent.name == folder:
            selection.select(window.results.index(row), QItemSelectionModel.SelectionFlag.Select)


def _add_tag(window, qtbot, tag: str) -> None:
    qtbot.keyClicks(window.tag_panel.add_field, tag)
    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        qtbot.keyClick(window.tag_panel.add_field, Qt.Key.Key_Return)


def test_confirming_tags_in_the_window_changes_later_searches(make_window, tmp_path, qtbot) -> None:
    root = tmp_path / "photos"
    _camera_library(root)
    window = make_window([root])
    window.show()
    before = search_everything(window, qtbot, "tram")  # no labels yet: the zero-shot projection answers (green)
    assert _folders(before[:12]) == ["101CANON"] * 12
    assert len(window.results.hits()) == 24

    _select_folder(window, "100CANON")  # the red photos are the trams
    assert len(window.tag_panel.paths) == 12
    qtbot.waitUntil(lambda: window.tag_panel.tag_list.count() > 0, timeout=10000)  # its suggestions
    with qtbot.waitSignal(window.training_finished, timeout=30000) as trained:
        _add_tag(window, qtbot, "tram")
        _select_folder(window, "101CANON")
        _add_tag(window, qtbot, "heron")
    assert trained.args[0].active and trained.args[0].words == ["heron", "tram"]
    assert window.library.user_tags(root / "DCIM" / "100CANON" / "IMG_0000.jpg") == {"tram": True}

    after = search_everything(window, qtbot, "tram")
    assert _folders(after[:12]) == ["100CANON"] * 12
    assert "tram" in window.results.hit(0).tags  # the confirmed tag is drawn under the photo

    # The panel lists the confirmed tag first, marked as the user's.
    window.view.selectionModel().clearSelection()
    window.view.selectionModel().select(window.results.index(0), QItemSelectionModel.SelectionFlag.Select)
    qtbot.waitUntil(lambda: window.tag_panel.shown_tags()[:1] == ["tram"], timeout=10000)
    assert window.tag_panel.tag_list.item(0).text().startswith("✓ tram")


def test_rejecting_a_tag_and_writing_xmp_sidecars(make_window, tmp_path, qtbot) -> None:
    root = tmp_path / "photos"
    _camera_library(root)
    window = make_window([root])
    window.show()
    search_everything(window, qtbot, "red")
    _select_folder(window, "101CANON")
    with qtbot.waitSignal(window.training_finished, timeout=30000) as trained:
        _add_tag(window, qtbot, "tram")
        _add_tag(window, qtbot, "green tram")
    # 12 photos and one word are too few to learn from: the window says what it needs.
    assert not trained.args[0].active
    assert "learns your tags once it has enough: it needs at least 20 photos" in window.status_label.text()
    photo = root / "DCIM" / "101CANON" / "IMG_0003.jpg"
    # Reject one of them through the panel's list and button.
    qtbot.waitUntil(lambda: "green tram" in window.tag_panel.shown_tags(), timeout=10000)
    window.tag_panel.select_tags(["green tram"])
    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        qtbot.mouseClick(window.tag_panel.reject_button, Qt.MouseButton.LeftButton)
    assert window.library.user_tags(photo) == {"tram": True, "green tram": False}
    original = photo.read_bytes()
    qtbot.mouseClick(window.tag_panel.write_button, Qt.MouseButton.LeftButton)
    sidecar = photo.with_suffix(".xmp")
    qtbot.waitUntil(lambda: "Wrote 12 XMP sidecars" in window.status_label.text(), timeout=10000)
    assert photo.read_bytes() == original  # the photo itself is never modified
    exiftool = require_tool("exiftool", "libimage-exiftool-perl")  # reads the sidecars back
    read = subprocess.run([exiftool, "-s3", "-XMP-dc:Subject", str(sidecar)], capture_output=True, text=True)
    assert read.stdout.strip() == "tram"  # the rejected tag is not written
