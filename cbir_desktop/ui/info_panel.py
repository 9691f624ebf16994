"""The Info panel: what the selected photo's own metadata says, one line per fact.

It only shows; the window reads the metadata (`Library.metadata`) in a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..engine.types import PhotoFace, PhotoMetadata

__all__ = ["InfoPanel", "info_rows", "people_text"]

SOURCES = {"exif": "from the camera (EXIF)", "heif": "from the camera (HEIF)", "raw": "from the camera (RAW)",
           "xmp": "from XMP", "file": "the file's date: the photo records none"}


def info_rows(path: str, metadata: PhotoMetadata, tags: list[str],
              raw_path: str | None = None, faces: Sequence[PhotoFace] = ()) -> list[tuple[str, str]]:
    """(label, text) of every fact known about a photo, in reading order; `raw_path` is the
    RAW file paired with this JPEG, `faces` the faces stored for it (none: no People row)."""
    m = metadata
    rows: list[tuple[str, str]] = []
    if m.taken_local:
        when = m.taken_local.replace("T", " ") + (f" {m.taken_offset}" if m.taken_offset else "")
        rows.append(("Taken", f"{when} ({SOURCES.get(m.taken_source, m.taken_source)})"))
    camera = " ".join(part for part in (m.make, m.model) if part)
    if camera:
        rows.append(("Camera", camera))
    if m.lens:
        rows.append(("Lens", m.lens))
    exposure = [f"{m.focal_mm:g} mm" if m.focal_mm else "", f"f/{m.aperture:g}" if m.aperture else "",
                _shutter(m.exposure_s), f"ISO {m.iso}" if m.iso else ""]
    if any(exposure):
        rows.append(("Exposure", ", ".join(part for part in exposure if part)))
    if m.width and m.height:
        rows.append(("Size", f"{m.width} × {m.height}" + (f" {m.file_type}" if m.file_type else "")))
    place = ", ".join(part for part in (m.city, m.region, m.country) if part)
    if m.lat is not None and m.lon is not None:
        rows.append(("Place", (place + "\n" if place else "") + f"{m.lat:.5f}, {m.lon:.5f}"))
    people = people_text(faces)
    if people:
        rows.append(("People", people))
    rows.append(("File", path.replace("/", "/\u200b")))  # a long path wraps at its slashes
    if raw_path:
        rows.append(("RAW", "A RAW file goes with this JPEG:\n" + raw_path.replace("/", "/\u200b")))
    if tags:
        rows.append(("Tags", ", ".join(tags)))
    if m.notes:
        rows.append(("Notes", "\n".join(m.notes)))
    return rows


def people_text(faces: Sequence[PhotoFace]) -> str:
    """Who is in a photo, for the Info panel: confirmed names, then suggested ones marked as
    such, then how many faces are unnamed ("" when it has no faces)."""
    confirmed = list(dict.fromkeys(f.person for f in faces if f.person is not None and not f.suggested))
    suggested = list(dict.fromkeys(f.person for f in faces if f.person is not None and f.suggested
                                   and f.person not in confirmed))
    unnamed = sum(1 for f in faces if f.person is None)
    parts = confirmed + [f"{name} (suggested)" for name in suggested]
    if unnamed:
        parts.append(f"{unnamed} unnamed face{'s' if unnamed != 1 else ''}")
    return ", ".join(parts)


def _shutter(seconds: float | None) -> str:
    if not seconds:
        return ""
    return f"1/{round(1 / seconds):d} s" if seconds < 0.5 else f"{seconds:g} s"


class InfoPanel(QWidget):
    """Facts about one photo as a form; a hint when none is selected."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        layout.addLayout(self.form)
        layout.addStretch(1)
        self.show_nothing()

    def show_nothing(self, hint: str = "Select a photo to see where, when and how it was taken.") -> None:
        self._set_rows([("", hint)])

    def show_photo(self, path: str, metadata: PhotoMetadata, tags: list[str], raw_path: str | None = None,
                   faces: Sequence[PhotoFace] = ()) -> None:
        self._set_rows(info_rows(path, metadata, tags, raw_path, faces))

    def texts(self) -> dict[str, str]:
        """Label -> text as shown (for tests and copying)."""
        out: dict[str, str] = {}
        for row in range(self.form.rowCount()):
            label = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None:
                out[label.widget().text()] = field.widget().text()
        return out

    def _set_rows(self, rows: list[tuple[str, str]]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        for label, text in rows:
            value = QLabel(escape(text).replace("\n", "<br>"))
            value.setTextFormat(Qt.TextFormat.RichText)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the panel
            if label:
                self.form.addRow(QLabel(label), value)
            else:
                self.form.addRow(value)
