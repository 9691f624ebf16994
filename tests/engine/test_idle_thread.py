"""The idle-priority thread that reads text in photos: its calls run there, at the lowest
priority, while the caller keeps its own."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from cbir_desktop.engine.idle_thread import LOWEST_NICE, IdleThread
from cbir_desktop.engine.ocr.reader import TextReader


def test_calls_run_on_the_idle_thread_and_their_errors_come_back() -> None:
    idle = IdleThread("test-idle")
    try:
        assert idle.run(lambda a, b: a + b, 2, 3) == 5
        assert idle.run(threading.current_thread) is not threading.current_thread()
        with pytest.raises(ValueError, match="bad photo"):
            idle.run(_fail)
    finally:
        idle.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_the_text_reader_reads_at_the_lowest_priority_and_leaves_the_caller_alone() -> None:
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    reader = TextReader(1)
    try:
        reading_thread = reader.idle.native_id()
        assert reading_thread != threading.get_native_id()
        assert os.getpriority(os.PRIO_PROCESS, reading_thread) == LOWEST_NICE
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
    finally:
        reader.idle.close()


def _fail() -> None:
    raise ValueError("bad photo")
