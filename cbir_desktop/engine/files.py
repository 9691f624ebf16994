"""One way to write a file safely: readers see the old file or the new one, never half.

Every file the engine writes (index files, learned models, word caches, thumbnails,
XMP sidecars, manifests) goes through `replacing`: a temporary file with a unique
name beside the target, fsynced, given the target's permissions (a new file gets
the user's normal mode, not mkstemp's 0600), renamed over the target, and removed
if anything fails on the way.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from . import faults

TEMP_SUFFIX = ".tmp"

# The process's umask, read once at import (reading it means setting it, which is not
# thread-safe later on): new files get 0666 minus it, like any file the user creates.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `target` to write; on a clean exit it replaces `target`.

    For writers that want a path (Annoy, onnx); `write_atomic` is the short form for
    bytes or a handle. The folder is created if needed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name: a temporary file whose process is gone is an orphan
    # anyone may remove (`remove_orphan`), one whose writer lives is left alone.
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(target))
        _fsync(tmp)
        faults.reached("replace:" + target.suffix)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def write_atomic(target: str | os.PathLike[str], data: bytes | Callable[[BinaryIO], object]) -> Path:
    """Write `data` (bytes, or a function writing to a binary handle) to `target` safely."""
    with replacing(target) as tmp, open(tmp, "wb") as handle:
        if isinstance(data, bytes):
            handle.write(data)
        else:
            data(handle)
    return Path(target)


def _mode_for(target: Path) -> int:
    """The existing file's permissions, else what a new file of the user's gets."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open folders, nor needs to."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def why_not_writable(folder: Path, file: Path | None = None) -> str:
    """Why the user cannot change `folder` (or `file` in it), as a phrase; "" when they can."""
    try:
        if os.name == "posix" and os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"{folder} is on read-only media"
    except OSError:
        pass
    if not os.access(folder, os.W_OK):
        return f"you cannot write to {folder}"
    if file is not None and file.exists() and not os.access(file, os.W_OK):
        return f"{file} is read-only"
    return ""


def remove_orphan(path: str | os.PathLike[str]) -> bool:
    """Remove a temporary file `replacing` made if the process writing it is gone (a kill -9
    mid-write leaves one); True when removed. Anything else is left alone."""
    name = os.path.basename(os.fspath(path))
    parts = name.split(".")
    if not (name.startswith(".") and name.endswith(TEMP_SUFFIX) and len(parts) >= 4 and parts[-3].isdigit()):
        return False
    if _alive(int(parts[-3])):
        return False
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process (EPERM): alive
        return True
    return True
