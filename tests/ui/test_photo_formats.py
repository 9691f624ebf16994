"""The window shows HEIC and camera RAW photos, upright, wherever it shows a photo."""

from __future__ import annotations

from pathlib import Path

from helpers import UPRIGHT_CORNERS, corner_colours, corner_picture, stored_turned
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel

from cbir_desktop.engine.api import PHOTO_EXTENSIONS
from cbir_desktop.sample_photos import write_dng, write_heic
from cbir_desktop.ui import ops
from cbir_desktop.ui.file_dialogs import PHOTO_FILTER, PhotoDialog


def _pil(image: QImage) -> Image.Image:
    converted = image.convertToFormat(QImage.Format.Format_RGB888)
    return Image.frombytes("RGB", (converted.width(), converted.height()), bytes(converted.constBits()),
                           "raw", "RGB", converted.bytesPerLine())


def _turned_files(folder: Path) -> list[Path]:
    upright = corner_picture((600, 400))
    folder.mkdir(parents=True, exist_ok=True)
    return [write_heic(folder / "phone.heic", stored_turned(upright, 6), 6),
            write_dng(folder / "camera.dng", stored_turned(upright, 8), 8),
            write_dng(folder / "preview.dng", stored_turned(upright, 3), 3, preview=stored_turned(upright, 3))]


def test_the_file_filter_offers_every_format_a_scan_indexes() -> None:
    offered = PHOTO_FILTER.split("(", 1)[1].split(")", 1)[0].split()
    assert offered == ["*" + ext for ext in PHOTO_EXTENSIONS]
    assert {"*.heic", "*.avif", "*.cr2", "*.cr3", "*.nef", "*.arw", "*.dng", "*.raf"} <= set(offered)


def test_load_image_reads_heic_and_raw_upright(tmp_path: Path) -> None:
    for path in _turned_files(tmp_path):
        image = ops.load_image(str(path), 300)
        assert (image.width(), image.height()) == (300, 200), path.name
        assert corner_colours(_pil(image)) == UPRIGHT_CORNERS, path.name
        full = ops.load_image(str(path), 0)
        assert (full.width(), full.height()) == (600, 400), path.name


def test_photo_chooser_previews_a_heic_and_a_raw(tmp_path: Path, qtbot) -> None:
    files = _turned_files(tmp_path / "Pictures")
    dialog = PhotoDialog()
    qtbot.addWidget(dialog)
    for path in files:
        dialog.currentChanged.emit(str(path))  # the file the person clicked on in the list
        pixmap = dialog.preview.pixmap()
        assert not pixmap.isNull(), path.name
        assert corner_colours(_pil(pixmap.toImage())) == UPRIGHT_CORNERS, path.name
    broken = tmp_path / "Pictures" / "broken.heic"
    broken.write_bytes(b"not a photo")
    dialog.currentChanged.emit(str(broken))
    assert dialog.preview.text() == "No preview"


def test_the_grid_and_the_preview_show_a_raw_upright(make_window, photos, qtbot) -> None:
    from cbir_desktop.ui.dialogs import PreviewDialog

    raw = _turned_files(photos / "camera")[1]
    window = make_window([photos])
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_image(str(raw))
    assert window.results.hit(0).path == str(raw)
    qtbot.waitUntil(lambda: window.results.has_thumbnail(str(raw)), timeout=10000)
    window.view.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: any(isinstance(w, PreviewDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=10000)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, PreviewDialog))
    shown = next(label.pixmap() for label in dialog.findChildren(QLabel) if not label.pixmap().isNull())
    assert shown.width() > shown.height()
    assert corner_colours(_pil(shown.toImage())) == UPRIGHT_CORNERS
    dialog.close()
