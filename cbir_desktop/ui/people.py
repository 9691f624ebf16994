"""The People panel's work: reading people and their faces, and saving the user's decisions
(name, merge, confirm or reject suggestions, "Not Anna"), each through `ops` in a worker; the
panel is read again after every decision and after each indexing run.

The window only connects it: `person_chosen` searches a name, `group_chosen` shows an unnamed
group's photos, `names_changed` feeds the search bar's completion, `status` is a status line.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QWidget

from ..engine.api import Library
from ..engine.types import PersonFace, PersonGroup
from . import ops
from .dialogs import show_error
from .ops import Review, SerialOp
from .people_faces import CROP_SIDE, FacesDialog
from .people_panel import FACE_SIDE, PeopleDock, plural

__all__ = ["PeopleWiring", "faces_to_decide"]


def faces_to_decide(library: Library, group: PersonGroup, review: bool) -> tuple[PersonGroup, bool, list[PersonFace]]:
    """The faces a dialog shows: a person's suggestions (`review`) or all their faces. Runs in a
    worker: no widgets."""
    faces = library.suggestions(group.id) if review else library.person_faces(group.id)
    return group, review, faces


class PeopleWiring(QObject):
    """Runs what the People panel and its dialogs ask for, and shows the answers there."""

    people_shown = Signal(list)  # list[PersonGroup], once the panel shows them
    names_changed = Signal(list)  # list[str]: the people's names, whenever they change
    person_chosen = Signal(str)  # a person's name: search it
    group_chosen = Signal(object)  # PersonGroup (unnamed): show its photos
    status = Signal(str)  # what a decision did, for the status bar
    decided = Signal(object)  # what a decision returned, once the panel is read again after it
    dialog_shown = Signal(object)  # FacesDialog, once its faces are listed

    def __init__(self, parent: QWidget, library: Library, dock: PeopleDock) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.library = library
        self.dock = dock
        self.dialog: FacesDialog | None = None
        self._names: list[str] = []
        self._dialog_crops: dict[int, QPixmap] = {}
        self._after_refresh: list[object] = []  # decisions whose results wait for the panel's reread
        self._people = SerialOp(self, partial(library.people, 1), on_result=self._on_people,
                                on_error=self._on_people_error, drop_superseded=True)
        self._crops = SerialOp(self, ops.face_images, on_progress=self._on_panel_face, quit_superseded=True)
        self._faces = SerialOp(self, partial(faces_to_decide, library), on_result=self._show_dialog,
                               on_error=self._on_error, drop_superseded=True)
        self._dialog_faces = SerialOp(self, ops.face_images, on_progress=self._on_dialog_face,
                                      quit_superseded=True)
        dock.faces_wanted.connect(self._on_dock_faces_wanted)
        dock.chosen.connect(self._on_dock_chosen)
        dock.name_given.connect(self.name)
        dock.merge_requested.connect(self.merge)
        dock.review_requested.connect(lambda group: self._faces.request(group, True))
        dock.faces_requested.connect(lambda group: self._faces.request(group, False))

    # -- reading ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Read people and groups again in a worker (the newest request wins)."""
        self._people.request()

    def _on_people(self, groups: list[PersonGroup]) -> None:
        self.dock.set_people(groups)
        names = sorted((group.name for group in groups if group.name), key=str.lower)
        if names != self._names:
            self._names = names
            self.names_changed.emit(names)
        self.people_shown.emit(groups)
        waiting, self._after_refresh = self._after_refresh, []
        for result in waiting:
            self.decided.emit(result)

    def _on_people_error(self, exc: BaseException) -> None:
        self.status.emit(f"Could not read the people of this library: {exc}")

    def _on_dock_faces_wanted(self, faces: list[PersonFace]) -> None:
        self._crops.request(faces, self._px(FACE_SIDE))

    def _on_panel_face(self, item: tuple[int, QImage]) -> None:
        face_id, image = item
        self.dock.set_face(face_id, self._pixmap(image))

    def _px(self, side: int) -> int:
        """Device pixels for `side` logical ones: crops stay sharp on HiDPI screens."""
        return round(side * self.dock.devicePixelRatioF())

    def _pixmap(self, image: QImage) -> QPixmap:
        pixmap = QPixmap.fromImage(image)  # QPixmap: GUI thread only
        pixmap.setDevicePixelRatio(self.dock.devicePixelRatioF())
        return pixmap

    def _on_dock_chosen(self, group: PersonGroup) -> None:
        if group.name:
            self.person_chosen.emit(group.name)  # the same as typing the name
        else:
            self.group_chosen.emit(group)

    # -- the faces dialog ----------------------------------------------------------------
    def _show_dialog(self, answer: tuple[PersonGroup, bool, list[PersonFace]]) -> None:
        group, review, faces = answer
        if self.dialog is not None:
            self.dialog.close()
        dialog = FacesDialog(self.parent_widget, group, review)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.faces_wanted.connect(lambda wanted: self._dialog_faces.request(wanted, self._px(CROP_SIDE)))
        dialog.confirmed.connect(lambda yes, no: self.review(group, yes, no))
        dialog.not_them.connect(lambda face_ids: self.not_them(group, face_ids))
        dialog.finished.connect(partial(self._on_dialog_finished, dialog))
        self.dialog = dialog
        dialog.set_faces(faces, self._dialog_crops)
        dialog.open()  # window-modal, and the event loop keeps running
        self.dialog_shown.emit(dialog)

    def _on_dialog_finished(self, dialog: FacesDialog, *_result: object) -> None:
        if self.dialog is dialog:
            self.dialog = None
            self._dialog_faces.cancel()  # no more crops for a closed dialog

    def _on_dialog_face(self, item: tuple[int, QImage]) -> None:
        face_id, image = item
        pixmap = self._pixmap(image)
        self._dialog_crops[face_id] = pixmap
        if self.dialog is not None:
            self.dialog.set_face(face_id, pixmap)

    # -- decisions (each in a worker, then the panel is read again) --------------------------
    def name(self, group: PersonGroup, name: str) -> None:
        """Name a group or rename a person; a name someone has already joins the two."""
        taken = next((g for g in self.dock.groups() if g.name and g.id != group.id
                      and g.name.casefold() == name.casefold()), None)
        ops.run_in_background(self.library.name_group, group.id, name,
                              on_result=lambda person: self._on_named(group, person, taken),
                              on_error=self._on_error)

    def _on_named(self, group: PersonGroup, person: PersonGroup, taken: PersonGroup | None) -> None:
        if taken is not None:
            said = (f"{group.name or 'The group'} joined {person.name}, who had that name: now "
                    f"{plural(person.count, 'face')}.")
        elif group.name:
            said = f"{group.name} is now called {person.name}."
        else:
            said = f"Named {plural(group.count, 'face')} {person.name}."
        self._decided(said, person)

    def merge(self, keep: PersonGroup, others: list[PersonGroup], name: str = "") -> None:
        """Make `others` part of `keep` (named `name` first, when given)."""
        ops.run_in_background(ops.merge_people, self.library, keep.id, [group.id for group in others], name,
                              on_result=lambda merged: self._decided(
                                  f"Merged {len(others) + 1} entries into {merged.name or 'one group'}: "
                                  f"{plural(merged.count, 'face')}.", merged),
                              on_error=self._on_error)

    def review(self, person: PersonGroup, confirm: list[int], reject: list[int]) -> None:
        """Confirm the suggestions `confirm` and say "Not them" for `reject`."""
        ops.run_in_background(ops.review_suggestions, self.library, person.id, confirm, reject,
                              on_result=lambda done: self._on_reviewed(person, done), on_error=self._on_error)

    def _on_reviewed(self, person: PersonGroup, done: Review) -> None:
        said = f"{person.name}: {plural(done.confirmed, 'face')} confirmed"
        if done.rejected:
            said += f", {done.rejected} not {person.name} (never suggested again)"
        self._decided(said + ".", done)

    def not_them(self, person: PersonGroup, face_ids: list[int]) -> None:
        """"Not Anna" for `face_ids`: they leave the person and are never suggested again."""
        ops.run_in_background(self.library.remove_faces, face_ids,
                              on_result=lambda removed: self._decided(
                                  f"{plural(removed, 'face')} taken away from {person.name}; "
                                  "never suggested for them again.", removed),
                              on_error=self._on_error)

    def _decided(self, said: str, result: object) -> None:
        self.status.emit(said)
        self._after_refresh.append(result)
        self.refresh()

    def _on_error(self, exc: BaseException) -> None:
        show_error(self.parent_widget, exc)
