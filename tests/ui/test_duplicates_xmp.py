"""The Duplicates window marking rejects in XMP instead of the trash, over Caltech-101 photos and
their copies: a question first, ratings written beside the photos (read back by exiftool), the
photos left in their folder and the library, a read-only sidecar said, and Edit → Undo putting
the sidecars back, also when trash and XMP actions are mixed."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from helpers import require_tool
from PIL import Image
from PySide6.QtWidgets import QAbstractButton, QMessageBox

CALTECH = Path("/work/shared/datasets/caltech101/101_ObjectCategories")
SUNFLOWER = CALTECH / "sunflower" / "image_0001.jpg"
WATCH = CALTECH / "watch" / "image_0003.jpg"
UNRELATED = [CALTECH / "dalmatian" / "image_0001.jpg", CALTECH / "bonsai" / "image_0002.jpg"]

pytestmark = pytest.mark.skipif(not SUNFLOWER.exists(), reason="needs /work/shared/datasets/caltech101")


@pytest.fixture(autouse=True)
def _needs_exiftool() -> None:
    require_tool("exiftool", "libimage-exiftool-perl")


@pytest.fixture
def trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own trash (as in test_duplicates_view), never the real one."""
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
    """A sunflower with a byte copy and a half-size copy, a watch with a byte copy, two others."""
    root = tmp_path / "photos"
    root.mkdir()
    shutil.copyfile(SUNFLOWER, root / "sunflower.jpg")
    shutil.copyfile(SUNFLOWER, root / "sunflower copy.jpg")
    with Image.open(SUNFLOWER) as image:
        image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS).save(root / "sunflower_small.jpg")
    shutil.copyfile(WATCH, root / "watch.jpg")
    shutil.copyfile(WATCH, root / "watch (1).jpg")
    for number, path in enumerate(UNRELATED):
        shutil.copyfile(path, root / f"other_{number}.jpg")
    return root


def find(window, qtbot) -> list:  # noqa: ANN001
    view = window.duplicates.open()
    with qtbot.waitSignal(window.duplicates.groups_shown, timeout=60000) as shown:
        view.find_button.click()
    qtbot.waitUntil(lambda: view.find_button.isEnabled(), timeout=10000)
    return shown.args[0]


def answer(window, qtbot, button_text: str, click) -> tuple[QMessageBox, QAbstractButton]:  # noqa: ANN001
    """The question `click` opens, and its button that says `button_text`."""
    with qtbot.waitSignal(window.duplicates.question_shown) as asked:
        click()
    box: QMessageBox = asked.args[0]
    return box, next(b for b in box.buttons() if b.text() == button_text)


def ratings(folder: Path) -> dict[str, int | None]:
    """Each sidecar's xmp:Rating as exiftool reads it, by name."""
    sidecars = sorted(folder.glob("*.xmp"))
    if not sidecars:
        return {}
    out = subprocess.run(["exiftool", "-j", "-XMP-xmp:Rating", *map(str, sidecars)], capture_output=True,
                         text=True, check=True).stdout
    return {Path(e["SourceFile"]).name: e.get("Rating") for e in json.loads(out)}


def names(paths) -> list[str]:  # noqa: ANN001
    return sorted(Path(p).name for p in paths)


def test_marking_rejects_in_xmp_asks_writes_ratings_keeps_the_photos_and_undo_puts_sidecars_back(
        make_window, copies, trash, qtbot, tmp_path):
    window = make_window([copies])
    groups = find(window, qtbot)
    view = window.duplicates.view
    everything = names(copies.iterdir())
    rejects = names(m.path for g in groups for m in g.rejects)
    locked = next(m for g in groups for m in g.rejects if Path(m.path).name.startswith("watch"))
    sidecar = Path(locked.path).with_suffix(".xmp")
    sidecar.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>\n')
    os.chmod(sidecar, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # locked by its owner: to be left alone
    assert not view.xmp_button.isEnabled()
    view.accept_button.click()
    assert view.xmp_button.isEnabled() and view.xmp_button.text() == f"Mark {len(rejects)} rejected in XMP…"
    qtbot.waitUntil(lambda: all(card.image.pixmap() is not None and not card.image.pixmap().isNull()
                                for card in view.cards()), timeout=20000)
    window.duplicates.window.resize(1000, 720)
    shots = os.environ.get("CBIR_SHOT_DIR")
    if shots:
        window.duplicates.window.grab().save(os.path.join(shots, "duplicates_xmp.png"))

    box, mark = answer(window, qtbot, "Mark rejected", view.xmp_button.click)
    assert f"Mark {len(rejects)} photos rejected (rating −1) in their XMP sidecars?" == box.text()
    assert "stay where they are" in box.informativeText() and "Undo" in box.informativeText()
    if shots:
        box.grab().save(os.path.join(shots, "xmp_question.png"))
    with qtbot.waitSignal(window.duplicates.xmp_marked, timeout=20000) as marked:
        mark.click()
    report = marked.args[0]
    assert names(m.path for m in report.marked) == sorted(set(rejects) - {Path(locked.path).name})
    assert [(Path(f.path).name, f.reason) for f in report.failed] == [
        (Path(locked.path).name, f"its sidecar {sidecar.name} is read-only")]
    assert ratings(copies) == {**{Path(r).with_suffix(".xmp").name: -1 for r in rejects}, sidecar.name: None}
    assert names(p for p in copies.iterdir() if p.suffix == ".jpg") == everything  # nothing moved
    assert names(p for _, p in window.library.catalogue.photo_paths()) == everything
    assert list(trash.glob("files/*")) == []
    status = view.status.text()
    assert f"Marked {len(rejects) - 1} photos rejected in XMP" in status and "1 not marked" in status
    assert "is read-only" in status
    # The marked photos left their groups; the one not marked is still there, still rejected.
    assert [names(card.member.path for card in row.cards) for row in view.rows] == [
        names([locked.path, next(g.keeper.path for g in groups if locked in g.members)])]
    assert [m.path for m in view.decisions.rejected()] == [locked.path]
    assert all(not card.image.pixmap().isNull() for card in view.cards())  # laid out again with their pictures
    assert window.undo_trash_action.isEnabled() and window.undo_trash_action.text() == "Undo &mark rejected in XMP"
    if shots:
        qtbot.wait(200)  # the old rows go with deleteLater, once the event loop turns
        window.duplicates.window.grab().save(os.path.join(shots, "duplicates_xmp_marked.png"))

    with qtbot.waitSignal(window.duplicates.xmp_unmarked, timeout=20000) as unmarked:
        window.undo_trash_action.trigger()
    assert unmarked.args[0].failed == () and len(unmarked.args[0].restored) == len(rejects) - 1
    assert ratings(copies) == {sidecar.name: None}  # the sidecars the app made are gone again
    assert names(copies.iterdir()) == sorted([*everything, sidecar.name])
    assert not window.undo_trash_action.isEnabled()
    assert f"Put back the XMP sidecars of {len(rejects) - 1} photos" in view.status.text()


def test_undo_takes_the_last_action_first_when_trash_and_xmp_are_mixed(make_window, copies, trash, qtbot):
    window = make_window([copies])
    groups = find(window, qtbot)
    view = window.duplicates.view
    sunflower = next(g for g in groups if any("sunflower" in m.path for m in g.members))
    watch = next(g for g in groups if any("watch" in m.path for m in g.members))
    trashed, marked = sunflower.rejects[0], watch.rejects[0]

    next(c for c in view.cards() if c.member == trashed).reject_button.click()
    box, move = answer(window, qtbot, "Move to trash", view.trash_button.click)
    with qtbot.waitSignal(window.duplicates.trashed, timeout=20000):
        move.click()
    next(c for c in view.cards() if c.member == marked).reject_button.click()
    box, mark = answer(window, qtbot, "Mark rejected", view.xmp_button.click)
    with qtbot.waitSignal(window.duplicates.xmp_marked, timeout=20000):
        mark.click()
    assert names(trash.glob("files/*")) == [Path(trashed.path).name]
    assert ratings(copies) == {Path(marked.path).with_suffix(".xmp").name: -1}
    assert window.undo_trash_action.text() == "Undo &mark rejected in XMP"

    with qtbot.waitSignal(window.duplicates.xmp_unmarked, timeout=20000):
        window.undo_trash_action.trigger()
    assert ratings(copies) == {} and names(trash.glob("files/*")) == [Path(trashed.path).name]
    assert window.undo_trash_action.isEnabled() and window.undo_trash_action.text() == "Undo &move to trash"
    with qtbot.waitSignal(window.duplicates.restored, timeout=20000):
        window.undo_trash_action.trigger()
    assert Path(trashed.path).exists() and list(trash.glob("files/*")) == []
    assert not window.undo_trash_action.isEnabled()
    qtbot.waitUntil(lambda: not window._indexing.running, timeout=30000)


def test_a_read_only_library_can_still_mark_rejects_in_xmp(qtbot):
    """Marking writes sidecars beside the photos, not the library: a read-only library only
    turns the trash off."""
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
    assert not view.trash_button.isEnabled()
    assert view.xmp_button.isEnabled() and view.xmp_button.text() == "Mark 1 rejected in XMP…"


def test_a_photo_already_rejected_in_xmp_starts_rejected_and_says_so(qtbot):
    """Found again after marking (here or in another tool), a photo its sidecar rates -1 is shown
    rejected from the start, so the next action includes it without asking twice."""
    from cbir_desktop.engine.types import DuplicateGroup, DuplicateMember
    from cbir_desktop.ui.duplicates import Decisions
    from cbir_desktop.ui.duplicates_view import DuplicatesView
    members = (DuplicateMember("/p/a.jpg", 300, 200, 11000, "JPEG", "2024-05-01T10:00:00", 2600.0, True),
               DuplicateMember("/p/b.jpg", 150, 100, 4000, "JPEG", "2024-05-01T10:00:00", 2400.0, False,
                               ("resolution",), "same picture", rejected_in_xmp=True),
               DuplicateMember("/p/c.jpg", 150, 100, 4000, "JPEG", "2024-05-01T10:00:00", 2400.0, False,
                               ("resolution",), "same picture"))
    decisions = Decisions([DuplicateGroup("same", members, ("the highest resolution",))])
    assert [m.path for m in decisions.rejected()] == ["/p/b.jpg"]
    view = DuplicatesView(30)
    qtbot.addWidget(view)
    view.show_groups(decisions, "1 group")
    cards = {card.member.path: card for row in view.rows for card in row.cards}
    assert cards["/p/b.jpg"].reject_button.isChecked() and "Rejected in XMP" in cards["/p/b.jpg"].suggestion.text()
    assert cards["/p/c.jpg"].keep_button.isChecked()
