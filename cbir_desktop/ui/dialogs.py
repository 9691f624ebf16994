"""Dialogs: the one funnel for errors, the large preview, the settings, About."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine.errors import EngineError
from ..engine.types import PhotoFace
from .face_boxes import draw_face_boxes, face_boxes
from .settings import RESULTS, THUMBNAIL_SIZE

log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    """A sentence for the person: engine errors speak for themselves."""
    if isinstance(exc, EngineError):
        return str(exc)
    return f"Something went wrong ({type(exc).__name__}: {exc}). The details are in the log file."


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show a failed operation once, as a sentence (engine errors) or a generic one plus the log."""
    if not isinstance(exc, EngineError):
        log.error("Operation failed:\n%s", "".join(traceback.format_exception(exc)))
    box = QMessageBox(QMessageBox.Icon.Warning, "cbir-desktop", error_text(exc), parent=parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # non-blocking: tests and the event loop keep running


def ask_remove_folder(parent: QWidget | None, folder: str, photos: int) -> tuple[QMessageBox, QPushButton]:
    """The question asked before a folder leaves the library, and its Remove button
    (Cancel is the default). Not yet shown: the caller connects `finished` and calls `open()`."""
    what = f"{photos} photo{'s' if photos != 1 else ''}"
    box = QMessageBox(QMessageBox.Icon.Question, "Remove folder",
                      f"Remove {what} of {folder} from the library? "
                      "The photos stay on disk and your tags are kept.", parent=parent)
    box.setObjectName("remove_folder_question")
    remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box, remove


def _faces_and_people(faces: int, people: int) -> str:
    """ "12 faces and 1 named person" """
    return f"{faces} face{'s' if faces != 1 else ''} and {people} named {'person' if people == 1 else 'people'}"


def ask_delete_faces(parent: QWidget | None, faces: int, people: int,
                     turned_off: bool = False) -> tuple[QMessageBox, QPushButton]:
    """The question asked before every face of the library is forgotten, and its Delete button
    (Cancel, or Keep after turning recognition off, is the default). Not yet shown."""
    forget = (f"Forget {_faces_and_people(faces, people)}: every face box, name, group and suggestion. "
              "The photos and their tags stay, and nothing else changes.")
    if turned_off:
        text = ("Face recognition is off: indexing no longer looks for faces. "
                f"Delete the face data found so far too? {forget}")
    else:
        text = f"Delete all face data of this library? {forget}"
    box = QMessageBox(QMessageBox.Icon.Question, "Delete face data", text, parent=parent)
    box.setObjectName("delete_faces_question")
    delete = box.addButton("Delete face data", QMessageBox.ButtonRole.DestructiveRole)
    if turned_off:
        box.setDefaultButton(box.addButton("Keep", QMessageBox.ButtonRole.RejectRole))
    else:
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box, delete


def faces_deleted_note(parent: QWidget | None, faces: int, people: int) -> QMessageBox:
    """What a deletion forgot, said once it is done. Not yet shown."""
    box = QMessageBox(QMessageBox.Icon.Information, "Face data deleted",
                      f"Deleted {_faces_and_people(faces, people)}. The photos and their tags are kept.",
                      parent=parent)
    box.setObjectName("faces_deleted_note")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


class PreviewDialog(QDialog):
    """A larger view of one photo; space or Escape closes it. "Show faces" (or the F key) draws
    each stored face's box with its name over the photo; `faces_toggled` says the new choice so
    the window can remember it."""

    faces_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None, path: str, pixmap: QPixmap, faces: Sequence[PhotoFace] = (),
                 show_faces: bool = False, faces_on: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle(path)
        self.plain = pixmap.scaled(900, 700, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
        ratio = self.plain.devicePixelRatio()
        self.boxes = face_boxes(faces, self.plain.width() / ratio, self.plain.height() / ratio)
        self.photo = QLabel()
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.show_faces = QCheckBox(f"Show faces ({len(self.boxes)})")
        self.show_faces.setToolTip("Draw a box round each face, with its name (F)" if faces_on
                                   else "Face recognition is off for this library (Settings)")
        self.show_faces.setEnabled(faces_on)
        self.show_faces.setChecked(show_faces)
        self.show_faces.toggled.connect(self._on_show_faces_toggled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.photo)
        row = QHBoxLayout()
        row.addWidget(QLabel(path), 1)
        row.addWidget(self.show_faces)
        layout.addLayout(row)
        self._draw()

    def shown_pixmap(self) -> QPixmap:
        """The picture as shown now (with the boxes when they are on)."""
        return self.photo.pixmap()

    def _draw(self) -> None:
        on = self.show_faces.isChecked() and self.show_faces.isEnabled()
        self.photo.setPixmap(draw_face_boxes(self.plain, self.boxes) if on and self.boxes else self.plain)

    def _on_show_faces_toggled(self, on: bool) -> None:
        self._draw()
        self.faces_toggled.emit(on)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            self.accept()
        elif event.key() == Qt.Key.Key_F and self.show_faces.isEnabled():
            self.show_faces.toggle()
        else:
            super().keyPressEvent(event)


def _library_switch(label: str, tip: str, on: bool) -> QCheckBox:
    """A checkbox for one of the library's own settings, as the library has it now."""
    box = QCheckBox(label)
    box.setToolTip(tip)
    box.setChecked(on)
    return box


class SettingsDialog(QDialog):
    """Model, results per search, thumbnail size, RAW+JPEG pairs, face recognition; the device in
    use is shown. "Delete all face data…" only asks (`delete_faces_requested`): the window does it."""

    delete_faces_requested = Signal()

    def __init__(self, parent: QWidget | None, models: list[tuple[str, str]], current_model: str,
                 device: str, results: int, thumb: int, library: str, pairs_as_one: bool = True,
                 faces_on: bool = True, small_faces: bool = False, text_on: bool = True,
                 expansion_on: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        form = QFormLayout(self)
        self.model = QComboBox()
        for model_id, name in models:
            self.model.addItem(name, model_id)
        self.model.setCurrentIndex(max(0, self.model.findData(current_model)))
        form.addRow("Model", self.model)
        form.addRow("Runs on", QLabel(device))
        self.results = QSpinBox()
        self.results.setRange(RESULTS.minimum, RESULTS.maximum)
        self.results.setValue(results)
        form.addRow("Results per search", self.results)
        self.thumb = QSpinBox()
        self.thumb.setRange(THUMBNAIL_SIZE.minimum, THUMBNAIL_SIZE.maximum)
        self.thumb.setValue(thumb)
        form.addRow("Thumbnail size", self.thumb)
        self.pairs = _library_switch(
            "Show RAW+JPEG pairs as one photo",
            "A RAW file and the JPEG beside it (same name) show once, as the JPEG with a RAW badge; "
            "turned off, both show.",
            pairs_as_one)
        self.pairs_shown = pairs_as_one  # as the library had it when the dialog opened
        form.addRow("", self.pairs)
        self.faces = _library_switch(
            "Recognise faces",
            "Indexing finds faces so people can be named and searched, on this computer only. Turned off,"
            " new photos are not looked at for faces.",
            faces_on)
        self.faces_shown = faces_on  # as the library had it when the dialog opened
        self.delete_faces = QPushButton("Delete all face data…")
        self.delete_faces.setToolTip("Forget every face, name and group; the photos and tags stay")
        self.delete_faces.clicked.connect(self.delete_faces_requested)
        faces_row = QHBoxLayout()
        faces_row.addWidget(self.faces, 1)
        faces_row.addWidget(self.delete_faces)
        form.addRow("People", faces_row)
        self.small_faces = _library_switch(
            "Find small faces (slower)",
            "Look for faces down to 1/30 of a photo's width instead of 1/20, for group photos; indexing "
            "faces takes about 1.5x as long, and every photo is looked at again (names stay).",
            small_faces)
        self.small_faces_shown = small_faces  # as the library had it when the dialog opened
        self.faces.toggled.connect(self.small_faces.setEnabled)
        self.small_faces.setEnabled(faces_on)
        form.addRow("", self.small_faces)
        self.text = _library_switch(
            "Read text in photos",
            "Indexing reads the words in signs, receipts and documents, so a search finds them; only "
            "photos where text is seen are read. Turned off, new photos are not read.",
            text_on)
        self.text_shown = text_on  # as the library had it when the dialog opened
        form.addRow("Search", self.text)
        self.expansion = _library_switch(
            "Widen look-alike searches",
            "A photo search also follows the best matches' own nearest photos, and each photo is indexed "
            "with its nearest neighbours: more of the right photos, a little slower. Turned on again, "
            "indexing updates the neighbours first.",
            expansion_on)
        self.expansion_shown = expansion_on  # as the library had it when the dialog opened
        form.addRow("", self.expansion)
        self.library = QLineEdit(library)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.library, 1)
        row.addWidget(browse)
        form.addRow("Library folder", row)
        form.addRow("", QLabel("A new library folder is used from the next start."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder", self.library.text())
        if folder:
            self.library.setText(folder)


class AboutDialog(QDialog):
    """Version, the models (which one is current), what runs it, the library and log folders.

    Everything is passed in, already known: opening it calls no engine and waits for nothing.
    Texts are plain and selectable, so a path can be copied into a file manager or a bug report.
    """

    def __init__(self, parent: QWidget | None, version: str, models: list[tuple[str, str]], current_model: str,
                 device: str, library: str, log_folder: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("About cbir-desktop")
        form = QFormLayout(self)
        title = QLabel(f"<h3>{version}</h3>Offline photo search: by example, by word, with auto-tags. "
                       "Nothing leaves this computer.")
        title.setWordWrap(True)
        form.addRow(title)
        lines = [f"{model_id}: {name}" + ("  (current)" if model_id == current_model else "")
                 for model_id, name in models]
        for label, text in [("Models", "\n".join(lines) or "none found"), ("Runs on", device),
                            ("Library folder", library), ("Log folder", log_folder)]:
            value = QLabel(text)
            value.setTextFormat(Qt.TextFormat.PlainText)  # paths may hold < or &
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, value)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def text(self) -> str:
        """Every label's text, one per line (what the dialog says, for tests and copying)."""
        return "\n".join(label.text() for label in self.findChildren(QLabel))
