"""A worker thread at the operating system's lowest priority, for work that may wait: reading
the text in photos takes 0.1 s to seconds a photo, and with it at idle priority indexing new
photos, searching and the window keep the cores whenever they want them.

A thread's priority can be lowered but, without privileges, not raised again, so the low
priority belongs to a thread of its own that only ever runs such work. On Linux the thread's
nice value becomes 19 (threads it starts, such as onnxruntime's pool, inherit it); on Windows
the thread enters background mode; elsewhere (macOS before Python 3.12) it runs at normal
priority, and says so in the log.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

LOWEST_NICE = 19
_WINDOWS_BACKGROUND_BEGIN = 0x00010000  # THREAD_MODE_BACKGROUND_BEGIN


def lower_this_thread() -> bool:
    """Put the calling thread at the lowest priority; False where the platform offers no way."""
    platform: str = sys.platform  # a plain string: each branch is checked on every platform
    try:
        if platform.startswith("linux"):  # per thread: Linux gives each thread its own nice value
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_NICE)
            return True
        if platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
            return bool(kernel32.SetThreadPriority(kernel32.GetCurrentThread(), _WINDOWS_BACKGROUND_BEGIN))
        darwin_thread = getattr(os, "PRIO_DARWIN_THREAD", None)  # Python 3.12+
        if darwin_thread is not None:
            os.setpriority(darwin_thread, 0, os.PRIO_DARWIN_BG)  # type: ignore[attr-defined,unused-ignore]
            return True
    except OSError as exc:
        log.info("Could not lower a worker thread's priority: %s", exc)
        return False
    log.info("This platform offers no per-thread priority: background work runs at normal priority")
    return False


class IdleThread:
    """One thread at the lowest priority; `run(func, ...)` runs a call there and waits for it.
    Callers take turns: the thread runs one call at a time."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name, initializer=lower_this_thread)

    def run(self, func: Callable[..., T], *args: object) -> T:
        """`func(*args)` on the idle thread; its exception is raised here."""
        return self._pool.submit(func, *args).result()

    def native_id(self) -> int:
        """The thread's id as the operating system knows it (for checking its priority)."""
        return self.run(threading.get_native_id)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
