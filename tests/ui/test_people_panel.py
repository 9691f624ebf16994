"""The People panel and name completion, in a real window over a library of real faces: four
LFW photos each of three people, indexed once as one flat folder (names cannot leak from
paths), copied for each test. Every decision is made through the panel's own actions and
dialogs; the engine is asked afterwards what was saved."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem

from cbir_desktop.engine.api import Library, find_photo_faces, open_library
from cbir_desktop.engine.types import PersonGroup
from cbir_desktop.ui.main_window import MainWindow
from cbir_desktop.ui.people_faces import FacesDialog
from cbir_desktop.ui.people_panel import GroupRole
from cbir_desktop.ui.results_view import context_menu

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"
PEOPLE = ("Tony_Blair", "Serena_Williams", "Hugo_Chavez")
PER_PERSON = 4
WAIT_MS = 20000


def _lfw(person: str, index: int) -> Path:
    return sorted((LFW / person).glob("*.jpg"))[index]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, tiny_models_dir: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A library of the photos (path -> who), indexed once with the faces step."""
    root = tmp_path_factory.mktemp("people_panel")
    who = {}
    (root / "photos").mkdir()
    for p, person in enumerate(PEOPLE):
        for n in range(PER_PERSON):
            who[str(shutil.copy(_lfw(person, n), root / "photos" / f"photo_{p}{n}.jpg"))] = person
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CBIR_MODELS_DIR", str(tiny_models_dir))
        with open_library(root / "library") as library:
            library.index([root / "photos"])
        yield root, who


@pytest.fixture
def window(indexed: tuple[Path, dict[str, str]], make_window, tmp_path: Path, qtbot) -> MainWindow:
    """The window over a copy of the library, once its start-up reconcile and the panel are done."""
    shutil.copytree(indexed[0] / "library", tmp_path / "library")
    shown = make_window()
    with qtbot.waitSignal(shown.index_finished, timeout=WAIT_MS):
        pass
    with qtbot.waitSignal(shown.people.people_shown, timeout=WAIT_MS):
        shown.people.refresh()
    shown.people_dock.show()
    shown.people_dock.raise_()
    return shown


def _item(window: MainWindow, group: PersonGroup) -> QListWidgetItem:
    return next(item for item in window.people_dock.items() if item.data(GroupRole).id == group.id)


def _select(window: MainWindow, *groups: PersonGroup) -> None:
    window.people_dock.list.clearSelection()
    for group in groups:
        _item(window, group).setSelected(True)


def _group_of(window: MainWindow, who: dict[str, str], person: str) -> PersonGroup:
    """The panel's entry whose face is one of `person`'s photos."""
    return next(group for group in window.people_dock.groups() if who[group.faces[0].path] == person)


def _decide(window: MainWindow, qtbot, act) -> object:
    """Run `act` (a click in the panel or a dialog) and wait until the panel shows what it saved."""
    with qtbot.waitSignal(window.people.decided, timeout=WAIT_MS) as decided:
        act()
    return decided.args[0]


def _name(window: MainWindow, qtbot, group: PersonGroup, name: str) -> PersonGroup:
    """Name… on `group`, typing `name` into the dialog and pressing OK."""
    _select(window, group)
    window.people_dock.name_action.trigger()
    dialog = window.people_dock.name_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue(name)
    named = _decide(window, qtbot, dialog.accept)
    assert isinstance(named, PersonGroup)
    return named


def _open_faces(window: MainWindow, qtbot, group: PersonGroup, review: bool) -> FacesDialog:
    _select(window, group)
    action = window.people_dock.review_action if review else window.people_dock.faces_action
    assert action.isEnabled()
    with qtbot.waitSignal(window.people.dialog_shown, timeout=WAIT_MS) as shown:
        action.trigger()
    dialog: FacesDialog = shown.args[0]
    return dialog


def _click(window: MainWindow, qtbot, group: PersonGroup) -> list[str]:
    """Click the entry; the paths the grid then shows."""
    view = window.people_dock.list
    rect = view.visualItemRect(_item(window, group))
    with qtbot.waitSignal(window.search_finished, timeout=WAIT_MS):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    return [hit.path for hit in window.results.hits()]


def test_panel_lists_one_group_per_person_with_face_crops_and_counts(window: MainWindow, indexed, qtbot,
                                                                     tmp_path: Path) -> None:
    _, who = indexed
    groups = window.people_dock.groups()
    assert [group.name for group in groups] == [None] * 3
    assert [group.count for group in groups] == [PER_PERSON] * 3
    assert sorted(who[group.faces[0].path] for group in groups) == sorted(PEOPLE)
    texts = [item.text() for item in window.people_dock.items()]
    assert texts == [f"Unnamed\n{PER_PERSON} faces"] * 3
    dock = window.people_dock
    qtbot.waitUntil(lambda: all(group.faces[0].face_id in dock._faces for group in groups), timeout=WAIT_MS)
    for group in groups:  # each crop is the face itself: the detector finds one face filling it
        crop = tmp_path / f"{group.id}.png"
        assert dock._faces[group.faces[0].face_id].save(str(crop))
        found = find_photo_faces(crop)
        assert len(found) == 1
        x, y, w, h = found[0].box
        assert 0.25 < x + w / 2 < 0.75 and 0.25 < y + h / 2 < 0.75 and w > 0.35


def test_naming_a_group_makes_a_person_whose_name_the_search_bar_completes(window: MainWindow, indexed,
                                                                          qtbot) -> None:
    _, who = indexed
    tony = _name(window, qtbot, _group_of(window, who, "Tony_Blair"), "Tony")
    assert tony.name == "Tony" and tony.count == PER_PERSON
    entries = window.people_dock.groups()
    assert [group.name for group in entries] == ["Tony", None, None]  # people first
    assert window.people_dock.list.item(0).text() == "People"  # headings: People, then Unnamed groups
    assert window.people_dock.items()[0].text() == f"Tony\n{PER_PERSON} faces"
    assert "Named 4 faces Tony" in window.status_label.text()
    bar = window.search_bar
    assert bar.names_for("to") == ["Tony"]
    bar.field.setFocus()
    qtbot.keyClicks(bar.field, "to")
    assert bar.completer.model().stringList()[0] == "Tony"  # at once, before the words
    popup = bar.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=WAIT_MS)
    with qtbot.waitSignal(window.search_finished, timeout=WAIT_MS) as searched:
        popup.setCurrentIndex(bar.completer.completionModel().index(0, 0))
        qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert bar.text() == "Tony"
    blair = {path for path, person in who.items() if person == "Tony_Blair"}
    assert {hit.path for hit in searched.args[0][:PER_PERSON]} == blair


def test_a_name_someone_has_joins_them_and_merge_makes_one_entry_of_several(window: MainWindow, indexed,
                                                                            qtbot) -> None:
    _, who = indexed
    _name(window, qtbot, _group_of(window, who, "Tony_Blair"), "Tony")
    joined = _name(window, qtbot, _group_of(window, who, "Serena_Williams"), "tony")  # any case
    assert joined.name == "Tony" and joined.count == 2 * PER_PERSON
    assert "joined Tony, who had that name" in window.status_label.text()
    assert [group.name for group in window.people_dock.groups()] == ["Tony", None]
    person, group = window.people_dock.groups()
    _select(window, group, person)  # the named one is kept, whichever is listed first
    merged = _decide(window, qtbot, window.people_dock.merge_action.trigger)
    assert isinstance(merged, PersonGroup) and merged.name == "Tony" and merged.count == 3 * PER_PERSON
    assert [(g.name, g.count) for g in window.people_dock.groups()] == [("Tony", 3 * PER_PERSON)]


def test_merging_unnamed_groups_asks_who_they_are_and_makes_one_person(window: MainWindow, indexed,
                                                                       qtbot) -> None:
    _, who = indexed
    _select(window, _group_of(window, who, "Hugo_Chavez"), _group_of(window, who, "Serena_Williams"))
    window.people_dock.merge_action.trigger()
    dialog = window.people_dock.name_dialog
    assert dialog is not None and dialog.isVisible() and "these 8 faces" in dialog.labelText()
    dialog.setTextValue("Both")
    merged = _decide(window, qtbot, dialog.accept)
    assert isinstance(merged, PersonGroup) and merged.name == "Both" and merged.count == 2 * PER_PERSON
    assert sorted((g.name or "", g.count) for g in window.people_dock.groups()) == [("", PER_PERSON),
                                                                                   ("Both", 2 * PER_PERSON)]


def test_not_name_takes_a_face_away_and_it_is_never_suggested_again(window: MainWindow, indexed, qtbot) -> None:
    _, who = indexed
    serena = _name(window, qtbot, _group_of(window, who, "Serena_Williams"), "Serena")
    dialog = _open_faces(window, qtbot, serena, review=False)
    assert len(dialog.items()) == PER_PERSON and dialog.checked() == []
    assert not dialog.decide.isEnabled()  # nothing checked: nothing to take away
    qtbot.waitUntil(lambda: all(not item.icon().isNull() for item in dialog.items()), timeout=WAIT_MS)
    wrong = dialog.items()[1]
    wrong.setCheckState(Qt.CheckState.Checked)
    face = dialog.checked()[0]
    assert _decide(window, qtbot, dialog.decide.click) == 1
    library: Library = window.library
    now = next(group for group in window.people_dock.groups() if group.name == "Serena")
    assert now.count == PER_PERSON - 1 and now.suggested == 0
    assert face not in {f.face_id for f in library.person_faces("Serena")}
    assert face not in {f.face_id for f in library.suggestions("Serena")}
    # One face at once, from the faces view's context menu ("Not Serena").
    dialog = _open_faces(window, qtbot, now, review=False)
    other = dialog.checked(False)[0]
    _decide(window, qtbot, lambda: dialog.remove_one(other))
    assert len(dialog.items()) == PER_PERSON - 2
    assert other not in {f.face_id for f in library.person_faces("Serena")} | {
        f.face_id for f in library.suggestions("Serena")}


def test_new_photos_bring_suggestions_to_confirm_or_reject_in_bulk(window: MainWindow, indexed, qtbot,
                                                                   tmp_path: Path) -> None:
    _, who = indexed
    hugo = _name(window, qtbot, _group_of(window, who, "Hugo_Chavez"), "Hugo")
    new = tmp_path / "new"
    new.mkdir()
    for n in (5, 6):
        shutil.copy(_lfw("Hugo_Chavez", n), new / f"new_{n}.jpg")
    with qtbot.waitSignal(window.people.people_shown, timeout=WAIT_MS,
                          check_params_cb=lambda groups: any(g.suggested for g in groups)):
        window.add_folder(str(new))  # indexed at once; the panel is read again when it ends
    hugo = next(group for group in window.people_dock.groups() if group.name == "Hugo")
    assert hugo.suggested == 2 and hugo.count == PER_PERSON + 2
    assert window.people_dock.items()[0].text() == f"Hugo\n{PER_PERSON} faces · 2 suggestions"
    dialog = _open_faces(window, qtbot, hugo, review=True)
    assert sorted(Path(face.path).name for face in dialog.faces) == ["new_5.jpg", "new_6.jpg"]
    assert len(dialog.checked()) == 2  # all checked: uncheck the ones that are not him
    no = next(item for item in dialog.items() if item.toolTip().endswith("new_6.jpg"))
    no.setCheckState(Qt.CheckState.Unchecked)
    _decide(window, qtbot, dialog.decide.click)
    assert "Hugo: 1 face confirmed, 1 not Hugo" in window.status_label.text()
    hugo = next(group for group in window.people_dock.groups() if group.name == "Hugo")
    assert hugo.count == PER_PERSON + 1 and hugo.suggested == 0
    assert not window.people_dock.review_action.isEnabled()
    library: Library = window.library
    assert library.suggestions("Hugo") == []
    faces = {Path(face.path).name for face in library.person_faces("Hugo")}
    assert "new_5.jpg" in faces and "new_6.jpg" not in faces


def test_clicking_an_entry_shows_its_photos_in_the_grid(window: MainWindow, indexed, qtbot) -> None:
    _, who = indexed
    chavez = {path for path, person in who.items() if person == "Hugo_Chavez"}
    group = _group_of(window, who, "Hugo_Chavez")
    assert set(_click(window, qtbot, group)) == chavez  # an unnamed group: its photos
    hugo = _name(window, qtbot, group, "Hugo")
    shown = _click(window, qtbot, hugo)  # a person: as searching the name
    assert window.search_bar.text() == "Hugo"
    assert set(shown[:PER_PERSON]) == chavez


def test_more_of_this_person_from_the_grids_menu(window: MainWindow, indexed, qtbot, tmp_path: Path) -> None:
    """The grid's "More of this person" lists the photos of the person in the chosen photo,
    nearest first; a photo without a face lists nothing and says why."""
    _, who = indexed
    serena = {path for path, person in who.items() if person == "Serena_Williams"}
    group = _group_of(window, who, "Serena_Williams")
    _click(window, qtbot, group)
    window.view.setCurrentIndex(window.results.index(0, 0))
    hit = window.view.selected_hit()
    menu = context_menu(window, window, hit)
    action = next(a for a in menu.actions() if a.text() == "More of this person")
    with qtbot.waitSignal(window.search_finished, timeout=WAIT_MS):
        action.trigger()
    shown = [h.path for h in window.results.hits()]
    assert shown[0] == hit.path and set(shown[:PER_PERSON]) == serena
    assert all(h.relevance > 0 for h in window.results.hits())
    blank = tmp_path / "no_face.jpg"
    Image.new("RGB", (320, 240), (90, 140, 200)).save(blank)
    with qtbot.waitSignal(window.search_finished, timeout=WAIT_MS):
        window.search_person_like(str(blank))
    assert window.results.hits() == []
    assert window.status_label.text() == "No face found in no_face.jpg: nothing to look for."
