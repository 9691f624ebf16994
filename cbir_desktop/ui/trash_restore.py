"""Putting photos back from the freedesktop trash (Linux and other XDG desktops), where
send2trash put them. No Qt and no engine calls: the window reindexes once files are back.

Each trashed file has `info/NAME.trashinfo` beside `files/NAME` in a trash folder; its
`Path=` line is the original path (percent-encoded; relative to the drive for a drive's own
`.Trash-UID` folder). The newest entry for a path wins."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

__all__ = ["Restore", "home_trash", "restore_from_trash"]


@dataclass(frozen=True)
class Restore:
    """What an undo of a trash action did: files put back, and those it could not (with where
    to look for them)."""

    restored: tuple[str, ...] = ()
    not_restored: tuple[tuple[str, str], ...] = ()  # (original path, where it is or why not)
    folders: tuple[str, ...] = field(default=())  # the folders the restored files went back to


def home_trash() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "Trash"


def _trash_folders(path: str) -> list[tuple[Path, Path | None]]:
    """(trash folder, drive top for relative paths) that could hold `path`: the home trash, and
    the trash folders at the top of the file's drive."""
    folders: list[tuple[Path, Path | None]] = [(home_trash(), None)]
    top = Path(path).parent
    while not os.path.ismount(top) and top.parent != top:
        top = top.parent
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folders += [(top / f".Trash-{uid}", top), (top / ".Trash" / str(uid), top)]
    return folders


def _entries(trash: Path, top: Path | None) -> Iterable[tuple[str, str, Path]]:
    """(original path, deletion date, trashed file) for each entry of one trash folder."""
    info = trash / "info"
    if not info.is_dir():
        return
    for entry in info.glob("*.trashinfo"):
        original = date = ""
        try:
            lines = entry.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("Path="):
                original = unquote(line[5:], errors="surrogateescape")
            elif line.startswith("DeletionDate="):
                date = line[13:]
        if original:
            if top is not None and not os.path.isabs(original):
                original = str(top / original)
            yield os.path.normpath(original), date, trash / "files" / entry.name.removesuffix(".trashinfo")


def restore_from_trash(paths: Sequence[str]) -> Restore:
    """Move each of `paths` back from the trash to where it was; a file whose place is taken
    again, or that the trash no longer holds, stays where it is (and the answer says where)."""
    if sys.platform in ("win32", "darwin"):
        where = "the Recycle Bin" if sys.platform == "win32" else "the Trash"
        return Restore(not_restored=tuple((p, f"in {where}: put it back from there") for p in paths))
    restored: list[str] = []
    failed: list[tuple[str, str]] = []
    for path in paths:
        full = os.path.normpath(os.path.abspath(path))
        found = sorted((date, trashed) for trash, top in _trash_folders(full)
                       for original, date, trashed in _entries(trash, top)
                       if original == full and trashed.exists())
        if not found:
            failed.append((full, f"not in the trash at {home_trash()}"))
            continue
        trashed = found[-1][1]
        if os.path.exists(full):
            failed.append((full, f"another file has its name now; the trashed one is {trashed}"))
            continue
        try:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            shutil.move(str(trashed), full)
        except OSError as exc:
            failed.append((full, f"{trashed} ({exc.strerror or exc})"))
            continue
        (trashed.parent.parent / "info" / (trashed.name + ".trashinfo")).unlink(missing_ok=True)
        restored.append(full)
    folders = tuple(dict.fromkeys(os.path.dirname(p) for p in restored))
    return Restore(tuple(restored), tuple(failed), folders)
