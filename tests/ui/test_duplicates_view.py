"""The Duplicates window over a real library of Caltech-101 photos and their copies: groups
with the keeper first, accepting the suggestions and moving the rejects to this test's own
trash, Undo putting them back, and a cancelled search leaving the window usable."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QMessageBox, QPushButton

CALTECH = Path("/work/shared/datasets/caltech101/101_ObjectCategories")
SUNFLOWER = CALTECH / "sunflower" / "image_0001.jpg"
WATCH = CALTECH / "watch" / "image_0003.jpg"
UNRELATED = [CALTECH / "dalmatian" / "image_0001.jpg", CALTECH / "airplanes" / "image_0001.jpg",
             CALTECH / "bonsai" / "image_0002.jpg", CALTECH / "sunflower" / "image_0002.jpg"]

pytestmark = pytest.mark.skipif(not SUNFLOWER.exists(), reason="needs /work/shared/datasets/caltech101")


@pytest.fixture
def trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own trash, never the real ~/.local/share/Trash: send2trash read XDG_DATA_HOME
    when first imported, so its copies are set too; the restore reads the variable."""
    from send2trash import plat_other
    data = tmp_path / "data"
    home_trash = data / "Trash"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(data))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(home_trash))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(home_trash))
    return home_trash


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    """Two Caltech photos with a byte copy each, a half-size copy and a greyscale copy of one,
    and four unrelated photos (one of them another sunflower)."""
    root = tmp_path / "photos"
    root.mkdir()
    shutil.copyfile(SUNFLOWER, root / "sunflower.jpg")
    shutil.copyfile(SUNFLOWER, root / "sunflower copy.jpg")
    with Image.open(SUNFLOWER) as image:
        image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS).save(root / "sunflower_small.jpg")
        image.convert("L").save(root / "sunflower_grey.jpg", quality=92)
    shutil.copyfile(WATCH, root / "watch.jpg")
    shutil.copyfile(WATCH, root / "watch (1).jpg")
    for number, path in enumerate(UNRELATED):
        shutil.copyfile(path, root / f"other_{number}.jpg")
    return root


def find(window, qtbot, level: str = "same") -> list:
    view = window.duplicates.open()
    view.level_box.setCurrentIndex(view.level_box.findData(level))
    with qtbot.waitSignal(window.duplicates.groups_shown, timeout=60000) as shown:
        view.find_button.click()
    qtbot.waitUntil(lambda: view.find_button.isEnabled(), timeout=10000)
    return shown.args[0]


def names(paths) -> list[str]:  # noqa: ANN001
    return sorted(Path(p).name for p in paths)


def grid_names(window) -> list[str]:  # noqa: ANN001
    return names(hit.path for hit in window.results.hits())


def test_groups_show_side_by_side_with_the_suggested_keeper_first(make_window, copies, trash, qtbot, tmp_path):
    window = make_window([copies])
    groups = find(window, qtbot)
    view = window.duplicates.view
    found = [names(m.path for m in g.members) for g in groups]
    # The greyscale copy joins only when the tiny test model (mean colours) proposes it.
    assert [n for n in found[0] if n != "sunflower_grey.jpg"] == ["sunflower copy.jpg", "sunflower.jpg",
                                                                 "sunflower_small.jpg"]
    assert ["watch (1).jpg", "watch.jpg"] in found
    assert all(not name.startswith("other_") for group in found for name in group)  # the other sunflower too
    assert [len(g.members) for g in groups] == sorted((len(g.members) for g in groups), reverse=True)
    for row, group in zip(view.rows, groups, strict=True):
        assert row.cards[0].member.keep and row.cards[0].member == group.keeper  # the keeper first
        assert row.cards[0].suggestion.text().startswith("★ Suggested keeper")
        assert not any(card.suggestion.text() for card in row.cards[1:])
        assert all(card.keep_button.isChecked() for card in row.cards)  # nothing rejected until asked
    small = next(c for c in view.cards() if Path(c.member.path).name == "sunflower_small.jpg")
    assert "resolution" in small.member.differences
    assert "<b>150×100</b>" in small.facts.text()  # its resolution in bold
    copy = next(c for c in view.cards() if Path(c.member.path).name == "sunflower copy.jpg")
    assert "same bytes" in copy.facts.text()
    assert not view.trash_button.isEnabled()
    qtbot.waitUntil(lambda: all(card.image.pixmap() is not None and not card.image.pixmap().isNull()
                                for card in view.cards()), timeout=20000)
    window.duplicates.window.resize(1000, 720)
    window.duplicates.window.grab().save(str(tmp_path / "duplicates.png"))
    shown = os.environ.get("CBIR_SHOT_DIR")
    if shown:
        window.duplicates.window.grab().save(os.path.join(shown, "duplicates.png"))


def test_keep_and_reject_are_keyboard_reachable(make_window, copies, trash, qtbot):
    window = make_window([copies])
    find(window, qtbot)
    view = window.duplicates.view
    card = view.rows[0].cards[1]
    assert card.keep_button.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert card.reject_button.focusPolicy() & Qt.FocusPolicy.TabFocus  # Tab reaches them
    qtbot.keyClick(card.reject_button, Qt.Key.Key_Space)
    assert card.reject_button.isChecked() and not card.keep_button.isChecked()
    assert [m.path for m in view.decisions.rejected()] == [card.member.path]
    assert view.trash_button.isEnabled() and "1 rejected" in view.trash_button.text()


def test_accepting_suggestions_moves_exactly_the_rejects_to_the_trash_and_undo_puts_them_back(
        make_window, copies, trash, qtbot):
    window = make_window([copies])
    groups = find(window, qtbot)
    view = window.duplicates.view
    rejects = names(m.path for g in groups for m in g.rejects)
    keepers = names(g.keeper.path for g in groups)
    everything = grid_names(window)
    view.accept_button.click()
    assert names(m.path for m in view.decisions.rejected()) == rejects
    shots = os.environ.get("CBIR_SHOT_DIR")
    if shots:
        qtbot.waitUntil(lambda: all(card.image.pixmap() is not None and not card.image.pixmap().isNull()
                                    for card in view.cards()), timeout=20000)
        window.duplicates.window.grab().save(os.path.join(shots, "accepted.png"))
    with qtbot.waitSignal(window.duplicates.question_shown) as asked:
        view.trash_button.click()
    box: QMessageBox = asked.args[0]
    size = sum(m.size for g in groups for m in g.rejects)
    assert f"Move {len(rejects)} rejected photos ({size / 1e3:.0f} KB)" in box.text()
    assert "system trash" in box.text() and "restore" in box.informativeText()
    with qtbot.waitSignal(window.duplicates.trashed, timeout=20000):
        next(b for b in box.buttons() if b.text() == "Move to trash").click()
    assert names((trash / "files").iterdir()) == rejects
    assert len(list((trash / "info").glob("*.trashinfo"))) == len(rejects)
    assert names(copies.iterdir()) == sorted(set(everything) - set(rejects))
    assert grid_names(window) == sorted(set(everything) - set(rejects))
    assert names(p for _, p in window.library.catalogue.photo_paths()) == sorted(set(everything) - set(rejects))
    assert view.rows == [] and "Moved" in view.status.text()  # every group is down to its keeper
    assert all(Path(copies / k).exists() for k in keepers)
    assert window.undo_trash_action.isEnabled()

    with qtbot.waitSignal(window.duplicates.restored, timeout=20000) as restored:
        window.undo_trash_action.trigger()
    assert restored.args[0].not_restored == ()
    assert names(copies.iterdir()) == everything
    assert list((trash / "files").iterdir()) == [] and list((trash / "info").iterdir()) == []
    qtbot.waitUntil(lambda: names(p for _, p in window.library.catalogue.photo_paths()) == everything,
                    timeout=30000)
    qtbot.waitUntil(lambda: not window._indexing.running, timeout=30000)
    window.reload_library()
    qtbot.waitUntil(lambda: grid_names(window) == everything, timeout=20000)
    assert not window.undo_trash_action.isEnabled()


def test_cancelled_search_leaves_the_window_usable(make_window, copies, trash, qtbot):
    window = make_window([copies])
    view = window.duplicates.open()
    with qtbot.waitSignal(window.duplicates._find.finished, timeout=60000):
        view.find_button.click()
        assert view.cancel_button.isVisible() and not view.find_button.isEnabled()
        view.cancel_button.click()
    assert view.find_button.isEnabled() and not view.cancel_button.isVisible()
    assert view.status.text().startswith("Cancelled") and view.rows == []
    groups = find(window, qtbot)  # and it finds them after all
    assert len(view.rows) == len(groups) >= 2


def test_series_level_shows_its_time_window_and_keeps_it_for_the_library(make_window, copies, trash, qtbot):
    window = make_window([copies])
    view = window.duplicates.open()
    assert view.window_box.isHidden()
    view.level_box.setCurrentIndex(view.level_box.findData("series"))
    assert not view.window_box.isHidden() and view.window_box.value() == window.library.series_window
    view.window_box.setValue(90)
    find(window, qtbot, "series")
    qtbot.waitUntil(lambda: window.library.series_window == 90.0, timeout=10000)


def test_compare_zooms_and_pans_every_photo_of_a_group_together(make_window, copies, trash, qtbot, tmp_path):
    window = make_window([copies])
    find(window, qtbot)
    view = window.duplicates.view
    with qtbot.waitSignal(window.duplicates.compare_shown) as shown:
        next(b for b in view.rows[0].findChildren(QPushButton) if b.text() == "Compare…").click()
    dialog = shown.args[0]
    qtbot.waitUntil(lambda: all(not v.item.pixmap().isNull() for v in dialog.views), timeout=20000)
    first, *others = dialog.views
    wheel = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    fitted = first.transform().m11()
    assert all(v.transform().m11() == fitted for v in others)  # one scale from the start
    for _ in range(4):
        first.wheelEvent(wheel)
    assert first.transform().m11() == pytest.approx(fitted * 1.25 ** 4)
    assert all(v.transform().m11() == first.transform().m11() for v in others)
    first.horizontalScrollBar().setValue(first.horizontalScrollBar().maximum() // 2)
    first.verticalScrollBar().setValue(first.verticalScrollBar().maximum() // 3)
    assert first.horizontalScrollBar().value() > 0
    for other in others:
        assert other.horizontalScrollBar().value() == first.horizontalScrollBar().value()
        assert other.verticalScrollBar().value() == first.verticalScrollBar().value()
    shots = os.environ.get("CBIR_SHOT_DIR")
    if shots:
        dialog.grab().save(os.path.join(shots, "compare.png"))
    dialog.close()


def test_undo_says_where_files_are_when_the_trash_no_longer_holds_them(tmp_path, trash):
    from cbir_desktop.ui.trash_restore import restore_from_trash
    gone = tmp_path / "photos" / "emptied.jpg"
    answer = restore_from_trash([str(gone)])
    assert answer.restored == ()
    assert answer.not_restored == ((str(gone), f"not in the trash at {trash}"),)


def test_a_read_only_library_shows_groups_but_moves_nothing(qtbot):
    from cbir_desktop.engine.types import DuplicateGroup, DuplicateMember
    from cbir_desktop.ui.duplicates import Decisions
    from cbir_desktop.ui.duplicates_view import DuplicatesView
    members = (DuplicateMember("/p/a.jpg", 300, 200, 11000, "JPEG", "2024-05-01T10:00:00", 2600.0, True),
               DuplicateMember("/p/b.jpg", 150, 100, 4000, "JPEG", "2024-05-01T10:00:00", 2400.0, False,
                               ("resolution", "file size"), "same picture"))
    view = DuplicatesView(30)
    qtbot.addWidget(view)
    view.set_read_only("read-only media")
    view.show_groups(Decisions([DuplicateGroup("same", members, ("the highest resolution",))]), "1 group")
    view.accept_button.click()
    assert [m.path for m in view.decisions.rejected()] == ["/p/b.jpg"]
    assert not view.trash_button.isEnabled() and "Read-only" in view.trash_button.toolTip()
