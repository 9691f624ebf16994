"""Progress of a step that counts photos: its rate and time left, from when it started."""

from __future__ import annotations

import time

from ..types import IndexProgress


def progress_since(phase: str, done: int, total: int, start: float, path: str = "") -> IndexProgress:
    """`done` of `total` photos since `start` (time.monotonic()), with photos/s and the ETA."""
    elapsed = time.monotonic() - start
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else None
    return IndexProgress(phase, done, total, rate, eta, path)
