"""Undo and redo of tag edits: the history on its own, then Ctrl+Z / Ctrl+Shift+Z in the window."""

from __future__ import annotations

from helpers import search_everything
from PySide6.QtCore import QItemSelectionModel, Qt

from cbir_desktop.engine.types import TagChange, TagEdit
from cbir_desktop.ui.undo import TagHistory, describe


def _edit(tag: str, after: bool | None, paths: tuple[str, ...] = ("/p/a.jpg",), before: bool | None = None) -> TagEdit:
    return TagEdit(tuple(TagChange(p, tag, before, after) for p in paths))


def test_history_undoes_newest_first_and_a_new_edit_clears_redo() -> None:
    history = TagHistory()
    assert not history.can_undo and not history.can_redo
    first, second = _edit("dog", True), _edit("cat", False)
    history.record(first)
    history.record(second)
    assert history.start_undo() is second
    assert not history.can_undo  # one undo or redo in flight at a time
    history.finish(ok=True)
    assert history.can_undo and history.can_redo and history.next_redo() is second
    assert history.start_redo() is second
    history.finish(ok=True)
    assert history.next_undo() is second and not history.can_redo
    history.start_undo()
    history.finish(ok=True)
    history.record(_edit("bird", True))  # a new edit: what was undone can no longer be redone
    assert not history.can_redo


def test_history_ignores_edits_that_changed_nothing_and_drops_an_edit_that_failed() -> None:
    history = TagHistory()
    history.record(_edit("dog", True, before=True))  # confirming a confirmed tag
    assert not history.can_undo
    history.record(_edit("dog", False))
    history.start_undo()
    history.finish(ok=False)  # e.g. its photos left the library: it can never apply again
    assert not history.can_undo and not history.can_redo


def test_a_new_edit_while_an_undo_runs_leaves_nothing_to_redo() -> None:
    history = TagHistory()
    history.record(_edit("dog", True))
    history.start_undo()
    history.record(_edit("cat", True))
    history.finish(ok=True)
    assert not history.can_redo and history.next_undo().changes[0].tag == "cat"


def test_describe_says_what_the_edit_did() -> None:
    assert describe(_edit("dalmatian", False, ("/a", "/b", "/c"))) == "rejected 'dalmatian' on 3 photos"
    both = TagEdit(_edit("dog", True).changes + _edit("puppy", True).changes + _edit("cat", False).changes)
    assert describe(both) == "confirmed 'dog', 'puppy' and rejected 'cat' on 1 photo"


def test_ctrl_z_undoes_a_tag_edit_and_ctrl_shift_z_redoes_it(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    assert not window.undo_action.isEnabled() and not window.redo_action.isEnabled()
    search_everything(window, qtbot, "blue")  # two photos are blue: the weak hits give a third
    selection = window.view.selectionModel()
    for row in range(3):
        selection.select(window.results.index(row), QItemSelectionModel.SelectionFlag.Select)
    paths = window.tag_panel.paths
    assert len(paths) == 3
    qtbot.waitUntil(lambda: window.tag_panel.tag_list.count() > 0, timeout=10000)
    tag = window.tag_panel.shown_tags()[0]
    drawn = [tag in h.tags for h in window.results.hits()[:3]]  # the grid's tags, before the edit
    assert any(drawn)
    window.tag_panel.select_tags([tag])
    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        qtbot.mouseClick(window.tag_panel.reject_button, Qt.MouseButton.LeftButton)
    assert all(window.library.user_tags(p) == {tag: False} for p in paths)
    assert window.undo_action.isEnabled() and not window.redo_action.isEnabled()
    qtbot.waitUntil(lambda: tag not in window.tag_panel.shown_tags(), timeout=10000)
    qtbot.waitUntil(lambda: all(tag not in h.tags for h in window.results.hits()[:3]), timeout=10000)

    window.view.setFocus()
    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert all(window.library.user_tags(p) == {} for p in paths)
    assert window.status_label.text() == f"Undid: rejected '{tag}' on 3 photos"
    assert not window.undo_action.isEnabled() and window.redo_action.isEnabled()
    qtbot.waitUntil(lambda: tag in window.tag_panel.shown_tags(), timeout=10000)  # the panel shows it again
    qtbot.waitUntil(lambda: [tag in h.tags for h in window.results.hits()[:3]] == drawn, timeout=10000)  # the grid

    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        qtbot.keyClick(window.view, Qt.Key.Key_Z,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert all(window.library.user_tags(p) == {tag: False} for p in paths)
    assert window.status_label.text() == f"Redid: rejected '{tag}' on 3 photos"
    assert window.undo_action.isEnabled() and not window.redo_action.isEnabled()
    qtbot.waitUntil(lambda: tag not in window.tag_panel.shown_tags(), timeout=10000)

    # Undo, then a new edit: nothing is left to redo.
    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        window.undo_action.trigger()
    assert window.redo_action.isEnabled()
    with qtbot.waitSignal(window.tags_changed, timeout=10000):
        window.confirm_tags(["spotted"])
    assert not window.redo_action.isEnabled() and window.undo_action.isEnabled()
