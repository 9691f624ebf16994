"""The library view: with no search the centre shows the photos, newest first, a page at a time
(under their month's header: one, here); a folder's entry shows that folder's; clearing a search
comes back to where the view was."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from helpers import solid
from PySide6.QtCore import Qt

from cbir_desktop.ui import main_window
from cbir_desktop.ui.results_model import CaptionRole

COLOURS = ["red", "green", "blue", "yellow", "purple", "grey"]


def _library(root: Path, count: int) -> list[Path]:
    """`count` photos whose file times are one minute apart; returns them newest first."""
    made = []
    for i in range(count):
        path = solid(root / ("old" if i < count // 2 else "new") / f"p{i:03d}.png", COLOURS[i % len(COLOURS)],
                     size=(40, 30))
        os.utime(path, (1_600_000_000 + 60 * i,) * 2)
        made.append(path)
    return made[::-1]


def _paths(window) -> list[Path]:
    return [Path(h.path) for h in window.results.hits()]


def _scroll_to_end(window, qtbot, rows: int) -> None:
    """Scroll down as a person would until `rows` photos are loaded."""
    def loaded() -> bool:
        bar = window.view.verticalScrollBar()
        bar.setValue(bar.maximum())
        return window.results.photo_count() >= rows

    qtbot.waitUntil(loaded, timeout=20000)


def test_library_view_pages_newest_first_and_comes_back_after_a_search(
        make_window, tmp_path, monkeypatch, qtbot) -> None:
    monkeypatch.setattr(main_window, "BROWSE_PAGE", 20)
    newest_first = _library(tmp_path / "photos", 90)
    window = make_window([tmp_path / "photos"])
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.results.photo_count() >= 20, timeout=10000)
    assert window.stack.currentWidget() is window.view and window.search_bar.text() == ""
    assert window.results.photo_count() < 90  # not read whole: a page at a time
    _scroll_to_end(window, qtbot, 90)
    assert _paths(window) == newest_first
    newest_day = datetime.datetime.fromtimestamp(newest_first[0].stat().st_mtime).strftime("%Y-%m-%d")
    assert window.results.index(1).data(CaptionRole) == newest_day  # a date, not a score

    bar = window.view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    place = bar.value()
    assert place > 0
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("red")
    assert window.results.scored and window.results.photo_count() != 90

    field = window.search_bar.field
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(field, Qt.Key.Key_Backspace)  # the search is cleared: back to the library view
    assert _paths(window) == newest_first
    assert not window.results.scored
    assert window.view.verticalScrollBar().value() == place
    assert window.search_bar.chip_words() == []


def test_clicking_a_folder_shows_its_photos_and_all_photos_shows_them_all(
        make_window, tmp_path, qtbot) -> None:
    newest_first = _library(tmp_path / "photos", 8)
    window = make_window([tmp_path / "photos" / "old", tmp_path / "photos" / "new"])
    window.show()
    qtbot.waitUntil(lambda: window.results.photo_count() == 8, timeout=10000)
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("blue")
    folder_list = window.folders_dock.folder_list
    assert [folder_list.item(i).text() for i in range(folder_list.count())] == [
        "All photos", str(tmp_path / "photos" / "new"), str(tmp_path / "photos" / "old")]

    def click(row: int) -> None:
        with qtbot.waitSignal(window.library_shown, timeout=10000):
            qtbot.mouseClick(folder_list.viewport(), Qt.MouseButton.LeftButton,
                             pos=folder_list.visualItemRect(folder_list.item(row)).center())

    click(2)
    assert _paths(window) == [p for p in newest_first if p.parent.name == "old"]
    assert window.search_bar.text() == ""  # the search made way for the folder
    click(0)
    assert _paths(window) == newest_first


def test_new_photos_appear_in_the_library_view_after_indexing(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    qtbot.waitUntil(lambda: window.results.photo_count() == 5, timeout=10000)
    with qtbot.waitSignal(window.library_shown, timeout=20000, check_params_cb=lambda page: len(page.hits) == 6):
        newest = solid(photos / "purple.png", "purple")  # the watcher sees it
    assert _paths(window)[0] == newest


def test_photos_appear_while_a_first_index_runs_and_a_later_empty_rescan_keeps_the_report(
        make_window, hold_indexing, tmp_path, qtbot) -> None:
    """A first index of a folder fills the empty library view batch by batch, long before it
    ends; a rescan right after that changes nothing leaves "12 added" on the status line."""
    root = tmp_path / "first"
    for i in range(12):
        solid(root / f"p{i:02d}.png", (i * 20, 90, 200 - i * 10), size=(96, 72))
    window = make_window()
    window.show()
    gate = hold_indexing(window.library, batch_size=4)
    window.add_folder(str(root))
    qtbot.waitUntil(lambda: window.results.photo_count() == 4, timeout=20000)  # held after one batch
    assert window._indexing.running and window.progress.value() == 4
    with qtbot.waitSignal(window.index_finished, timeout=20000):
        gate.open()
    qtbot.waitUntil(lambda: window.results.photo_count() == 12, timeout=10000)  # read again at the end
    # The watcher may ask for one more run of its own right after: every run done, the report stays.
    qtbot.waitUntil(lambda: _idle(window) and window.status_label.text().startswith("Library up to date: 12 added"),
                    timeout=20000)
    with qtbot.waitSignal(window.index_finished, timeout=20000) as again:
        window.start_indexing()
    assert again.args[0].added == 0
    qtbot.waitUntil(lambda: _idle(window), timeout=20000)
    assert window.status_label.text().startswith("Library up to date: 12 added")


def _idle(window) -> bool:  # noqa: ANN001
    """No indexing run going on or waiting."""
    return not window._indexing.running and not window._indexing.pending
