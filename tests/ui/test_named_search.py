"""The window shows why a result matched when the query named its place or camera."""

from __future__ import annotations

from pathlib import Path

from helpers import exif_photo
from PySide6.QtCore import Qt

LISBON = (38.71667, -9.13333)


def test_a_place_search_shows_its_photos_first_and_says_why_in_the_tooltip_and_status_line(
        make_window, tmp_path: Path, qtbot) -> None:
    folder = tmp_path / "trip"
    exif_photo(folder / "tram.jpg", "yellow", "2019:07:14 18:00:00", LISBON, ("FUJIFILM", "X100V"))
    exif_photo(folder / "home.jpg", "yellow", "2019:07:20 18:00:00", camera=("Canon", "Canon EOS 6D"))
    window = make_window([folder])
    with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
        window.search_bar.field.setText("lisbon")
        window.search_text("lisbon")
    hits = searched.args[0]
    assert Path(hits[0].path).name == "tram.jpg" and hits[0].matched == "taken in Lisbon"
    tooltip = window.results.data(window.results.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "matched: taken in Lisbon" in tooltip
    assert window.status_label.text().endswith(", 1 taken in Lisbon")
    with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
        window.search_text("fuji")
    assert [Path(h.path).name for h in searched.args[0] if h.matched] == ["tram.jpg"]
    assert searched.args[0][0].matched == "Fujifilm X100V"
