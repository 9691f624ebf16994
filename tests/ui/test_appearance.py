"""Light and dark appearance: forced by the setting or $CBIR_APPEARANCE, or following the system live."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtDBus import QDBusVariant
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QPushButton

from cbir_desktop.ui.appearance import (
    ENV,
    Appearance,
    make_palette,
    requested_mode,
    scheme_from_portal,
    system_is_dark,
)
from cbir_desktop.ui.settings import APPEARANCE

Role = QPalette.ColorRole
NO_PORTAL = lambda: Qt.ColorScheme.Unknown  # noqa: E731 - the portal as a headless test machine has it


def _luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1 (none) to 21 (black on white)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _is_dark(colour: QColor) -> bool:
    return colour.lightnessF() < 0.35


@pytest.fixture
def appearance(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Appearance]]:
    """`appearance(mode)` applies an Appearance to the test QApplication; style and palette come back after."""
    monkeypatch.delenv("GTK_THEME", raising=False)
    monkeypatch.delenv(ENV, raising=False)
    palette, style = qapp.palette(), qapp.style().name()
    made: list[Appearance] = []

    def make(mode: str = "system") -> Appearance:
        made.append(Appearance(qapp, mode, portal=NO_PORTAL))
        return made[-1]

    yield make
    for item in made:
        QGuiApplication.styleHints().colorSchemeChanged.disconnect(item._on_style_hints_color_scheme_changed)
        item.setParent(None)
        item.deleteLater()
    qapp.setStyle(style)
    qapp.setPalette(palette)


def test_forcing_dark_gives_dark_windows_and_lists_with_light_text(appearance, qapp: QApplication) -> None:
    look = appearance("dark")
    palette = qapp.palette()
    assert look.dark and qapp.style().name().lower() == "fusion"
    for background in (Role.Window, Role.Base, Role.Button):
        assert _is_dark(palette.color(background)), background
    for text, on in ((Role.WindowText, Role.Window), (Role.Text, Role.Base), (Role.ButtonText, Role.Button)):
        assert not _is_dark(palette.color(text))
        assert contrast(palette.color(text), palette.color(on)) >= 7, (text, on)


def test_forcing_light_gives_light_windows_and_lists_with_dark_text(appearance, qapp: QApplication) -> None:
    look = appearance("light")
    palette = qapp.palette()
    assert not look.dark
    for background in (Role.Window, Role.Base, Role.Button):
        assert not _is_dark(palette.color(background)), background
    for text, on in ((Role.WindowText, Role.Window), (Role.Text, Role.Base), (Role.ButtonText, Role.Button)):
        assert _is_dark(palette.color(text))
        assert contrast(palette.color(text), palette.color(on)) >= 7, (text, on)


@pytest.mark.parametrize("dark", [False, True])
def test_a_selected_thumbnail_keeps_its_caption_and_tags_readable(dark: bool) -> None:
    # ThumbnailDelegate fills a selected result with Highlight.lighter(160), then writes the
    # caption in Text and the tags in Link on it; in lists, HighlightedText goes on Highlight.
    palette = make_palette(dark)
    selected = palette.color(Role.Highlight).lighter(160)
    assert contrast(palette.color(Role.Text), selected) >= 4.5
    assert contrast(palette.color(Role.Link), selected) >= 3
    assert contrast(palette.color(Role.Link), palette.color(Role.Base)) >= 4.5
    assert contrast(palette.color(Role.HighlightedText), palette.color(Role.Highlight)) >= 4.5
    assert contrast(palette.color(Role.PlaceholderText), palette.color(Role.Base)) >= 3
    disabled = palette.color(QPalette.ColorGroup.Disabled, Role.ButtonText)
    assert disabled != palette.color(Role.ButtonText)  # a disabled button looks disabled


def test_the_palette_follows_a_system_switch_in_an_open_window(appearance, make_window, qtbot) -> None:
    look = appearance("system")
    window = make_window()
    window.search_bar.show_chips(["beach"])
    window.show()
    assert not look.dark and not _is_dark(window.palette().color(Role.Window))
    hints = QGuiApplication.styleHints()
    with qtbot.waitSignal(look.changed, timeout=2000) as changed:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what Qt sends when the desktop switches
    assert changed.args == [True]
    qtbot.waitUntil(lambda: _is_dark(window.palette().color(Role.Window)), timeout=2000)  # widgets hear it posted
    assert _is_dark(window.view.palette().color(Role.Base))
    assert not _is_dark(window.status_label.palette().color(Role.WindowText))
    assert not _is_dark(window.empty_label.palette().color(Role.WindowText))
    chips = [button for button in window.search_bar.findChildren(QPushButton) if button.text() == "beach"]
    assert chips
    assert not _is_dark(chips[0].palette().color(Role.ButtonText))  # style-sheet chips polished again
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not look.dark
    qtbot.waitUntil(lambda: not _is_dark(window.palette().color(Role.Window)), timeout=2000)


def test_a_forced_appearance_ignores_the_system_switching(appearance, qapp: QApplication) -> None:
    look = appearance("dark")
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert look.dark and _is_dark(qapp.palette().color(Role.Window))
    look.set_mode("light")
    assert not look.dark and not _is_dark(qapp.palette().color(Role.Window))


def test_the_environment_beats_the_setting_and_nonsense_means_system(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert requested_mode(settings, {}) == "system"
    settings.setValue(APPEARANCE, "Dark")
    assert requested_mode(settings, {}) == "dark"
    assert requested_mode(settings, {ENV: "light"}) == "light"
    assert requested_mode(settings, {ENV: ""}) == "dark"  # an empty variable is no choice
    assert requested_mode(settings, {ENV: "purple"}) == "system"
    settings.setValue(APPEARANCE, "sepia")
    assert requested_mode(settings, {}) == "system"
    assert requested_mode(None, {ENV: "dark "}) == "dark"


def test_the_system_scheme_comes_from_qt_then_gtk_theme_then_the_portal() -> None:
    def portal(scheme: Qt.ColorScheme) -> Callable[[], Qt.ColorScheme]:
        return lambda: scheme

    dark_portal = portal(Qt.ColorScheme.Dark)
    assert system_is_dark(Qt.ColorScheme.Dark, {}, NO_PORTAL)
    assert not system_is_dark(Qt.ColorScheme.Light, {"GTK_THEME": "Adwaita:dark"}, dark_portal)
    assert system_is_dark(Qt.ColorScheme.Unknown, {"GTK_THEME": "Adwaita:dark"}, NO_PORTAL)
    assert system_is_dark(Qt.ColorScheme.Unknown, {"GTK_THEME": "Adwaita-dark"}, NO_PORTAL)
    assert not system_is_dark(Qt.ColorScheme.Unknown, {"GTK_THEME": "Adwaita"}, dark_portal)
    assert system_is_dark(Qt.ColorScheme.Unknown, {}, dark_portal)
    assert not system_is_dark(Qt.ColorScheme.Unknown, {}, NO_PORTAL)  # nothing known: light


def test_the_portal_answer_is_read_through_its_variants() -> None:
    assert scheme_from_portal(QDBusVariant(1)) == Qt.ColorScheme.Dark
    assert scheme_from_portal(QDBusVariant(QDBusVariant(2))) == Qt.ColorScheme.Light  # the old Read call
    assert scheme_from_portal(QDBusVariant(0)) == Qt.ColorScheme.Unknown
    assert scheme_from_portal("dark") == Qt.ColorScheme.Unknown
