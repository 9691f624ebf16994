"""One writer per library: an operating-system lock on `writer.lock` in the library.

Indexing, learning, healing and repairing take it; searches and the window's reading
never do (SQLite's WAL lets them read while a writer commits). The kernel drops the
lock when its process dies, even by kill -9, so a crash never leaves a library locked.
The holder writes who it is (pid, what, since when) into the file, so a second writer
can say which process it is waiting for.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

LOCK_FILE = "writer.lock"
_LOCK_AT = 1 << 20  # Windows locks a byte range: one far beyond the holder's note


class WriterLock:
    """The library's writer lock, held by at most one process (and one `WriterLock`) at a time."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, what: str) -> bool:
        """Take the lock if it is free (never waits); record `what` this process does."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        if not _lock(fd):
            os.close(fd)
            return False
        info = json.dumps({"pid": os.getpid(), "what": what, "since": time.time()}).encode()
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, info)
        self._fd = fd
        return True

    def holder(self) -> str:
        """Who holds the lock, as a phrase: "process 123 (indexing, since 14:02)"."""
        try:
            info = json.loads(self.path.read_bytes()[:4096] or b"{}")
            since = time.strftime("%H:%M", time.localtime(float(info["since"])))
            return f"process {int(info['pid'])} ({info['what']}, since {since})"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _unlock(fd)
        os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> bool:
        os.lseek(fd, _LOCK_AT, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _LOCK_AT, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class WriteTurn:
    """One writing thread at a time within this process, re-entrant for the thread holding it.

    The file lock is the process's, so threads need their own turn. Unlike an RLock, any
    thread may let go of it: an abandoned indexing generator is closed wherever the
    garbage collector finalises it, and its `finally` must still release its turn.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, timeout: float = -1) -> bool:
        """Take the turn (waiting up to `timeout` s; -1: for ever); True once held."""
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return True
        if not self._lock.acquire(timeout=timeout):
            return False
        self._owner, self._depth = me, 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()
