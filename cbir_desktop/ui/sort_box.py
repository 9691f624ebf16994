"""The results' order: best match first (relevance) or newest first (date), beside the size slider.

It only shows the order and says when a person changes it; the window remembers it and
searches again (the engine's `sort_hits` does the ordering).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox

__all__ = ["SORTS", "SortBox"]

SORTS = (("relevance", "Best match"), ("date", "Newest"))  # the engine's sort names, as shown


class SortBox(QComboBox):
    """How content searches are ordered; filters alone and the library list newest first."""

    sort_changed = Signal(str)  # a person chose an order: "relevance" or "date"

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("sort")
        self.setToolTip("Order of the results")
        for value, text in SORTS:
            self.addItem(text, value)
        self.activated.connect(lambda _index: self.sort_changed.emit(self.sort()))
        self.set_sort_enabled(True)

    def sort(self) -> str:
        return str(self.currentData())

    def set_sort(self, value: str) -> None:
        """Show `value` ("relevance" or "date") as the order (an unknown one: the first)."""
        self.setCurrentIndex(max(0, self.findData(value)))

    def set_sort_enabled(self, enabled: bool) -> None:
        """The order applies to content searches; photos listed without one are newest first."""
        self.setEnabled(enabled)
        self.setToolTip("Order of the results" if enabled else
                        "Photos listed without a search (filters alone, the library) are shown newest first")
