"""The Filter button and its menu: the pickers of `pickers.py` as a QMenu, with a From/To range.

It only shows what `picker_sections` built and says what was chosen (signals): the window
asks the engine for the counts in a worker and runs the search.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QDate, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPalette, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from .pickers import PickerEntry, PickerSection

__all__ = ["FilterButton", "FilterMenu", "funnel_icon"]


class FilterMenu(QMenu):
    """One submenu per picker; an entry's count sits on the right (the shortcut column)."""

    term_chosen = Signal(str)  # an entry (or the From/To range) to add to the query
    term_unchosen = Signal(str)  # a checked entry: that filter is taken away

    def __init__(self, sections: Sequence[PickerSection], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filter_menu")
        for section in sections:
            menu = self.addMenu(section.title)
            menu.setObjectName(f"picker_{section.key}")
            for entry in section.entries:
                self._add(menu, entry)
            if section.key == "year" and section.first_day and section.last_day:
                if section.entries:
                    menu.addSeparator()
                menu.addAction(self._range_action(menu, section.first_day, section.last_day))
            if section.more:
                hint = menu.addAction(f"{section.more:,} more: type {section.key}:NAME in the search")
                hint.setEnabled(False)
            menu.setEnabled(bool(section.entries) or section.key == "year" and bool(section.first_day))

    def _add(self, menu: QMenu, entry: PickerEntry) -> None:
        text = f"{entry.text}\t{entry.count:,}"
        if entry.within:
            sub = menu.addMenu(text)
            for inner in entry.within:
                self._add(sub, inner)
                if inner is entry.within[0] and len(entry.within) > 1:
                    sub.addSeparator()  # the whole year (or country), then its parts
            return
        action = menu.addAction(text)
        action.setCheckable(entry.chosen)  # only a chosen entry shows a box: its check mark
        action.setChecked(entry.chosen)
        action.setData(entry.term)
        signal = self.term_unchosen if entry.chosen else self.term_chosen
        action.triggered.connect(lambda _checked=False, term=entry.term: signal.emit(term))

    def _range_action(self, menu: QMenu, first: str, last: str) -> QAction:
        """"From… To…": two date edits within the library's dates, and a button that adds the range."""
        box = QWidget(menu)
        box.setObjectName("date_range")
        form = QFormLayout(box)
        form.setContentsMargins(24, 4, 12, 4)
        low, high = QDate.fromString(first, Qt.DateFormat.ISODate), QDate.fromString(last, Qt.DateFormat.ISODate)
        self.since_edit, self.until_edit = QDateEdit(low), QDateEdit(high)
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDateRange(low, high)
        form.addRow("From", self.since_edit)
        form.addRow("To", self.until_edit)
        self.range_button = QPushButton("Show these dates")
        self.range_button.clicked.connect(self._on_range_button_clicked)
        form.addRow(self.range_button)
        action = QWidgetAction(menu)
        action.setDefaultWidget(box)
        return action

    def _on_range_button_clicked(self) -> None:
        since, until = sorted((self.since_edit.date(), self.until_edit.date()))
        iso = Qt.DateFormat.ISODate
        self.term_chosen.emit(f"from:{since.toString(iso)} to:{until.toString(iso)}")
        self.close()


class FilterButton(QToolButton):
    """"Filter" with a funnel: asks for the pickers (`wanted`), then shows them under itself."""

    wanted = Signal()  # clicked: the window fetches the counts, then calls `show_pickers`

    def __init__(self) -> None:
        super().__init__()
        self.setText("Fi&lter")
        self.setToolTip("Narrow the search by date, place, camera, lens, type or GPS (Alt+L)")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setIcon(funnel_icon(self.palette().color(QPalette.ColorRole.ButtonText)))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it; Space opens the pickers
        self.clicked.connect(self.wanted)
        self.menu_: FilterMenu | None = None

    def show_pickers(self, sections: Sequence[PickerSection]) -> FilterMenu:
        """Pop the pickers up under the button (keyboard focus goes to the menu)."""
        if self.menu_ is not None:
            self.menu_.deleteLater()
        self.menu_ = FilterMenu(sections, self)
        self.menu_.popup(self.mapToGlobal(self.rect().bottomLeft()))
        return self.menu_


def funnel_icon(colour: QColor, side: int = 16) -> QIcon:
    """A filter funnel drawn in `colour` (no icon theme is needed, so it shows everywhere)."""
    pixmap = QPixmap(side * 2, side * 2)  # drawn at twice the size: sharp on HiDPI screens
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    s = side * 2 / 16
    painter.drawPolygon(QPolygonF([QPointF(x * s, y * s) for x, y in
                                   ((1.5, 2.5), (14.5, 2.5), (9.5, 8.5), (9.5, 14), (6.5, 12.5), (6.5, 8.5))]))
    painter.end()
    return QIcon(pixmap)
