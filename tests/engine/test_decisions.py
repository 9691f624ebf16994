"""The user's tag decisions are kept by content: a removed folder's tags come back with it,
copies share them, a sidecar keyword never overrides a rejection, and tag edits undo exactly."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers import solid

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.errors import EngineError
from cbir_desktop.engine.storage.backups import back_up, backups
from cbir_desktop.engine.types import TagChange, TagEdit

SIDECAR = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:subject><rdf:Bag><rdf:li>Lisbon</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def _trip(root: Path) -> dict[str, Path]:
    return {
        "red": solid(root / "trip" / "red.jpg", "red"),
        "blue": solid(root / "trip" / "day2" / "blue.jpg", "blue"),
        "green": solid(root / "trip" / "green.png", "green"),
    }


def _tag_them(library: Library, photos: dict[str, Path]) -> dict[Path, dict[str, bool]]:
    """Confirm a model tag, add a new one and reject one; returns every photo's user tags."""
    library.edit_tags([photos["red"]], add=["red"])  # confirmed
    library.edit_tags([photos["red"], photos["blue"]], add=["holiday"])  # added
    library.edit_tags([photos["blue"]], remove=["blue"])  # rejected
    return {p: library.user_tags(p) for p in photos.values()}


def test_removing_a_folder_and_adding_it_again_keeps_confirmed_added_and_rejected_tags(
        tiny_models: Path, tmp_path: Path) -> None:
    photos = _trip(tmp_path / "photos")
    folder = tmp_path / "photos" / "trip"
    with open_library(tmp_path / "lib") as library:
        library.index([folder])
        before = _tag_them(library, photos)
        assert before[photos["blue"]] == {"blue": False, "holiday": True}
        assert library.folder_photo_count(folder) == 3
        assert library.folder_photo_count(folder / "day2") == 1
        assert library.folder_photo_count(tmp_path / "photos" / "tri") == 0  # a prefix is not a folder
        assert library.remove_folder(folder) == 3
        assert library.folder_photo_count(folder) == 0 and library.status(check=False).photos == 0
        library.index([folder])
        assert {p: library.user_tags(p) for p in photos.values()} == before


def test_a_copy_of_a_tagged_photo_in_another_folder_gets_the_decisions(tiny_models: Path, tmp_path: Path) -> None:
    photos = _trip(tmp_path / "photos")
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "photos" / "trip"])
        before = _tag_them(library, photos)
        copy = tmp_path / "backup-drive" / "IMG_0001.jpg"
        copy.parent.mkdir()
        shutil.copyfile(photos["blue"], copy)
        different = solid(tmp_path / "backup-drive" / "other.jpg", "yellow")
        library.index([tmp_path / "backup-drive"])
        assert library.user_tags(copy) == before[photos["blue"]] == {"blue": False, "holiday": True}
        assert library.user_tags(different) == {}
        # Removing the original's folder leaves the copy and the decisions alone.
        library.remove_folder(tmp_path / "photos" / "trip")
        assert library.user_tags(copy) == {"blue": False, "holiday": True}


def test_a_keyword_in_a_sidecar_does_not_override_a_rejection(tiny_models: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos" / "trip"
    photo = solid(folder / "tram.jpg", "yellow")
    photo.with_suffix(".xmp").write_text(SIDECAR)
    with open_library(tmp_path / "lib") as library:
        library.index([folder])
        assert library.user_tags(photo) == {"lisbon": True}
        library.edit_tags([photo], remove=["lisbon"])
        library.remove_folder(folder)
        library.index([folder])  # the sidecar still says "Lisbon"
        assert library.user_tags(photo) == {"lisbon": False}
        # A copy that has its own sidecar saying "Lisbon" is the same photo: rejected too.
        copy = tmp_path / "elsewhere" / "tram.jpg"
        copy.parent.mkdir()
        shutil.copyfile(photo, copy)
        shutil.copyfile(photo.with_suffix(".xmp"), copy.with_suffix(".xmp"))
        library.index([copy.parent])
        assert library.user_tags(copy) == {"lisbon": False}


def test_undo_restores_the_exact_previous_state_and_redo_applies_the_edit_again(
        tiny_models: Path, tmp_path: Path) -> None:
    photos = _trip(tmp_path / "photos")
    red, blue = photos["red"], photos["blue"]
    folder = tmp_path / "photos" / "trip"
    with open_library(tmp_path / "lib") as library:
        library.index([folder])
        library.edit_tags([red], add=["sunset"])
        edit = library.edit_tags([red, blue], add=["holiday"], remove=["sunset"])
        assert edit == TagEdit((
            TagChange(str(red), "holiday", None, True), TagChange(str(red), "sunset", True, False),
            TagChange(str(blue), "holiday", None, True), TagChange(str(blue), "sunset", None, False)))
        assert edit.changed
        assert library.user_tags(red) == {"holiday": True, "sunset": False}
        library.undo_tag_edit(edit)
        assert library.user_tags(red) == {"sunset": True}  # confirmed -> rejected -> undo: confirmed
        assert library.user_tags(blue) == {}  # new tags -> undo: none
        library.redo_tag_edit(edit)
        assert library.user_tags(red) == {"holiday": True, "sunset": False}
        assert library.user_tags(blue) == {"holiday": True, "sunset": False}
        library.undo_tag_edit(edit)
        # The decisions kept by content were undone too: nothing comes back with the folder.
        library.remove_folder(folder)
        library.index([folder])
        assert library.user_tags(red) == {"sunset": True}
        assert library.user_tags(blue) == {}
        assert not library.edit_tags([red], add=["sunset"]).changed  # already confirmed


def test_undo_keeps_a_copys_decision_on_the_shared_content(tiny_models: Path, tmp_path: Path) -> None:
    photo = solid(tmp_path / "a" / "p.jpg", "red")
    copy = tmp_path / "b" / "p.jpg"
    copy.parent.mkdir()
    shutil.copyfile(photo, copy)
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "a", tmp_path / "b"])
        library.edit_tags([photo], remove=["red"])
        edit = library.edit_tags([copy], add=["red"])
        # An edit changes the photos it names; a copy already in the library keeps its own tags.
        assert edit.changes == (TagChange(str(copy), "red", None, True),)
        library.edit_tags([copy], add=["tram"])
        tram = library.edit_tags([copy], remove=["tram"])
        library.undo_tag_edit(edit)
        library.undo_tag_edit(tram)
        library.remove_folder(tmp_path / "b")
        library.index([tmp_path / "b"])
        # Undoing the copy's "red" gives the content back the original's rejection.
        assert library.user_tags(copy) == {"red": False, "tram": True}
        assert library.user_tags(photo) == {"red": False}


def test_undo_of_a_photo_no_longer_in_the_library_changes_nothing(tiny_models: Path, tmp_path: Path) -> None:
    photos = _trip(tmp_path / "photos")
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "photos" / "trip"])
        library.edit_tags([photos["red"]], add=["kept"])
        edit = library.edit_tags([photos["red"], photos["blue"]], add=["x"])
        photos["blue"].unlink()
        library.index()
        with pytest.raises(EngineError, match="not in the library"):
            library.undo_tag_edit(edit)
        assert library.user_tags(photos["red"]) == {"kept": True, "x": True}


def test_backups_hold_the_decisions_and_a_repair_keeps_them(tiny_models: Path, tmp_path: Path) -> None:
    photos = _trip(tmp_path / "photos")
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "photos" / "trip"])
        _tag_them(library, photos)
        library.remove_folder(tmp_path / "photos" / "trip")
    back_up(tmp_path / "lib" / "catalogue.sqlite", tmp_path / "lib" / "backups")
    db = sqlite3.connect(backups(tmp_path / "lib" / "backups")[0])
    try:
        rows = {(tag, bool(ok)) for tag, ok in db.execute("SELECT tag, confirmed FROM tag_decisions")}
    finally:
        db.close()
    assert rows == {("red", True), ("holiday", True), ("blue", False)}
