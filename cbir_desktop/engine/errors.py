"""Typed engine errors whose `str()` is a sentence a person can act on."""

from __future__ import annotations

import os


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""


class ImageUnreadable(EngineError):
    """A file could not be decoded as a photo; `reason` says why in a few words."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"Cannot read {display_path(self.path)}: {reason}.")


class ImageTooLarge(ImageUnreadable):
    """A photo is over the pixel limit (a guard against decompression bombs)."""

    def __init__(self, path: str | os.PathLike[str], pixels: int, limit: int) -> None:
        self.pixels = pixels
        self.limit = limit
        super().__init__(
            path,
            f"{pixels / 1e6:.0f} MP is over the {limit / 1e6:.0f} MP limit",
        )


class ModelLoadError(EngineError):
    """A model file is missing, damaged or does not fit the model contract."""


class CatalogueTooNew(EngineError):
    """The library was written by a newer cbir-desktop than this one."""

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"This library uses catalogue version {found}, but this program reads up to "
            f"version {supported}; install a newer cbir-desktop."
        )


class CatalogueDamaged(EngineError):
    """The catalogue file is not a readable SQLite database."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        super().__init__(
            f"The library catalogue {path} cannot be read ({detail}); restore it from a backup "
            "or move it away and index your folders again."
        )


class LibraryNotFound(EngineError):
    """A library folder was named that holds no catalogue."""


class FolderNotFound(EngineError):
    """A folder to index does not exist or is not a folder."""


class UnknownWord(EngineError):
    """A text query has no word the vocabulary knows."""

    def __init__(self, text: str, suggestions: list[str]) -> None:
        self.text = text
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"No known word in {text!r}.{hint}")


def display_path(path: str) -> str:
    """Return `path` printable on any terminal (undecodable bytes escaped)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class SidecarUnreadable(EngineError):
    """An XMP sidecar exists but is not readable XMP: it is left untouched, never overwritten."""

    def __init__(self, path: str | os.PathLike[str], detail: str) -> None:
        self.path = os.fspath(path)
        super().__init__(f"The XMP sidecar {display_path(self.path)} is damaged ({detail}); it was left as it is. "
                         "Fix it or move it away, then write the tags again.")


class LibraryReadOnly(EngineError):
    """The library is on read-only media or not writable by this user: search works, changes do not."""


class LibraryBusy(EngineError):
    """Another process is writing to the library (indexing, learning, repairing)."""


class DiskFull(EngineError):
    """The disk holding the library (or a sidecar) is full; what was committed is kept."""
