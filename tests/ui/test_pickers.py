"""The Filter pickers and the results' order in a real window, offscreen: a choice becomes a
`key:value` chip and narrows what is shown; the order control is remembered."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from helpers import camera_photo, search_everything, solid
from PySide6.QtCore import QDate, QSettings, Qt
from PySide6.QtWidgets import QMenu

from cbir_desktop.ui.main_window import MainWindow

LISBON, PORTO, BERLIN = (38.7223, -9.1393), (41.1496, -8.6110), (52.52, 13.405)


@pytest.fixture
def camera_photos(tmp_path: Path) -> Path:
    """Four camera JPEGs (two in Lisbon, one in Porto, one in Berlin) and a PNG without metadata."""
    root = tmp_path / "photos"
    camera_photo(root / "lisbon_red.jpg", "red", "2019:07:14 18:03:21", "FUJIFILM", "X100V", position=LISBON)
    camera_photo(root / "lisbon_green.jpg", "green", "2019:08:02 10:00:00", "Canon", "Canon EOS 40D",
                 position=LISBON)
    camera_photo(root / "porto_blue.jpg", "blue", "2018:05:20 09:30:00", "Canon", "Canon EOS 40D", position=PORTO)
    camera_photo(root / "berlin_yellow.jpg", "yellow", "2017:12:31 23:59:00", "NIKON CORPORATION", "NIKON D300",
                 position=BERLIN)
    png = solid(root / "scan_grey.png", "grey")
    stamp = datetime(2016, 5, 1, 12, 0).timestamp()
    os.utime(png, (stamp, stamp))
    return root


def _names(window: MainWindow) -> list[str]:
    return [Path(h.path).name for h in window.results.hits()]


def _open_pickers(window: MainWindow, qtbot) -> QMenu:
    with qtbot.waitSignal(window.pickers_shown, timeout=10000) as shown:
        qtbot.mouseClick(window.search_bar.filter_button, Qt.MouseButton.LeftButton)
    menu: QMenu = shown.args[0]
    assert menu.isVisible()
    return menu


def _entry(menu: QMenu, *path: str):
    """The action at `path` of entry names (an entry's count, after a tab, left out)."""
    *submenus, last = path
    for name in submenus:  # not QAction.menu(): PySide6 lets its wrapper delete the submenu
        found = [m for m in menu.findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly)
                 if m.title().split("\t")[0] == name]
        assert found, (name, [a.text() for a in menu.actions()])
        menu = found[0]
    found = [a for a in menu.actions() if a.text().split("\t")[0] == last]
    assert found, (last, [a.text() for a in menu.actions()])
    return found[0]


def _menu_at(menu: QMenu, *path: str) -> QMenu:
    for name in path:
        menu = next(m for m in menu.findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly)
                    if m.title().split("\t")[0] == name)
    return menu


def _choose(window: MainWindow, qtbot, *path: str) -> list:
    menu = _open_pickers(window, qtbot)
    with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
        _entry(menu, *path).trigger()
    return searched.args[0]


def test_choosing_a_place_adds_its_chip_and_lists_its_photos_newest_first(make_window, camera_photos, qtbot) -> None:
    window = make_window([camera_photos])
    window.show()
    menu = _open_pickers(window, qtbot)
    assert _entry(menu, "Place", "Portugal").text() == "Portugal\t3"
    assert _entry(menu, "Place", "Portugal", "Lisbon").text() == "Lisbon\t2"
    assert _entry(menu, "Camera", "Canon EOS 40D").text() == "Canon EOS 40D\t2"
    menu.close()
    _choose(window, qtbot, "Place", "Portugal", "Lisbon")
    assert window.search_bar.filter_terms() == ["place:Lisbon"]
    assert _names(window) == ["lisbon_green.jpg", "lisbon_red.jpg"]  # filters alone: newest taken first
    assert not window.sort_box.isEnabled()  # a listing is by date whatever is chosen
    # The pickers now count what is left, and show the place chosen as checked: choosing it again takes it away.
    menu = _open_pickers(window, qtbot)
    assert _entry(menu, "Camera", "Canon EOS 40D").text() == "Canon EOS 40D\t1"
    assert _entry(menu, "Place", "Portugal", "Porto").text() == "Porto\t1"  # an alternative to add
    lisbon = _entry(menu, "Place", "Portugal", "Lisbon")
    assert lisbon.isChecked()
    lisbon.trigger()  # the last filter gone: back to the library view
    qtbot.waitUntil(lambda: len(_names(window)) == 5, timeout=10000)
    assert window.search_bar.filter_terms() == [] and window.search_bar.text() == ""


def test_a_picker_narrows_a_content_search_and_keeps_its_words(make_window, camera_photos, qtbot) -> None:
    window = make_window([camera_photos])
    window.show()
    assert len(search_everything(window, qtbot, "red")) == 5
    hits = _choose(window, qtbot, "Place", "Portugal", "All of Portugal")
    assert window.search_bar.text() == "red place:Portugal"
    assert window.search_bar.filter_terms() == ["place:Portugal"]
    assert {Path(h.path).name for h in [*hits, *window._held_back]} == {
        "lisbon_red.jpg", "lisbon_green.jpg", "porto_blue.jpg"}
    _choose(window, qtbot, "Has GPS", "With a position")
    assert window.search_bar.filter_terms() == ["place:Portugal", "gps:yes"]


def test_a_search_by_photo_narrowed_by_a_picker_keeps_the_photo(make_window, camera_photos, qtbot) -> None:
    window = make_window([camera_photos])
    window.show()
    example = str(camera_photos / "lisbon_red.jpg")
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_image(example)
    everyone = {Path(h.path).name for h in [*window.results.hits(), *window._held_back]}
    assert everyone == {"lisbon_red.jpg", "lisbon_green.jpg", "porto_blue.jpg", "berlin_yellow.jpg",
                        "scan_grey.png"}
    hits = _choose(window, qtbot, "Place", "Portugal", "Porto")
    assert window._answer.by_image and window._answer.query == example  # still the photo, now in Porto
    assert window.search_bar.filter_terms() == ["place:Porto"]
    assert {Path(h.path).name for h in [*hits, *window._held_back]} == {"porto_blue.jpg"}
    _choose(window, qtbot, "Place", "Portugal", "Lisbon")  # an alternative: Porto or Lisbon
    assert {Path(h.path).name for h in [*window.results.hits(), *window._held_back]} == {
        "lisbon_red.jpg", "lisbon_green.jpg", "porto_blue.jpg"}
    assert window.results.hits()[0].path == example  # the photo itself first
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_bar.filter_removed.emit("place:Porto")
    assert window._answer.by_image and window.search_bar.filter_terms() == ["place:Lisbon"]
    assert {Path(h.path).name for h in [*window.results.hits(), *window._held_back]} == {
        "lisbon_red.jpg", "lisbon_green.jpg"}


def test_a_date_range_replaces_the_date_chosen(make_window, camera_photos, qtbot) -> None:
    window = make_window([camera_photos])
    window.show()
    _choose(window, qtbot, "Date", "2019", "All of 2019")
    assert window.search_bar.filter_terms() == ["year:2019"]
    menu = _open_pickers(window, qtbot)
    date_menu = _menu_at(menu, "Date")
    assert date_menu.findChild(object, "date_range") is not None
    menu.since_edit.setDate(QDate(2017, 6, 1))
    menu.until_edit.setDate(QDate(2018, 12, 31))
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.mouseClick(menu.range_button, Qt.MouseButton.LeftButton)
    assert window.search_bar.filter_terms() == ["from:2017-06-01 to:2018-12-31"]
    assert _names(window) == ["porto_blue.jpg", "berlin_yellow.jpg"]


def test_the_filter_button_opens_from_the_keyboard(make_window, camera_photos, qtbot) -> None:
    window = make_window([camera_photos])
    window.show()
    window.activateWindow()
    button = window.search_bar.filter_button
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus and not button.icon().isNull()
    button.setFocus()
    with qtbot.waitSignal(window.pickers_shown, timeout=10000):
        qtbot.keyClick(button, Qt.Key.Key_Space)


def test_sorting_by_date_keeps_the_results_and_is_remembered(make_window, camera_photos, qtbot, tmp_path) -> None:
    window = make_window([camera_photos])
    window.show()
    by_relevance = search_everything(window, qtbot, "red")
    assert window.sort_box.isEnabled() and window.sort_box.sort() == "relevance"
    assert Path(by_relevance[0].path).name == "lisbon_red.jpg"
    box = window.sort_box
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        box.setCurrentIndex(box.findData("date"))
        box.activated.emit(box.currentIndex())  # as a person's choice does
    if window._held_back:
        with qtbot.waitSignal(window.search_finished, timeout=10000):
            window.show_more()
    by_date = window.results.hits()
    assert {h.path for h in by_date} == {h.path for h in by_relevance}
    shown = [h for h in by_date if h.relevance >= 0.4]
    assert [Path(h.path).name for h in shown] == [
        name for name in ["lisbon_green.jpg", "lisbon_red.jpg", "porto_blue.jpg", "berlin_yellow.jpg",
                          "scan_grey.png"] if name in {Path(h.path).name for h in shown}]
    assert QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat).value("results_sort") == "date"
