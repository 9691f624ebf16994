"""Walking photo folders: image files with their size and mtime, and what went wrong.

Hidden folders and files (dot-names) are skipped; a temporary file of ours that a
killed writer left beside a photo (a half-written XMP sidecar) is removed on the way.
Folder symlinks are followed, but a link back into a folder being walked is reported
as a loop, never entered.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..files import TEMP_SUFFIX, remove_orphan
from ..photos.formats import is_photo_name


@dataclass(frozen=True)
class ScannedFile:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanProblem:
    """A path the walk could not read; it is reported, never fatal."""

    path: str
    reason: str


def walk(
    folder: str, cancelled: Callable[[], bool] = lambda: False
) -> Iterator[ScannedFile | ScanProblem]:
    """Yield every photo file under `folder` and every problem met on the way."""
    root = os.path.abspath(folder)
    try:
        st = os.stat(root)
    except OSError as exc:
        yield ScanProblem(root, _os_reason(exc))
        return
    yield from _walk_dir(root, ((st.st_dev, st.st_ino),), set(), cancelled)


def _walk_dir(  # noqa: C901 - each branch is one kind of directory entry (link, loop, hidden, error)
    folder: str,
    ancestors: tuple[tuple[int, int], ...],
    seen: set[tuple[int, int]],
    cancelled: Callable[[], bool],
) -> Iterator[ScannedFile | ScanProblem]:
    if cancelled():
        return
    try:
        with os.scandir(folder) as entries:
            listing = list(entries)
    except OSError as exc:
        yield ScanProblem(folder, f"cannot list folder: {_os_reason(exc)}")
        return
    subfolders: list[tuple[str, tuple[int, int]]] = []
    for entry in listing:
        if entry.name.startswith("."):
            if entry.name.endswith(TEMP_SUFFIX):
                remove_orphan(entry.path)
            continue
        try:
            if entry.is_dir():
                st = entry.stat()
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    yield ScanProblem(entry.path, "symbolic link loop (links back to a parent folder)")
                elif key not in seen:  # a folder reachable twice is walked once
                    seen.add(key)
                    subfolders.append((entry.path, key))
            elif is_photo_name(entry.name):
                if entry.is_symlink() and not entry.is_file():
                    os.stat(entry.path)  # raises with the reason (loop, dangling)
                if entry.is_file():
                    st = entry.stat()
                    yield ScannedFile(entry.path, st.st_size, st.st_mtime_ns)
        except OSError as exc:
            yield ScanProblem(entry.path, _os_reason(exc))
    for path, key in sorted(subfolders):
        yield from _walk_dir(path, (*ancestors, key), seen, cancelled)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "missing (a dangling link or a file deleted during the scan)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)
