"""Undo and redo of tag edits until the app closes. No Qt and no engine calls: the window
asks which edit to undo or redo next, runs it in a worker, and says how that went."""

from __future__ import annotations

from ..engine.types import TagEdit

__all__ = ["TagHistory", "describe"]

_VERBS = ((True, "confirmed"), (False, "rejected"), (None, "cleared"))


class TagHistory:
    """Two stacks of `TagEdit`s, done and undone; one undo or redo is in flight at a time."""

    def __init__(self) -> None:
        self._done: list[TagEdit] = []
        self._undone: list[TagEdit] = []
        self._moving: tuple[str, TagEdit] | None = None  # ("undo" | "redo", the edit) while in flight

    @property
    def can_undo(self) -> bool:
        return bool(self._done) and self._moving is None

    @property
    def can_redo(self) -> bool:
        return bool(self._undone) and self._moving is None

    def next_undo(self) -> TagEdit | None:
        """The edit an undo would put back (None: nothing to undo)."""
        return self._done[-1] if self._done else None

    def next_redo(self) -> TagEdit | None:
        return self._undone[-1] if self._undone else None

    def record(self, edit: TagEdit) -> None:
        """A new edit the user made: it can be undone, and what was undone can no longer be redone.
        An edit that changed nothing (confirming a confirmed tag) is not worth an undo."""
        if not edit.changed:
            return
        self._done.append(edit)
        self._undone.clear()
        if self._moving is not None and self._moving[0] == "undo":
            self._moving = ("undo, then edited", self._moving[1])  # its redo went with the new edit

    def start_undo(self) -> TagEdit:
        """Take the edit to undo; `finish` says whether the engine did it."""
        if not self.can_undo:
            raise RuntimeError("nothing to undo, or an undo or redo is still running")
        edit = self._done.pop()
        self._moving = ("undo", edit)
        return edit

    def start_redo(self) -> TagEdit:
        if not self.can_redo:
            raise RuntimeError("nothing to redo, or an undo or redo is still running")
        edit = self._undone.pop()
        self._moving = ("redo", edit)
        return edit

    def finish(self, ok: bool) -> None:
        """The running undo or redo ended. Done: the edit moves to the other stack. Failed: it is
        dropped (the engine changed nothing, and an edit on photos that left the library can
        never apply again, so keeping it would block every undo below it)."""
        if self._moving is None:
            return
        direction, edit = self._moving
        self._moving = None
        if ok and direction == "undo":
            self._undone.append(edit)
        elif ok and direction == "redo":
            self._done.append(edit)


def describe(edit: TagEdit) -> str:
    """What `edit` did, in words: "rejected 'dalmatian' on 3 photos"."""
    parts = []
    for state, verb in _VERBS:
        tags = dict.fromkeys(c.tag for c in edit.changes if c.after is state)
        if tags:
            parts.append(f"{verb} {', '.join(repr(t) for t in tags)}")
    photos = len({c.path for c in edit.changes})
    return f"{' and '.join(parts) or 'nothing'} on {photos} photo{'s' if photos != 1 else ''}"
