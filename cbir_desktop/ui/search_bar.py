"""The search bar: the query field, "Search by photo…", the Filter pickers, completions,
filter chips and similar-word chips.

It only shows and asks (signals); the window runs the searches.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QCompleter, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from .chips import ChipRow
from .file_dialogs import choose_photo
from .filter_menu import FilterButton, FilterMenu
from .pickers import PickerSection

__all__ = ["QueryField", "SearchBar"]

FILTER_MARK = "  ✕"  # on a filter chip: a click takes the filter away
COMPLETION_DEBOUNCE_MS = 250  # ask for completions once typing pauses


class QueryField(QLineEdit):
    """The query's line edit; the paste key asks first, since an image on the clipboard is a query too."""

    paste_requested = Signal()  # the paste key: whoever holds the clipboard's meaning answers

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_requested.emit()  # plain text comes back through paste()
        else:
            super().keyPressEvent(event)


class SearchBar(QWidget):
    """A query field with completions, a photo picker and a row of word chips."""

    text_submitted = Signal(str)  # Enter on a non-empty query: words, or a path
    photo_chosen = Signal(str)  # a file picked with "Search by photo…"
    word_clicked = Signal(str)  # a chip
    completions_wanted = Signal(str)  # typing paused on this prefix
    paste_requested = Signal()  # the paste key in the field: an image searches, text pastes (`field.paste()`)
    filter_removed = Signal(str)  # a filter chip clicked: search again without that key:value term
    cleared = Signal()  # the person emptied the field (its clear button, or deleting the text)
    filters_wanted = Signal()  # the Filter button: the window fetches the pickers' counts (`show_pickers`)
    filter_added = Signal(str)  # a picker's choice: search again with this key:value term too

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.field = QueryField()
        self.field.paste_requested.connect(self.paste_requested)
        self.field.setPlaceholderText("Type a word and press Enter, or drop a photo here")
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(32)  # in a narrow window the field gives way first; the buttons keep their words
        self.field.returnPressed.connect(self._on_field_return_pressed)
        self.field.textEdited.connect(self._on_field_text_edited)
        self.completer = QCompleter([], self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.activated[str].connect(self._on_completer_activated)
        self._names: list[str] = []  # people's names: offered first, and choosing one searches it
        self.field.setCompleter(self.completer)
        row.addWidget(self.field, 1)
        self.open_button = QPushButton("Search by photo…")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        row.addWidget(self.open_button)
        self.filter_button = FilterButton()
        self.filter_button.wanted.connect(self.filters_wanted)
        row.addWidget(self.filter_button)
        layout.addLayout(row)
        # The query's key:value filters, each a chip that takes it away ("place:lisbon ✕").
        self.filter_chips = ChipRow(lambda chip: self.filter_removed.emit(chip.removesuffix(FILTER_MARK)))
        self.filter_chips.setObjectName("filter_chips")
        layout.addWidget(self.filter_chips)
        self.chips = ChipRow(self.word_clicked.emit)  # wraps onto more lines in a narrow window
        layout.addWidget(self.chips)
        self._searched_text = ""
        self._completion_timer = QTimer(self, singleShot=True, interval=COMPLETION_DEBOUNCE_MS)
        self._completion_timer.timeout.connect(self._on_completion_timer_timeout)

    def text(self) -> str:
        return self.field.text()

    def set_query(self, text: str) -> None:
        """Show `text` as the query being searched: no completions are offered for it."""
        self.field.setText(text)
        self._searched_text = text
        self._completion_timer.stop()
        self.completer.popup().hide()

    def show_chips(self, words: list[str]) -> None:
        self.chips.set_words(words)

    def show_filters(self, terms: Sequence[str]) -> None:
        """The filters of the query searched, as chips that each take one away."""
        self.filter_chips.set_words([term + FILTER_MARK for term in terms])

    def filter_terms(self) -> list[str]:
        return [chip.removesuffix(FILTER_MARK) for chip in self.filter_chips.words()]

    def show_pickers(self, sections: list[PickerSection]) -> FilterMenu:
        """Pop the Filter menu up under its button, built from `sections` (pickers.py)."""
        menu = self.filter_button.show_pickers(sections)
        menu.term_chosen.connect(self.filter_added)
        menu.term_unchosen.connect(self.filter_removed)
        return menu

    def chip_words(self) -> list[str]:
        return self.chips.words()

    def set_names(self, names: Sequence[str]) -> None:
        """The people's names, offered (case-insensitive prefix) as soon as the person types."""
        self._names = list(names)

    def names_for(self, prefix: str) -> list[str]:
        """The people's names starting with `prefix`, in any case."""
        folded = prefix.casefold()
        return [name for name in self._names if name.casefold().startswith(folded)] if folded else []

    def show_completions(self, prefix: str, words: list[str]) -> None:
        """Offer `words` for `prefix` (after the people's names that fit it), unless the text
        moved on or was already searched."""
        if self.field.text().strip() != prefix or self._searched_text == self.field.text():
            return
        names = self.names_for(prefix)
        taken = {name.casefold() for name in names}
        words = names + [word for word in words if word.casefold() not in taken]
        model = self.completer.model()
        model.setStringList(words)  # type: ignore[attr-defined]  # typed as the base model; ours is a QStringListModel
        if words and self.field.hasFocus():
            self.completer.complete()

    def _on_field_return_pressed(self) -> None:
        text = self.field.text().strip()
        if text:
            self.text_submitted.emit(text)

    def _on_field_text_edited(self, text: str) -> None:
        if not text:
            self._completion_timer.stop()
            self._searched_text = ""
            self.cleared.emit()
            return
        self._completion_timer.start()
        if self.names_for(text.strip()):  # names are at hand: no need to wait for the words
            self.show_completions(text.strip(), [])

    def _on_completer_activated(self, text: str) -> None:
        """A person's name chosen from the completions searches for them at once."""
        if text.casefold() in {name.casefold() for name in self._names}:
            self.text_submitted.emit(text)

    def _on_completion_timer_timeout(self) -> None:
        prefix = self.field.text().strip()
        if len(prefix) >= 2 and os.sep not in prefix:
            self.completions_wanted.emit(prefix)

    def _on_open_button_clicked(self) -> None:
        choose_photo(self, self.photo_chosen.emit)
