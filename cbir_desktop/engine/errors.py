"""Typed engine errors whose `str()` is a sentence a person can act on."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


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
            f"The library catalogue {display_path(path)} is damaged ({detail}); run `cbir repair` "
            "(or Repair in the window) to restore it from its backups and rebuild the rest."
        )


class LibraryNotFound(EngineError):
    """A library folder was named that holds no catalogue."""


class FolderNotFound(EngineError):
    """A folder to index does not exist or is not a folder."""


class NotInLibrary(EngineError):
    """A file was named that the library has not indexed (its folder is not added, or not yet indexed)."""


class UnknownWord(EngineError):
    """A text query has no word the vocabulary knows."""

    def __init__(self, text: str, suggestions: list[str], best: str | None = None) -> None:
        self.text = text
        self.suggestions = suggestions
        self.best = best  # the one suggestion clearly meant, searched at once by the shells
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"No known word in {text!r}.{hint}")


def display_path(path: str) -> str:
    """Return `path` printable on one line of any terminal: undecodable bytes as \\xNN,
    control characters (a newline in a file name) as \\n, \\t, \\x1b..."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


class SidecarUnreadable(EngineError):
    """An XMP sidecar exists but is not readable XMP: it is left untouched, never overwritten."""

    def __init__(self, path: str | os.PathLike[str], detail: str) -> None:
        self.path = os.fspath(path)
        self.detail = detail
        super().__init__(f"The XMP sidecar {display_path(self.path)} is damaged ({detail}); it was left as it is. "
                         "Fix it or move it away, then write the tags again.")


class LibraryReadOnly(EngineError):
    """The library is on read-only media or not writable by this user: search works, changes do not."""


class LibraryBusy(EngineError):
    """Another process is writing to the library (indexing, learning, repairing)."""


class DiskFull(EngineError):
    """The disk holding the library (or a sidecar) is full; what was committed is kept."""


@contextmanager
def sentences(catalogue: str) -> Iterator[None]:
    """Turn what the OS and SQLite raise into an EngineError sentence (the shells' one funnel
    shows those), keeping the original as its cause. `catalogue` names the library's file."""
    try:
        yield
    except EngineError:
        raise
    except sqlite3.DatabaseError as exc:
        raise _database_sentence(exc, catalogue) from exc
    except OSError as exc:
        raise _os_sentence(exc) from exc


def _database_sentence(exc: sqlite3.DatabaseError, catalogue: str) -> EngineError:
    text = str(exc)
    if "full" in text:
        return DiskFull(_DISK_FULL.format(where=display_path(catalogue)))
    if "readonly" in text or "read-only" in text:
        return LibraryReadOnly(f"The library catalogue {display_path(catalogue)} is read-only; "
                               "searching works, changes cannot be saved.")
    if "locked" in text or "busy" in text:
        return LibraryBusy(f"The library catalogue {display_path(catalogue)} stayed locked by another "
                           "program for 30 s; try again when it is done.")
    return CatalogueDamaged(catalogue, text)


_DISK_FULL = ("The disk is full (writing {where}). Everything finished before it is kept; "
              "free some space and run the same command again to continue.")


def _os_sentence(exc: OSError) -> EngineError:
    where = display_path(os.fsdecode(exc.filename)) if exc.filename else "the library"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(_DISK_FULL.format(where=where))
    if exc.errno == errno.EROFS:
        return LibraryReadOnly(f"Cannot write {where}: it is on read-only media.")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return EngineError(f"Cannot write {where}: permission denied.")
    return EngineError(f"{exc.strerror or exc}: {where}.")
