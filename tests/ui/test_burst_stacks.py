"""Bursts stacked in the library view (View → Stack bursts), in a real window over real photos:
a burst of four shots of one camera a second apart shows as its sharpest shot with a "4"
badge; a click on the badge, S, or the context menu opens the stack in place and closes it;
filters still apply, a search shows every match, and turning stacking off shows every photo."""

from __future__ import annotations

from pathlib import Path

from helpers import burst_photos, caltech_copy, camera_photo
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from cbir_desktop.engine.types import SearchHit
from cbir_desktop.ui import main_window
from cbir_desktop.ui.results_model import HitRole, StackRole, ThumbnailRole
from cbir_desktop.ui.results_view import context_menu
from cbir_desktop.ui.stacks import stack_bursts


def _library(root: Path) -> list[str]:
    """A burst of four (the second shot the sharp one), two unrelated photos and a later
    photo of the same camera; returns the burst's paths, as taken."""
    shots = burst_photos(root, 4, sharpest=1)
    caltech_copy(root / "leopard.jpg", "Leopards/image_0001.jpg")
    caltech_copy(root / "ant.jpg", "ant/image_0001.jpg")
    camera_photo(root / "later.jpg", "blue", "2021:05:01 12:00:00", "Fujifilm", "X100V")
    return [str(p) for p in shots]


def _shown(window) -> list[str]:
    return [Path(h.path).name for h in window.results.shown_hits()]


def _marks(window) -> list[tuple[str, bool, int, bool]]:
    model = window.results
    return [(Path(model.index(r).data(HitRole).path).name, m.is_top, m.count, m.expanded)
            for r in range(model.rowCount()) if (m := model.stack_mark(r)) is not None]


def _stack_on(window, qtbot) -> None:
    with qtbot.waitSignal(window.bursts.stacks_shown, timeout=20000):
        window.bursts.action.setChecked(True)


def _badge_centre(window, row: int) -> QPoint:
    view, index = window.view, window.results.index(row)
    picture = view.delegate.picture_rect(view.visualRect(index), index.data(ThumbnailRole), view.devicePixelRatioF())
    return view.delegate.stack_badge_rect(picture, view.font(), index.data(StackRole)).center().toPoint()


def test_a_burst_stacks_behind_its_sharpest_shot_and_opens_and_closes_in_place(make_window, tmp_path, qtbot):
    shots = _library(tmp_path / "photos")
    window = make_window([tmp_path / "photos"])
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.results.photo_count() == 7, timeout=10000)
    assert not window.bursts.action.isChecked() and len(_shown(window)) == 7  # off by default

    _stack_on(window, qtbot)
    assert stack_bursts(window.settings)  # remembered
    assert sorted(_shown(window)) == ["DSCF0001.jpg", "ant.jpg", "later.jpg", "leopard.jpg"]
    assert _marks(window) == [("DSCF0001.jpg", True, 4, False)]
    assert window.results.photo_count() == 7  # the shots are loaded, only stacked away
    top = window.results.row_of(shots[1])
    assert "burst of 4 photos" in window.results.index(top).data(Qt.ItemDataRole.ToolTipRole)
    window.view.setCurrentIndex(window.results.index(top))
    assert window.status_label.text().startswith("Burst of 4 photos")

    # The count is painted on the photo's top-left corner (black in this photo): white on a dark label.
    qtbot.waitUntil(lambda: window.results.index(top).data(ThumbnailRole) is not None, timeout=10000)
    centre = _badge_centre(window, top)
    image = window.view.viewport().grab().toImage()
    image.save(str(tmp_path / "stacked.png"))
    label = [image.pixelColor(centre.x() + dx, centre.y() + dy).lightness() for dx in range(-4, 5) for dy in (-3, 0, 3)]
    assert max(label) > 200 and min(label) < 60
    window.bursts.action.setChecked(False)
    plain = window.view.viewport().grab().toImage()
    assert max(plain.pixelColor(centre.x() + dx, centre.y() + dy).lightness()
               for dx in range(-4, 5) for dy in (-3, 0, 3)) < 60  # the photo's black corner, no label
    _stack_on(window, qtbot)

    # A click on the badge opens the stack: its other shots right after the top, as taken, marked.
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    rows = _shown(window)
    at = rows.index("DSCF0001.jpg")
    assert rows[at : at + 4] == ["DSCF0001.jpg", "DSCF0000.jpg", "DSCF0002.jpg", "DSCF0003.jpg"]
    assert _marks(window) == [("DSCF0001.jpg", True, 4, True), ("DSCF0000.jpg", False, 4, True),
                              ("DSCF0002.jpg", False, 4, True), ("DSCF0003.jpg", False, 4, True)]
    assert window.view.selected_hit().path == shots[1]
    assert "collapse" in window.status_label.text()
    member = window.results.row_of(shots[3])
    assert "photo 4 of a burst of 4" in window.results.index(member).data(Qt.ItemDataRole.ToolTipRole)
    window.view.viewport().grab().save(str(tmp_path / "expanded.png"))
    qtbot.waitUntil(lambda: window.results.index(member).data(ThumbnailRole) is not None, timeout=10000)
    tinted, plain = _cell_corner(window, member), _cell_corner(window, window.results.row_of(
        str(tmp_path / "photos" / "ant.jpg")))
    assert tinted != plain  # an open stack's cells are tinted: its shots stand out from the rest

    # S closes it again (the keyboard path), and opens it.
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_S)
    assert len(_shown(window)) == 4 and _marks(window) == [("DSCF0001.jpg", True, 4, False)]
    qtbot.keyClick(window.view, Qt.Key.Key_S)
    assert len(_shown(window)) == 7
    qtbot.keyClick(window.view, Qt.Key.Key_S)

    # The context menu says it too.
    top = window.results.row_of(shots[1])
    hit = window.results.index(top).data(HitRole)
    menu = context_menu(window, window, hit, window.results.stack_mark(top))
    (expand,) = [a for a in menu.actions() if a.text() == "Expand stack (4 photos)"]
    expand.trigger()
    assert len(_shown(window)) == 7

    # Off: every photo, none marked.
    with qtbot.waitSignal(window.bursts.stacks_shown, timeout=5000):
        window.bursts.action.setChecked(False)
    assert len(_shown(window)) == 7 and _marks(window) == []
    assert not stack_bursts(window.settings)


def _cell_corner(window, row: int) -> QColor:
    """The colour of a cell's background just inside its top-left corner, beside the picture."""
    rect = window.view.visualRect(window.results.index(row))
    return window.view.viewport().grab().toImage().pixelColor(rect.left() + 3, rect.top() + 3)


def test_filters_still_apply_to_stacks_and_a_search_shows_every_match(make_window, tmp_path, qtbot):
    shots = _library(tmp_path / "photos")
    window = make_window([tmp_path / "photos"])
    qtbot.waitUntil(lambda: window.results.photo_count() == 7, timeout=10000)
    _stack_on(window, qtbot)
    assert len(_shown(window)) == 4

    # A listing of filters stacks too, counting the shots it lists.
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("camera:x100v")
    assert sorted(_shown(window)) == ["DSCF0001.jpg", "later.jpg"]
    assert _marks(window) == [("DSCF0001.jpg", True, 4, False)]

    # A search by photo shows every match, burst shots included, none stacked.
    with qtbot.waitSignal(window.search_finished, timeout=10000) as found:
        window.search_image(shots[0])
    matched = {h.path for h in found.args[0] if isinstance(h, SearchHit)}
    assert set(shots) <= matched
    assert _marks(window) == []

    window.search_bar.field.clear()  # back to the library view: stacked again
    window._on_search_bar_cleared()
    assert len(_shown(window)) == 4 and _marks(window) == [("DSCF0001.jpg", True, 4, False)]


def test_stacking_is_remembered_and_follows_the_library_after_indexing(make_window, tmp_path, qtbot):
    shots = _library(tmp_path / "photos")
    window = make_window([tmp_path / "photos"])
    qtbot.waitUntil(lambda: window.results.photo_count() == 7, timeout=10000)
    _stack_on(window, qtbot)
    window.shutdown()

    burst_photos(tmp_path / "photos", 1, start_second=4, sharpest=-1)  # a fifth shot, a second later
    again = make_window([tmp_path / "photos"], index_first=False)
    assert again.bursts.action.isChecked()
    qtbot.waitUntil(lambda: _marks(again) == [("DSCF0001.jpg", True, 5, False)], timeout=30000)
    assert len(_shown(again)) == 4 and Path(shots[0]).exists()


def test_a_burst_split_over_two_pages_is_one_stack_and_paging_skips_no_photo(
        make_window, tmp_path, monkeypatch, qtbot):
    monkeypatch.setattr(main_window, "BROWSE_PAGE", 1)  # a page of one: some pages add no row shown
    shots = _library(tmp_path / "photos")
    window = make_window([tmp_path / "photos"])
    _stack_on(window, qtbot)
    window.show()
    qtbot.waitExposed(window)

    def loaded() -> bool:
        bar = window.view.verticalScrollBar()
        bar.setValue(bar.maximum())
        return window.results.photo_count() == 7

    qtbot.waitUntil(loaded, timeout=20000)
    names = [Path(h.path).name for h in window.results.hits()]
    assert len(names) == len(set(names)) == 7  # every photo loaded once, the stacked ones counted
    assert _marks(window) == [("DSCF0001.jpg", True, 4, False)]
    window.toggle_stack(shots[1])
    assert len(_shown(window)) == 7


def test_a_new_series_window_chosen_in_the_duplicates_window_restacks_the_bursts(make_window, tmp_path, qtbot):
    _library(tmp_path / "photos")
    window = make_window([tmp_path / "photos"])
    _stack_on(window, qtbot)
    assert _marks(window) == [("DSCF0001.jpg", True, 4, False)]
    window.duplicates.open()
    with qtbot.waitSignal(window.bursts.stacks_shown, timeout=20000):
        window.duplicates.find("series", 0.5)  # the shots are a second apart: no series now
    qtbot.waitUntil(lambda: window.library.series_window == 0.5, timeout=10000)
    if _marks(window):  # the search may have ended before the new window was kept: asked once more
        with qtbot.waitSignal(window.bursts.stacks_shown, timeout=20000):
            window.bursts.library_changed()
    assert _marks(window) == [] and len(_shown(window)) == 7
