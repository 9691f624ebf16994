"""Fault injection for the crash-safety tests: inert unless `CBIR_FAULT` is set.

Every write path passes a named point: `commit:<label>` just before a catalogue
transaction commits, `replace:<suffixes>` just before a finished temporary file
replaces its target (its last suffix: `replace:.ann`, `replace:.npz`, `replace:.xmp`...).
`CBIR_FAULT="<point>[@<n>]:<kill|enospc>"` makes the n-th arrival (default the
first) at that point kill the process outright (SIGKILL: no clean-up runs) or
fail as a full disk would (OSError ENOSPC). The tests in tests/e2e/test_faults.py
run every point both ways and check the library heals on the next run.
"""

from __future__ import annotations

import errno
import os
import signal
import threading
from functools import cache

ENV = "CBIR_FAULT"
_hits: dict[str, int] = {}
_lock = threading.Lock()


@cache
def _plan() -> tuple[str, int, str] | None:
    spec = os.environ.get(ENV, "")
    if not spec:
        return None
    where, _, action = spec.rpartition(":")
    point, _, nth = where.partition("@")
    if action not in ("kill", "enospc") or not point:
        raise ValueError(f"{ENV}={spec!r}: expected POINT[@N]:kill or POINT[@N]:enospc")
    return point, int(nth or 1), action


def reached(point: str) -> None:
    """Mark arrival at a write point; does nothing unless a fault is planned for it."""
    plan = _plan()
    if plan is None or plan[0] != point:
        return
    with _lock:
        _hits[point] = _hits.get(point, 0) + 1
        if _hits[point] != plan[1]:
            return
    if plan[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC) + " (injected)")
