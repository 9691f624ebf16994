"""Faces in the viewer and the privacy controls, on a real window over a real library of LFW faces
(three photos of Tony Blair, one of Serena Williams, the two side by side, and a fourth Tony
Blair stored turned with EXIF orientation 6 and named): the preview's face boxes land on the faces
of the upright photo, the Info panel says who is in the photo, "Show faces" is remembered,
turning face recognition off skips the faces step, and deleting the face data keeps the photos
and their tags."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import stored_turned
from PIL import Image
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from cbir_desktop.engine.api import Library, find_photo_faces, open_library
from cbir_desktop.engine.types import PhotoFace
from cbir_desktop.ui.dialogs import PreviewDialog, SettingsDialog
from cbir_desktop.ui.info_panel import people_text
from cbir_desktop.ui.main_window import MainWindow
from cbir_desktop.ui.results_model import HitRole
from cbir_desktop.ui.settings import preview_faces

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"
NAME = "Tony Blair"


def _photos(root: Path) -> Path:
    """The photos, and beside them `upright.jpg`: the turned photo as it looks (not indexed)."""
    folder = root / "photos"
    folder.mkdir(parents=True)
    tony = sorted((LFW / "Tony_Blair").glob("*.jpg"))
    serena = sorted((LFW / "Serena_Williams").glob("*.jpg"))
    for n, source in enumerate(tony[:3]):
        shutil.copy(source, folder / f"tony_{n}.jpg")
    shutil.copy(serena[0], folder / "serena.jpg")
    pair = Image.new("RGB", (500, 250))
    for i, source in enumerate((tony[4], serena[1])):
        with Image.open(source) as face:
            pair.paste(face.convert("RGB"), (250 * i, 0))
    pair.save(folder / "pair.jpg", quality=95)
    upright = Image.new("RGB", (400, 250), (90, 90, 90))  # landscape, the face on the left
    with Image.open(tony[3]) as face:
        upright.paste(face.convert("RGB"), (0, 0))
    upright.save(root / "upright.jpg", quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored portrait, shown turned a quarter clockwise
    stored_turned(upright, 6).save(folder / "turned.jpg", exif=exif, quality=95)
    return folder


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, tiny_models_dir: Path) -> Iterator[Path]:
    """One library indexed once, the turned photo's face named; each test works on a copy."""
    root = tmp_path_factory.mktemp("face_viewer")
    folder = _photos(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CBIR_MODELS_DIR", str(tiny_models_dir))
        with open_library(root / "library") as library:
            library.index([folder])
            face = next(f.face_id for group in library.people(samples=50, min_faces=1) for f in group.faces
                        if f.path == str(folder / "turned.jpg"))
            library.name_faces([face], NAME)
        yield root


@pytest.fixture
def window(indexed: Path, tiny_models: Path, tmp_path: Path, qtbot) -> Iterator[MainWindow]:
    shutil.copytree(indexed / "library", tmp_path / "library")
    library = open_library(tmp_path / "library")
    shown = MainWindow(library, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat),
                       tmp_path / "thumbnails")
    qtbot.addWidget(shown)
    with qtbot.waitSignal(shown.index_finished, timeout=20000):  # the start-up reconcile
        shown.show()
    yield shown
    shown.shutdown()


def _select(window: MainWindow, qtbot, path: Path) -> None:
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_image(str(path))
    row = next(r for r in range(window.results.rowCount())
               if window.results.index(r).data(HitRole) and window.results.hit(r).path == str(path))
    window.view.setCurrentIndex(window.results.index(row))
    window.view.selectionModel().select(window.results.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _open_preview(window: MainWindow, qtbot, path: Path) -> PreviewDialog:
    _select(window, qtbot, path)
    window.preview()
    qtbot.waitUntil(lambda: _window_of(PreviewDialog) is not None, timeout=10000)
    return _window_of(PreviewDialog)


def _window_of(kind: type, name: str = "") -> QWidget | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()
                 and (not name or w.objectName() == name)), None)


def _near(colour: QColor, rgb: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip((colour.red(), colour.green(), colour.blue()), rgb, strict=True))


def test_preview_boxes_land_on_the_face_of_a_turned_photo_and_the_choice_is_remembered(window, indexed, qtbot) -> None:
    folder = indexed / "photos"
    dialog = _open_preview(window, qtbot, folder / "turned.jpg")
    plain = dialog.plain.toImage()
    assert plain.width() > plain.height()  # shown upright: landscape, though stored portrait
    assert not dialog.show_faces.isChecked() and dialog.shown_pixmap().toImage() == plain  # off by default

    qtbot.keyClick(dialog, Qt.Key.Key_F)
    assert dialog.show_faces.isChecked() and preview_faces(window.settings)
    # Where the face is on the upright photo, found on an upright copy the library never saw.
    (upright_face,) = find_photo_faces(indexed / "upright.jpg")
    x, y, w, h = upright_face.box
    (box,) = dialog.boxes
    assert (box.label, box.kind) == (NAME, "confirmed")
    expected = (x * plain.width(), y * plain.height(), w * plain.width(), h * plain.height())
    got = (box.rect.x(), box.rect.y(), box.rect.width(), box.rect.height())
    assert got == pytest.approx(expected, abs=0.02 * plain.width())
    # The rendered preview: the box's edges are drawn in the confirmed colour, the rest is the photo.
    shown = dialog.shown_pixmap().toImage()
    left, top, right = round(expected[0]), round(expected[1]), round(expected[0] + expected[2])
    middle_x, middle_y = round(expected[0] + expected[2] / 2), round(expected[1] + expected[3] / 2)
    for px, py in [(middle_x, top), (left, middle_y), (right, middle_y)]:
        assert any(_near(shown.pixelColor(px + dx, py + dy), (255, 214, 10))
                   for dx in (-2, -1, 0, 1, 2) for dy in (-2, -1, 0, 1, 2)), (px, py)
    far = (plain.width() - 5, 5)  # the grey right-hand side, far from any face
    assert shown.pixelColor(*far) == plain.pixelColor(*far)
    dialog.close()

    reopened = _open_preview(window, qtbot, folder / "turned.jpg")
    assert reopened.show_faces.isChecked() and reopened.shown_pixmap().toImage() != reopened.plain.toImage()
    qtbot.keyClick(reopened, Qt.Key.Key_F)
    assert not preview_faces(window.settings)
    assert reopened.shown_pixmap().toImage() == reopened.plain.toImage()
    reopened.close()


def test_preview_marks_a_suggested_name_with_a_question_and_unnamed_faces_without_a_name(window, indexed,
                                                                                          qtbot) -> None:
    dialog = _open_preview(window, qtbot, indexed / "photos" / "pair.jpg")
    boxes = sorted(dialog.boxes, key=lambda b: b.rect.x())
    assert [(b.label, b.kind) for b in boxes] == [(f"{NAME}?", "suggested"), ("", "unnamed")]
    assert boxes[0].rect.right() < dialog.plain.width() / 2 < boxes[1].rect.left()  # Tony left, Serena right
    dialog.close()


def test_info_panel_says_who_is_in_the_photo(window, indexed, qtbot) -> None:
    folder = indexed / "photos"
    _select(window, qtbot, folder / "pair.jpg")
    qtbot.waitUntil(lambda: "People" in window.info_panel.texts(), timeout=10000)
    assert window.info_panel.texts()["People"] == f"{NAME} (suggested), 1 unnamed face"
    _select(window, qtbot, folder / "turned.jpg")
    qtbot.waitUntil(lambda: "turned.jpg" in window.info_panel.texts().get("File", ""), timeout=10000)
    assert window.info_panel.texts()["People"] == NAME


def test_people_text_names_confirmed_then_suggested_then_counts_the_unnamed() -> None:
    box = (0.1, 0.1, 0.2, 0.2)
    faces = [PhotoFace(box, 1.0), PhotoFace(box, 1.0, "Anna", suggested=True), PhotoFace(box, 1.0, "Ben"),
             PhotoFace(box, 1.0)]
    assert people_text(faces) == "Ben, Anna (suggested), 2 unnamed faces"
    assert people_text([PhotoFace(box, 1.0, "Anna"), PhotoFace(box, 1.0, "Anna", suggested=True)]) == "Anna"
    assert people_text([]) == ""


def _settings(window: MainWindow, qtbot) -> SettingsDialog:
    window.open_settings()
    qtbot.waitUntil(lambda: _window_of(SettingsDialog) is not None, timeout=10000)
    return _window_of(SettingsDialog)


def _question(qtbot) -> QMessageBox:
    qtbot.waitUntil(lambda: _window_of(QMessageBox, "delete_faces_question") is not None, timeout=10000)
    return _window_of(QMessageBox, "delete_faces_question")


def _click(box: QMessageBox, text: str) -> None:
    next(button for button in box.buttons() if button.text().replace("&", "") == text).click()


def test_face_recognition_turned_off_skips_the_faces_step_and_hides_people(window, indexed, tmp_path,
                                                                             qtbot) -> None:
    library: Library = window.library
    settings = _settings(window, qtbot)
    assert settings.faces.isChecked()
    settings.faces.setChecked(False)
    with qtbot.waitSignal(window.face_recognition_changed, timeout=10000) as changed:
        settings.accept()
    assert changed.args == [False] and not library.face_recognition
    question = _question(qtbot)
    assert "Face recognition is off" in question.text() and "7 faces and 1 named person" in question.text()
    _click(question, "Keep")
    assert library.face_data_size() == (7, 1)  # kept, as asked

    _select(window, qtbot, indexed / "photos" / "pair.jpg")
    qtbot.waitUntil(lambda: "pair.jpg" in window.info_panel.texts().get("File", ""), timeout=10000)
    assert "People" not in window.info_panel.texts()  # off means no names shown
    preview = _open_preview(window, qtbot, indexed / "photos" / "pair.jpg")
    assert not preview.show_faces.isEnabled() and preview.shown_pixmap().toImage() == preview.plain.toImage()
    preview.close()

    more = tmp_path / "more"
    more.mkdir()
    new = Path(shutil.copy(sorted((LFW / "Hugo_Chavez").glob("*.jpg"))[0], more / "hugo.jpg"))
    with qtbot.waitSignal(window.index_finished, timeout=30000) as finished:
        window.add_folder(str(more))
    assert finished.args[0].added == 1 and finished.args[0].faces_photos == 0
    assert library.faces(new) == []
    assert library.face_data_size() == (7, 1)


def test_find_small_faces_reads_every_photo_again_at_the_finer_detail(window, indexed, qtbot) -> None:
    library: Library = window.library
    settings = _settings(window, qtbot)
    assert settings.small_faces.isEnabled() and not settings.small_faces.isChecked()
    settings.faces.setChecked(False)
    assert not settings.small_faces.isEnabled()  # no faces, no detail to choose
    settings.faces.setChecked(True)
    settings.small_faces.setChecked(True)
    with qtbot.waitSignal(window.index_finished, timeout=60000) as finished:
        settings.accept()
    assert library.face_detail == "small"
    assert finished.args[0].faces_photos == len(list((indexed / "photos").iterdir()))  # all read again
    assert library.face_data_size() == (7, 1)  # the same faces, the name kept
    assert _settings(window, qtbot).small_faces.isChecked()


def test_delete_all_face_data_asks_then_forgets_faces_and_people_but_keeps_photos_and_tags(window, indexed,
                                                                                             qtbot) -> None:
    library: Library = window.library
    folder = indexed / "photos"
    library.edit_tags([folder / "pair.jpg"], add=["holiday"])
    photos_before = library.folder_photo_count(folder)
    _select(window, qtbot, folder / "pair.jpg")
    qtbot.waitUntil(lambda: "People" in window.info_panel.texts(), timeout=10000)
    settings = _settings(window, qtbot)

    settings.delete_faces.click()
    question = _question(qtbot)
    assert "7 faces and 1 named person" in question.text() and "photos and their tags stay" in question.text()
    _click(question, "Cancel")
    assert library.face_data_size() == (7, 1)

    settings.delete_faces.click()
    with qtbot.waitSignal(window.face_data_deleted, timeout=10000) as deleted:
        _click(_question(qtbot), "Delete face data")
    assert (deleted.args[0].faces, deleted.args[0].people) == (7, 1)
    qtbot.waitUntil(lambda: _window_of(QMessageBox, "faces_deleted_note") is not None, timeout=10000)
    assert "Deleted 7 faces and 1 named person" in _window_of(QMessageBox, "faces_deleted_note").text()
    assert library.face_data_size() == (0, 0) and library.people(min_faces=1) == []
    assert library.faces(folder / "turned.jpg") == []
    assert library.folder_photo_count(folder) == photos_before
    assert library.user_tags(folder / "pair.jpg") == {"holiday": True}
    qtbot.waitUntil(lambda: "People" not in window.info_panel.texts(), timeout=10000)  # the panel refreshed
    assert "pair.jpg" in window.info_panel.texts()["File"]
    settings.reject()
