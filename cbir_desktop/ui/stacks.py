"""Bursts stacked in the library view (View → Stack bursts): the setting, and finding the
bursts in a worker, once, until the library changes. The grid's model folds the rows
(`ResultsModel.set_stacks`); this module only says which bursts there are and when."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from ..engine.api import Library
from ..engine.types import BurstStack, StackMark
from .ops import SerialOp
from .results_model import ResultsModel

__all__ = ["STACK_BURSTS", "BurstStacks", "stack_bursts", "stack_status"]

STACK_BURSTS = "stack_bursts"  # the library view shows each burst as one photo with a count (off by default)


def stack_bursts(settings: QSettings) -> bool:
    """Whether bursts are stacked; an INI file gives back "true"/"false" as text."""
    return str(settings.value(STACK_BURSTS, "false")).lower() in ("true", "1")


def stack_status(mark: StackMark) -> str:
    """The status line for a stack's photo: what it is, and how to open or close it."""
    if mark.is_top and not mark.expanded:
        return f"Burst of {mark.count} photos: click its count or press S to expand the stack."
    what = f"Burst of {mark.count} photos" if mark.is_top else f"Photo {mark.place} of a burst of {mark.count}"
    return f"{what}: click the count or press S to collapse the stack."


class BurstStacks(QObject):
    """The View menu's "Stack bursts" and the bursts it stacks, found in a worker."""

    stacks_shown = Signal(object)  # list[BurstStack], or None when stacking went off, once the grid shows it
    status = Signal(str)  # for the main status bar

    def __init__(self, parent: QWidget, library: Library, results: ResultsModel, settings: QSettings) -> None:
        super().__init__(parent)
        self.results = results
        self.settings = settings
        self._stacks: list[BurstStack] | None = None  # the library's bursts, until it changes
        self._announce = False  # the person turned stacking on: say what was found
        self._find = SerialOp(self, library.burst_stacks, on_result=self._on_found,
                              on_error=lambda exc: self.status.emit(f"Could not find bursts: {exc}"),
                              drop_superseded=True)
        self.action = QAction("Stack &bursts", parent)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.action.setStatusTip("Show each burst as its best shot with a count; click the count to expand it.")
        self.action.setChecked(stack_bursts(settings))
        self.action.toggled.connect(self._on_action_toggled)
        if self.action.isChecked():
            self._find.request()

    @property
    def on(self) -> bool:
        return self.action.isChecked()

    def library_changed(self) -> None:
        """Photos came, went or changed: the bursts are found again (while stacking is on)."""
        self._stacks = None
        if self.on:
            self._find.request()

    def _on_action_toggled(self, on: bool) -> None:
        self.settings.setValue(STACK_BURSTS, on)
        if not on:
            self._find.discard()
            self.results.set_stacks(None)
            self.status.emit("Bursts unstacked: every photo shown.")
            self.stacks_shown.emit(None)
        elif self._stacks is not None:
            self._show(self._stacks, announce=True)
        else:
            self._announce = True
            self.status.emit("Finding bursts…")
            self._find.request()

    def _on_found(self, stacks: list[BurstStack]) -> None:
        self._stacks = stacks
        if self.on:
            self._show(stacks, self._announce)
        self._announce = False

    def _show(self, stacks: list[BurstStack], announce: bool) -> None:
        self.results.set_stacks(stacks)
        if announce:
            shots = sum(s.count for s in stacks)
            self.status.emit(f"{len(stacks)} burst{'s' if len(stacks) != 1 else ''} stacked ({shots} photos)."
                             if stacks else "No bursts found: shots of one camera within the series window.")
        self.stacks_shown.emit(stacks)
