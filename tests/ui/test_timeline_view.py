"""The library view as a timeline: month headers in the grid, newest first, with their counts;
Places and Folders group the same photos otherwise, and the choice is remembered. Headers
take a whole line, are never selected and are stepped over by the arrow keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import LISBON, PARIS, PORTO, camera_photo
from PySide6.QtCore import QSettings, Qt

from cbir_desktop.ui import main_window
from cbir_desktop.ui.results_model import HeaderRole
from cbir_desktop.ui.settings import LIBRARY_GROUPING


@pytest.fixture
def trips(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    camera_photo(root / "lisbon1.jpg", "red", "2019:03:10 09:00:00", position=LISBON)
    camera_photo(root / "lisbon2.jpg", "green", "2019:03:20 18:30:00", position=LISBON)
    camera_photo(root / "lisbon3.jpg", "blue", "2019:03:25 11:00:00", position=LISBON)
    camera_photo(root / "porto.jpg", "yellow", "2018:12:25 12:00:00", position=PORTO)
    camera_photo(root / "trip" / "paris.jpg", "purple", "2019:07:01 08:00:00", position=PARIS)
    camera_photo(root / "trip" / "home.jpg", "grey", "2017:05:05 10:00:00")
    return root


def _outline(window) -> list[str]:
    """The grid's rows: a header's text, or a photo's file name."""
    model = window.results
    return [model.index(row).data(Qt.ItemDataRole.DisplayRole) for row in range(model.rowCount())]


def _shown(window, qtbot, photos: int) -> None:
    qtbot.waitUntil(lambda: window.results.photo_count() == photos and window.results.grouped, timeout=20000)


def test_the_timeline_shows_month_headers_newest_first_with_their_counts(make_window, trips, qtbot) -> None:
    window = make_window([trips])
    window.show()
    _shown(window, qtbot, 6)
    assert window.grouping_bar.grouping() == "month" and window.grouping_bar.isVisible()
    assert _outline(window) == [
        "July 2019  ·  1 photo", "paris.jpg",
        "March 2019  ·  3 photos", "lisbon3.jpg", "lisbon2.jpg", "lisbon1.jpg",
        "December 2018  ·  1 photo", "porto.jpg",
        "May 2017  ·  1 photo", "home.jpg",
    ]
    # A header spans the grid, and the next photo starts a new line under it.
    window.view.doItemsLayout()
    header, first, second, next_header = (window.view.visualRect(window.results.index(row)) for row in (2, 3, 4, 6))
    assert header.width() >= window.view.viewport().width() - first.width() and header.left() == first.left()
    assert first.top() >= header.bottom() and second.top() == first.top() and second.left() > first.left()
    assert next_header.top() >= first.bottom() and next_header.left() == first.left()
    # Headers are not photos: Select All takes the six photos only, and none is dragged.
    window.view.setFocus()
    window.view.selectAll()
    assert sorted(Path(p).name for p in window.view.selected_paths()) == sorted(
        ["paris.jpg", "lisbon1.jpg", "lisbon2.jpg", "lisbon3.jpg", "porto.jpg", "home.jpg"])
    assert not window.results.flags(window.results.index(0)) & Qt.ItemFlag.ItemIsSelectable
    assert window.results.index(3).data(HeaderRole) is None and window.results.index(2).data(HeaderRole)
    # Arrow keys step over a header to the photo beyond it, both ways.
    window.view.setCurrentIndex(window.results.index(1))
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    assert window.view.currentIndex().row() == 3 and window.view.selected_hit().path.endswith("lisbon3.jpg")
    qtbot.keyClick(window.view, Qt.Key.Key_Left)
    assert window.view.currentIndex().row() == 1


def test_places_group_by_country_then_town_and_the_choice_is_remembered(make_window, trips, tmp_path, qtbot) -> None:
    window = make_window([trips])
    window.show()
    _shown(window, qtbot, 6)
    with qtbot.waitSignal(window.library_shown, timeout=20000):
        qtbot.mouseClick(window.grouping_bar.buttons["place"], Qt.MouseButton.LeftButton)
    headers = [text for text in _outline(window) if "·" in text]
    assert headers[0] == "Paris, France  ·  1 photo"
    assert headers[1].endswith(", Portugal  ·  3 photos") and headers[2].endswith(", Portugal  ·  1 photo")
    assert headers[1] != headers[2]  # Lisbon and Porto are two towns
    assert headers[3] == "No place  ·  1 photo"
    assert _outline(window)[-1] == "home.jpg"
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value(LIBRARY_GROUPING) == "place"

    with qtbot.waitSignal(window.library_shown, timeout=20000):
        qtbot.mouseClick(window.grouping_bar.buttons["folder"], Qt.MouseButton.LeftButton)
    assert _outline(window) == [f"{trips}  ·  4 photos", "lisbon1.jpg", "lisbon2.jpg", "lisbon3.jpg", "porto.jpg",
                                f"{trips / 'trip'}  ·  2 photos", "home.jpg", "paris.jpg"]
    # A search hides the control (it groups the library view); clearing it comes back to the folders.
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("red")
    assert not window.grouping_bar.isVisible() and not window.results.grouped
    window._on_search_bar_cleared()
    assert window.grouping_bar.isVisible() and _outline(window)[0] == f"{trips}  ·  4 photos"


def test_scrolling_down_loads_the_next_pages_and_a_split_month_keeps_one_header(
        make_window, trips, monkeypatch, qtbot) -> None:
    monkeypatch.setattr(main_window, "BROWSE_PAGE", 2)  # pages of two photos: March spans two
    window = make_window([trips])
    window.resize(500, 200)  # a small grid: each page more than fills it
    window.show()
    qtbot.waitExposed(window)

    def loaded() -> bool:
        bar = window.view.verticalScrollBar()
        bar.setValue(bar.maximum())
        return window.results.photo_count() == 6

    qtbot.waitUntil(loaded, timeout=20000)
    headers = [text for text in _outline(window) if "·" in text]
    assert headers == ["July 2019  ·  1 photo", "March 2019  ·  3 photos", "December 2018  ·  1 photo",
                       "May 2017  ·  1 photo"]
