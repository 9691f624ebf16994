"""The window over the 50 real camera photos (../shared/datasets/formats/exif, tags.csv the
truth), with the shipped model: the timeline's month headers and counts, and searches typed
into the search bar that mix content with date, place, camera and type filters, shown as
chips, down to a filter that matches nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.types import SearchHit
from cbir_desktop.ui.main_window import MainWindow
from cbir_desktop.ui.results_model import HeaderRole, HitRole

pytestmark = pytest.mark.e2e


@pytest.fixture
def window(exif_library: Path, tmp_path: Path, qtbot) -> Iterator[MainWindow]:
    library = open_library(exif_library)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(library, settings, tmp_path / "thumbnails")
    qtbot.addWidget(w)
    w.resize(1100, 750)
    with qtbot.waitSignal(w.index_finished, timeout=120000):  # the start-up rescan: nothing new
        w.show()
    qtbot.waitUntil(lambda: w.results.photo_count() == 50, timeout=20000)
    yield w
    w.shutdown()


def _month(library: Library, path: str, truth: dict[str, dict[str, str]]) -> str:
    """The month a photo was taken, as tags.csv says (the file's date where it has none)."""
    taken = truth[Path(path).name]["datetime_original"]
    return taken[:7].replace(":", "-") if taken else (library.metadata(path).taken_local or "")[:7]


def _type(window: MainWindow, qtbot, text: str) -> list[SearchHit]:
    """Type `text` into the search bar with key events and press Enter; every hit found (those
    held back past the relevance cut-off too)."""
    field = window.search_bar.field
    field.clear()
    qtbot.keyClicks(field, text)
    with qtbot.waitSignal(window.search_finished, timeout=60000):
        qtbot.keyClick(field, Qt.Key.Key_Return)
    return _found(window)


def _found(window: MainWindow) -> list[SearchHit]:
    return [*window.results.hits(), *window._held_back]


def test_the_timeline_shows_each_month_s_photos_under_its_header_newest_first(window, exif_truth) -> None:
    rows = [window.results.index(r) for r in range(window.results.rowCount())]
    headers = [(i, index.data(HeaderRole)) for i, index in enumerate(rows) if index.data(HeaderRole) is not None]
    expected = Counter(_month(window.library, hit.path, exif_truth) for hit in window.results.hits())
    assert {group.key: group.count for _, group in headers} == expected
    assert [group.key for _, group in headers] == sorted(expected, reverse=True)  # newest month first
    for (start, group), (end, _) in zip(headers, [*headers[1:], (len(rows), None)], strict=True):
        under = [rows[i].data(HitRole) for i in range(start + 1, end)]
        assert len(under) == group.count and all(_month(window.library, h.path, exif_truth) == group.key
                                                 for h in under)
    assert headers[0][1].label.split()[0] in ("January", "February", "March", "April", "May", "June", "July",
                                              "August", "September", "October", "November", "December")


def test_typed_filters_narrow_content_and_show_as_chips(window, exif_truth, qtbot) -> None:
    in_2008 = {name for name, row in exif_truth.items() if row["datetime_original"].startswith("2008:")}
    found = _type(window, qtbot, "car year:2008")
    assert window.search_bar.filter_terms() == ["year:2008"]
    assert found and {Path(h.path).name for h in found} <= in_2008

    canon = {name for name, row in exif_truth.items() if row["make"] == "Canon"}
    listed = _type(window, qtbot, "camera:canon")  # a filter alone: its photos, newest taken first
    assert {Path(h.path).name for h in listed} == canon
    dates = [exif_truth[Path(h.path).name]["datetime_original"] for h in listed]
    assert dates == sorted(dates, reverse=True)

    in_italy = _type(window, qtbot, "church place:italy")
    assert in_italy and all(window.library.metadata(h.path).country == "Italy" for h in in_italy)
    with_camera = _type(window, qtbot, "church place:italy camera:nikon")
    assert window.search_bar.filter_terms() == ["place:italy", "camera:nikon"]
    assert with_camera and all(exif_truth[Path(h.path).name]["make"].startswith("NIKON") for h in with_camera)
    assert {h.path for h in with_camera} <= {h.path for h in in_italy}

    with qtbot.waitSignal(window.search_finished, timeout=60000):  # the chip's ✕: the search without it
        window.search_bar.filter_removed.emit("camera:nikon")
    assert window.search_bar.filter_terms() == ["place:italy"]
    assert {h.path for h in _found(window)} == {h.path for h in in_italy}


def test_a_filter_that_matches_nothing_says_so(window, qtbot) -> None:
    assert _type(window, qtbot, "car type:raw") == []  # no RAW among these camera JPEGs
    assert window.stack.currentWidget() is window.message_page
    assert "No photo matches these filters: type:raw" in window.message.label.text()
    assert window.search_bar.filter_terms() == ["type:raw"]
