"""Light and dark appearance: the Fusion style with a palette that follows the system's colour scheme.

Fusion draws every widget from the palette, so one `QPalette` decides the whole look on every
platform; native styles ignore parts of it. The widgets take their colours from the palette
(`palette(mid)` in style sheets, `QPalette` roles in the delegate), never from literals, so a
switch repaints everything.

Which scheme: `$CBIR_APPEARANCE`, else the `appearance` setting, each `system`, `light` or `dark`.
`system` asks Qt (`QStyleHints.colorScheme`, live through `colorSchemeChanged`); where Qt runs
without a platform theme and says Unknown, a `GTK_THEME` ending in `:dark` (or `-dark`), then the freedesktop
portal's `color-scheme`, decide; light otherwise.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from .settings import APPEARANCE

__all__ = ["ENV", "MODES", "Appearance", "make_palette", "portal_color_scheme", "requested_mode",
           "system_is_dark"]

log = logging.getLogger(__name__)

ENV = "CBIR_APPEARANCE"
MODES = ("system", "light", "dark")
PORTAL_TIMEOUT_MS = 300  # one call at start-up; a missing or hung portal must not delay the window

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

# Fusion's own light palette (QStyleFactory.create("Fusion").standardPalette() in Qt 6.9), written
# out so "light" stays light even where Qt would hand Fusion a dark one. Two changes: Highlight
# #308cc6 -> #2a7ab0, so white selected text reaches contrast 4.5 (from 3.7), and a darker link,
# readable on the selected thumbnail's tint (Highlight.lighter(160)) as well as on Base.
LIGHT = {
    Role.Window: "#efefef", Role.WindowText: "#000000", Role.Base: "#ffffff", Role.AlternateBase: "#f7f7f7",
    Role.ToolTipBase: "#ffffdc", Role.ToolTipText: "#000000", Role.PlaceholderText: "#767676",
    Role.Text: "#000000", Role.Button: "#efefef", Role.ButtonText: "#000000", Role.BrightText: "#ffffff",
    Role.Light: "#ffffff", Role.Midlight: "#cacaca", Role.Mid: "#b8b8b8", Role.Dark: "#9f9f9f",
    Role.Shadow: "#767676", Role.Highlight: "#2a7ab0", Role.HighlightedText: "#ffffff",
    Role.Link: "#0b4f9e", Role.LinkVisited: "#6b2fa0", Role.Accent: "#2a7ab0",
}
LIGHT_DISABLED = {
    Role.WindowText: "#bebebe", Role.Text: "#bebebe", Role.ButtonText: "#bebebe", Role.Base: "#efefef",
    Role.Highlight: "#919191", Role.Accent: "#919191", Role.Dark: "#bebebe", Role.Shadow: "#b1b1b1",
    Role.PlaceholderText: "#bebebe",
}
# Dark: text #e8e8e8 on #2d2d2d windows and #1f1f1f lists. The delegate paints a selected
# thumbnail on Highlight.lighter(160); this navy keeps that tint dark enough for the caption
# (contrast 4.5) and the tags in Link colour (3.6), which tests/ui/test_appearance.py checks.
DARK = {
    Role.Window: "#2d2d2d", Role.WindowText: "#e8e8e8", Role.Base: "#1f1f1f", Role.AlternateBase: "#282828",
    Role.ToolTipBase: "#3b3b3b", Role.ToolTipText: "#e8e8e8", Role.PlaceholderText: "#8f8f8f",
    Role.Text: "#e8e8e8", Role.Button: "#383838", Role.ButtonText: "#e8e8e8", Role.BrightText: "#ffffff",
    Role.Light: "#4f4f4f", Role.Midlight: "#434343", Role.Mid: "#626262", Role.Dark: "#1b1b1b",
    Role.Shadow: "#0e0e0e", Role.Highlight: "#26416c", Role.HighlightedText: "#ffffff",
    Role.Link: "#b3d1ff", Role.LinkVisited: "#d7b8ff", Role.Accent: "#3d68ad",
}
DARK_DISABLED = {
    Role.WindowText: "#7b7b7b", Role.Text: "#7b7b7b", Role.ButtonText: "#7b7b7b", Role.Base: "#2d2d2d",
    Role.Highlight: "#474747", Role.Accent: "#474747", Role.HighlightedText: "#bdbdbd",
    Role.PlaceholderText: "#6a6a6a",
}


def make_palette(dark: bool) -> QPalette:
    """The whole palette for one scheme, every role in every group set (so nothing falls back to the theme's)."""
    colours, disabled = (DARK, DARK_DISABLED) if dark else (LIGHT, LIGHT_DISABLED)
    palette = QPalette()
    for group in (Group.Active, Group.Inactive, Group.Disabled):
        for role, colour in colours.items():
            palette.setColor(group, role, QColor(colour))
    for role, colour in disabled.items():
        palette.setColor(Group.Disabled, role, QColor(colour))
    return palette


def requested_mode(settings: QSettings | None, environ: Mapping[str, str] = os.environ) -> str:
    """`system`, `light` or `dark`: the environment's choice, else the setting's; anything else is `system`."""
    for source, value in ((ENV, environ.get(ENV)), (APPEARANCE, settings.value(APPEARANCE) if settings else None)):
        if value is None or str(value).strip() == "":
            continue
        mode = str(value).strip().lower()
        if mode in MODES:
            return mode
        log.warning("%s=%r is not one of %s; following the system", source, value, ", ".join(MODES))
        return "system"
    return "system"


def portal_color_scheme(timeout_ms: int = PORTAL_TIMEOUT_MS) -> Qt.ColorScheme:
    """The freedesktop portal's `org.freedesktop.appearance color-scheme` (1 dark, 2 light); Unknown without one.

    Qt's GTK and portal platform themes read it themselves; this covers sessions where Qt runs
    with neither (a window manager without a desktop, the offscreen and xcb plugins alone).
    Blocks for at most `timeout_ms`; a local D-Bus call, nothing leaves the machine.
    """
    if not sys.platform.startswith("linux") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return Qt.ColorScheme.Unknown
    from PySide6.QtDBus import QDBus, QDBusConnection, QDBusMessage

    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return Qt.ColorScheme.Unknown
    # ReadOne is the portal's current call; Read (deprecated) is what portals before 2023 have.
    for method in ("ReadOne", "Read"):
        call = QDBusMessage.createMethodCall("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                                             "org.freedesktop.portal.Settings", method)
        call.setArguments(["org.freedesktop.appearance", "color-scheme"])
        reply = bus.call(call, QDBus.CallMode.Block, timeout_ms)
        if reply.type() == QDBusMessage.MessageType.ReplyMessage and reply.arguments():
            return scheme_from_portal(reply.arguments()[0])
        if reply.errorName() != "org.freedesktop.DBus.Error.UnknownMethod":
            break  # no portal, or no such setting: Read would fail the same way
    return Qt.ColorScheme.Unknown


def scheme_from_portal(value: object) -> Qt.ColorScheme:
    """The portal's answer (a number, possibly in nested D-Bus variants) as a Qt colour scheme."""
    for _ in range(3):  # Read wraps the value in one variant more than ReadOne
        if hasattr(value, "variant"):
            value = value.variant()
    if value == 1:
        return Qt.ColorScheme.Dark
    if value == 2:
        return Qt.ColorScheme.Light
    return Qt.ColorScheme.Unknown  # 0: no preference


def system_is_dark(scheme: Qt.ColorScheme, environ: Mapping[str, str] = os.environ,
                   portal: Callable[[], Qt.ColorScheme] = portal_color_scheme) -> bool:
    """Whether the system asks for dark: Qt's `scheme` when known, else GTK_THEME, else the portal."""
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    gtk_theme = environ.get("GTK_THEME", "")
    if gtk_theme:
        return gtk_theme.lower().endswith(":dark") or gtk_theme.lower().endswith("-dark")
    return portal() == Qt.ColorScheme.Dark


class Appearance(QObject):
    """Keeps the application's style and palette on the requested scheme, switching live in `system` mode."""

    changed = Signal(bool)  # dark or not, once the new palette is set

    def __init__(self, parent: QObject | None, mode: str = "system",
                 portal: Callable[[], Qt.ColorScheme] = portal_color_scheme) -> None:
        super().__init__(parent)  # the application: lives as long as it does
        self._portal = portal
        self._portal_scheme: Qt.ColorScheme | None = None  # asked once, only if Qt cannot tell
        self.mode = mode if mode in MODES else "system"
        self.dark = False
        self._applied = False
        QApplication.setStyle("Fusion")
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)
        self._apply(QGuiApplication.styleHints().colorScheme())

    def set_mode(self, mode: str) -> None:
        """Follow `mode` (`system`, `light`, `dark`) from now on."""
        self.mode = mode if mode in MODES else "system"
        self._apply(QGuiApplication.styleHints().colorScheme())

    @Slot(Qt.ColorScheme)
    def _on_style_hints_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        if self.mode == "system":
            self._apply(scheme)

    def _apply(self, scheme: Qt.ColorScheme) -> None:
        if self.mode == "system":
            dark = system_is_dark(scheme, portal=self._cached_portal)
        else:
            dark = self.mode == "dark"
        if dark == self.dark and self._applied:
            return
        self.dark, self._applied = dark, True
        QApplication.setPalette(make_palette(dark))
        self._repolish_style_sheets()
        log.info("appearance: %s (%s mode, Qt says %s)", "dark" if dark else "light", self.mode, scheme.name)
        self.changed.emit(dark)

    def _repolish_style_sheets(self) -> None:
        """Widgets with a style sheet (the word chips) resolved its palette() colours when polished and
        keep them through a palette change: polish them again, or a live switch leaves black text on dark."""
        for widget in QApplication.allWidgets():
            if widget.styleSheet():
                widget.style().unpolish(widget)
                widget.style().polish(widget)
                widget.update()

    def _cached_portal(self) -> Qt.ColorScheme:
        if self._portal_scheme is None:
            self._portal_scheme = self._portal()
        return self._portal_scheme
