"""The window's settings: each key, its default and its range, in one place.

Widgets that show a setting (the status-bar slider, the Settings dialog) take their
range from here, so a value one of them accepts is never clamped by the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings

from ..engine.api import GROUPINGS

__all__ = ["APPEARANCE", "LIBRARY", "LIBRARY_GROUPING", "PREVIEW_FACES", "RESULTS", "SORT", "THUMBNAIL_SIZE",
           "IntSetting", "library_folder", "library_grouping", "preview_faces", "sort_order"]


@dataclass(frozen=True)
class IntSetting:
    """A whole-number setting kept in `QSettings` under `key`."""

    key: str
    default: int
    minimum: int
    maximum: int

    def clamp(self, value: int) -> int:
        return max(self.minimum, min(self.maximum, value))

    def read(self, settings: QSettings) -> int:
        """The stored value in range; the default when it is missing or not a number."""
        try:  # an INI file gives back text, a value set in this session an int
            return self.clamp(int(str(settings.value(self.key, self.default))))
        except ValueError:  # a hand-edited INI file
            return self.default

    def write(self, settings: QSettings, value: int) -> None:
        settings.setValue(self.key, self.clamp(value))


RESULTS = IntSetting("results", 60, 10, 1000)  # photos per search
# Grid side in pixels. The engine's thumbnails are 512 px, sharp up to 320 px on a HiDPI screen.
THUMBNAIL_SIZE = IntSetting("thumbnail_size", 160, 64, 320)
LIBRARY = "library"  # the library folder used from the next start (empty: the default folder)
LIBRARY_GROUPING = "library_grouping"  # the library view's groups: month (default), folder or place
APPEARANCE = "appearance"  # system (default), light or dark; $CBIR_APPEARANCE overrides it (ui/appearance.py)
SORT = "results_sort"  # how content searches are ordered: relevance (default) or date (newest first)
PREVIEW_FACES = "preview_faces"  # the preview draws face boxes with names (off by default)


def library_folder(settings: QSettings) -> str | None:
    """The library folder chosen in Settings, if any."""
    value = settings.value(LIBRARY)
    return str(value) if value else None


def preview_faces(settings: QSettings) -> bool:
    """Whether the preview shows face boxes; an INI file gives back "true"/"false" as text."""
    return str(settings.value(PREVIEW_FACES, "false")).lower() in ("true", "1")


def library_grouping(settings: QSettings) -> str:
    """How the library view groups its photos (api.GROUPINGS); month when unset or unknown."""
    value = str(settings.value(LIBRARY_GROUPING, "month"))
    return value if value in GROUPINGS else "month"


def sort_order(settings: QSettings) -> str:
    """The order chosen for content searches: "relevance" (the default) or "date"."""
    value = str(settings.value(SORT, "relevance"))
    return value if value in ("relevance", "date") else "relevance"
