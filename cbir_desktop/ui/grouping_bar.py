"""Above the library view: how its photos are grouped, Timeline (by month), Folders or Places,
as a row of three buttons of which one is down."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QWidget

__all__ = ["GROUPING_NAMES", "GroupingBar"]

GROUPING_NAMES = {"month": "Timeline", "folder": "Folders", "place": "Places"}  # engine grouping -> button


class GroupingBar(QWidget):
    """Timeline | Folders | Places; says which the person chose."""

    grouping_chosen = Signal(str)  # "month", "folder" or "place"

    def __init__(self, grouping: str = "month") -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)  # the buttons touch: one control
        self.buttons: dict[str, QToolButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        for key, name in GROUPING_NAMES.items():
            button = QToolButton()
            button.setText(name)
            button.setCheckable(True)
            button.setAutoRaise(False)
            button.setToolTip(f"Group the library's photos: {name.lower()}")
            button.clicked.connect(lambda _checked=False, key=key: self._on_button_clicked(key))
            self._group.addButton(button)
            layout.addWidget(button)
            self.buttons[key] = button
        layout.addStretch(1)
        self.set_grouping(grouping)

    def grouping(self) -> str:
        return next(key for key, button in self.buttons.items() if button.isChecked())

    def set_grouping(self, grouping: str) -> None:
        """Show `grouping` as chosen (no signal)."""
        self.buttons[grouping if grouping in self.buttons else "month"].setChecked(True)

    def _on_button_clicked(self, key: str) -> None:
        self.grouping_chosen.emit(key)
