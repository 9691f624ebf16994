"""The Info panel: the selected photo's own metadata, read in a worker (real window, real files)."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QItemSelectionModel

from cbir_desktop.engine.types import PhotoMetadata
from cbir_desktop.ui.info_panel import info_rows
from cbir_desktop.ui.results_model import HitRole


def test_selecting_a_photo_shows_when_and_with_what_it_was_taken(make_window, photos, qtbot) -> None:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "FUJIFILM", "X100V"  # Make, Model
    exif.get_ifd(0x8769)[0x9003] = "2019:07:14 18:03:21"  # DateTimeOriginal
    Image.new("RGB", (64, 48), (200, 40, 40)).save(photos / "fuji.jpg", exif=exif)
    window = make_window([photos])
    window.show()
    qtbot.waitUntil(lambda: window.results.photo_count() == 6, timeout=10000)
    row = next(r for r in range(window.results.rowCount())
               if window.results.index(r).data(HitRole) and window.results.hit(r).path.endswith("fuji.jpg"))
    window.view.selectionModel().select(window.results.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    qtbot.waitUntil(lambda: "Camera" in window.info_panel.texts(), timeout=10000)
    texts = window.info_panel.texts()
    assert texts["Camera"] == "Fujifilm X100V"
    assert texts["Taken"].startswith("2019-07-14 18:03:21 (from the camera")
    assert "fuji.jpg" in texts["File"]
    window.view.selectionModel().clearSelection()
    qtbot.waitUntil(lambda: "Camera" not in window.info_panel.texts(), timeout=10000)


def test_a_photo_without_metadata_says_where_its_date_comes_from() -> None:
    rows = dict(info_rows("/p/a.png", PhotoMetadata(taken_local="2020-01-02T03:04:05", taken_source="file",
                                                    exposure_s=1 / 250, aperture=2.8, iso=400, focal_mm=23.0,
                                                    lat=38.7, lon=-9.14, city="Lisbon", country="Portugal"), []))
    assert rows["Taken"] == "2020-01-02 03:04:05 (the file's date: the photo records none)"
    assert rows["Exposure"] == "23 mm, f/2.8, 1/250 s, ISO 400"
    assert rows["Place"] == "Lisbon, Portugal\n38.70000, -9.14000"
