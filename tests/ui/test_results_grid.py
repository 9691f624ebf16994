"""The results grid: cells spread over the width, drags out as files, sharp thumbnails on HiDPI."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import solid
from PySide6.QtCore import QItemSelectionModel, QMimeData, QPointF, QRect, QSize, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem

from cbir_desktop.engine.types import SearchHit
from cbir_desktop.ui.results_model import ResultsModel, ThumbnailRole
from cbir_desktop.ui.results_view import ResultsView


def _grid(hits: int, side: int, qtbot) -> ResultsView:
    model = ResultsModel()
    model.set_hits([SearchHit(f"/photos/p{i:02d}.jpg", 0.9, ("tag",), photo_id=i) for i in range(hits)])
    view = ResultsView(model, side)
    qtbot.addWidget(view)
    return view


def _first_row(view: ResultsView) -> list[QRect]:
    rects = [view.visualRect(view.model().index(row, 0)) for row in range(view.model().rowCount())]
    return [rect for rect in rects if rect.top() == rects[0].top()]


def _spaces(view: ResultsView) -> tuple[int, int, int]:
    """Columns in the first row, the gap between two cells, and the empty space right of the last."""
    row = _first_row(view)
    gap = row[1].left() - (row[0].right() + 1) if len(row) > 1 else 2 * row[0].left()
    return len(row), gap, view.viewport().width() - (row[-1].right() + 1)


@pytest.mark.parametrize("side", [96, 160, 240])
@pytest.mark.parametrize("width", [430, 640, 905, 1180])
def test_the_grid_spreads_its_columns_over_the_whole_width(width: int, side: int, qtbot) -> None:
    view = _grid(80, side, qtbot)  # more than a screen: the scroll bar shows
    view.resize(width, 600)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(view.verticalScrollBar().isVisible, timeout=5000)
    view.doItemsLayout()  # the layout Adjust would make on its next timer tick
    columns, gap, right_space = _spaces(view)
    assert columns == (view.viewport().width() - 1) // view.delegate.cell_size(view.font()).width()
    assert right_space < gap + columns, (gap, right_space)  # no empty column: at most rounding


def test_a_grid_without_scroll_bar_leaves_only_the_scroll_bar_room(qtbot) -> None:
    """QListView keeps room for a scroll bar shown as needed; nothing more is left empty."""
    view = _grid(6, 160, qtbot)
    view.resize(905, 600)
    view.show()
    qtbot.waitExposed(view)
    view.doItemsLayout()
    assert not view.verticalScrollBar().isVisible()
    columns, gap, right_space = _spaces(view)
    assert columns == 5
    assert right_space < gap + columns + view.verticalScrollBar().sizeHint().width()


def test_changing_the_thumbnail_size_spreads_the_grid_again(qtbot) -> None:
    view = _grid(80, 160, qtbot)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_side(100)
    view.doItemsLayout()
    assert _first_row(view)[0].width() == view.delegate.cell_size(view.font()).width()
    columns, gap, right_space = _spaces(view)
    assert columns > 5 and right_space < gap + columns


def test_selected_results_drag_out_as_file_urls(qtbot) -> None:
    view = _grid(5, 160, qtbot)
    model = view.results
    for row in (1, 3):
        view.selectionModel().select(model.index(row, 0), QItemSelectionModel.SelectionFlag.Select)
    indexes = view.selectionModel().selectedIndexes()
    assert all(model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled for index in indexes)
    mime = model.mimeData(indexes)
    assert "text/uri-list" in mime.formats()
    assert sorted(url.toLocalFile() for url in mime.urls()) == ["/photos/p01.jpg", "/photos/p03.jpg"]
    assert view.dragDropMode() == QAbstractItemView.DragDropMode.DragOnly
    assert view.dragEnabled()


def test_results_dropped_back_on_the_window_do_not_search(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos / "red.jpg"))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    event.source = lambda: window.view  # a drag that started in this window's grid
    window.dropEvent(event)
    assert window._browsing and window.search_bar.text() == ""  # no search started
    assert not event.isAccepted()


def _checkerboard(side: int) -> QPixmap:
    """One-pixel black and white squares: any resampling turns them grey."""
    image = QImage(side, side, QImage.Format.Format_RGB32)
    for y in range(side):
        for x in range(side):
            image.setPixelColor(x, y, QColor("black") if (x + y) % 2 else QColor("white"))
    return QPixmap.fromImage(image)


def test_thumbnails_are_drawn_at_device_pixels_on_a_hidpi_screen(qtbot) -> None:
    """A thumbnail made at side x 2 keeps every device pixel when painted at a ratio of 2."""
    view = _grid(1, 64, qtbot)
    pixmap = _checkerboard(128)
    pixmap.setDevicePixelRatio(2)
    view.results.set_thumbnail("/photos/p00.jpg", pixmap)
    index = view.results.index(0, 0)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    cell = view.delegate.cell_size(view.font())
    option.rect = QRect(0, 0, cell.width(), cell.height())
    canvas = QImage(cell * 2, QImage.Format.Format_RGB32)
    canvas.setDevicePixelRatio(2)
    canvas.fill(view.palette().color(QPalette.ColorRole.Base))
    painter = QPainter(canvas)
    view.delegate.paint(painter, option, index)
    painter.end()
    centre = [canvas.pixelColor(x, 64).lightness() for x in range(40, 88)]  # device pixels in the box
    assert min(centre) < 30 and max(centre) > 225, centre  # sharp black and white, not grey
    assert all(abs(a - b) > 150 for a, b in zip(centre, centre[1:], strict=False)), centre


def test_the_delegate_paints_with_the_palette(qtbot) -> None:
    """A dark palette gives dark cells with light text: no colour is hard-coded."""
    view = _grid(1, 64, qtbot)
    dark = QPalette()
    for role, colour in [(QPalette.ColorRole.Base, "#202020"), (QPalette.ColorRole.Text, "#f0f0f0"),
                         (QPalette.ColorRole.Highlight, "#3070c0"), (QPalette.ColorRole.Mid, "#404040"),
                         (QPalette.ColorRole.Link, "#80b0ff"), (QPalette.ColorRole.HighlightedText, "#ffffff")]:
        dark.setColor(role, QColor(colour))
    index = view.results.index(0, 0)
    cell = view.delegate.cell_size(view.font())
    for selected in (False, True):
        option = QStyleOptionViewItem()
        option.initFrom(view)
        option.palette = dark
        option.rect = QRect(0, 0, cell.width(), cell.height())
        if selected:
            option.state |= QStyle.StateFlag.State_Selected
        canvas = QImage(cell, QImage.Format.Format_RGB32)
        canvas.fill(dark.color(QPalette.ColorRole.Base))
        painter = QPainter(canvas)
        view.delegate.paint(painter, option, index)
        painter.end()
        pixels = [canvas.pixelColor(x, y) for y in range(cell.height()) for x in range(cell.width())]
        assert max(p.lightness() for p in pixels) > 180  # light text was drawn
        assert sum(p.lightness() > 200 for p in pixels) < len(pixels) // 10  # on a dark cell
        background = canvas.pixelColor(2, 2)
        assert background.lightness() < 110, (selected, background.name())


def test_thumbnails_are_loaded_at_side_times_the_pixel_ratio(make_window, tmp_path, monkeypatch, qtbot) -> None:
    folder = tmp_path / "big"
    for name, colour in [("red", "red"), ("blue", "blue")]:
        solid(folder / f"{name}.jpg", colour, size=(600, 450))
    window = make_window([folder])
    monkeypatch.setattr(window.view, "devicePixelRatioF", lambda: 2.0)
    window.size_slider.setValue(100)
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_image(str(folder / "red.jpg"))
    index = window.results.index(0, 0)
    # The library view's thumbnails (made at 160 px before the ratio changed) may show first.
    qtbot.waitUntil(lambda: index.data(ThumbnailRole) is not None
                    and index.data(ThumbnailRole).size() == QSize(200, 150), timeout=10000)
    pixmap = index.data(ThumbnailRole)
    assert pixmap.devicePixelRatio() == 2  # 100 px drawn as 200 device pixels
    window.size_slider.setValue(150)  # bigger cells: sharper thumbnails are loaded again
    qtbot.waitUntil(lambda: index.data(ThumbnailRole).size() == QSize(300, 225), timeout=10000)
    window.size_slider.setValue(120)  # smaller: the ones there are enough
    assert index.data(ThumbnailRole).size() == QSize(300, 225)
    assert Path(window.results.hit(0).path).name == "red.jpg"


def test_a_grid_narrower_than_one_cell_draws_smaller_thumbnails_instead_of_scrolling_sideways(qtbot) -> None:
    view = _grid(10, 240, qtbot)
    view.resize(180, 500)  # the centre of a 640x480 window
    view.show()
    qtbot.waitExposed(view)
    view.doItemsLayout()
    assert view.delegate.side < 240 and view.side == 240  # drawn smaller; the setting is kept
    assert view.delegate.cell_size(view.font()).width() <= view.viewport().width()
    assert not view.horizontalScrollBar().isVisible()
    view.resize(900, 500)  # room again: the size asked for
    qtbot.waitUntil(lambda: view.delegate.side == 240, timeout=5000)
