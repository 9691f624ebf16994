"""`SerialOp`: one run at a time, the latest request runs once after, stale answers dropped."""

from __future__ import annotations

import threading
from collections.abc import Generator

from cbir_desktop.ui.ops import SerialOp

WAIT_S = 10


class Held:
    """A background callable that records its calls and waits until released."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, value: int) -> int:
        self.calls.append(value)
        self.started.set()
        assert self.release.wait(WAIT_S)
        return value * 10


def _held_op(**options: bool) -> tuple[Held, list[int], SerialOp]:
    """A SerialOp over held work, collecting its answers."""
    work = Held()
    results: list[int] = []
    return work, results, SerialOp(None, work, on_result=results.append, **options)


def test_requests_during_a_run_run_once_after_it_with_the_latest_arguments(qtbot) -> None:
    work, results, op = _held_op()
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request(1)
        assert op.running and not op.pending
        assert work.started.wait(WAIT_S)
        op.request(2)
        op.request(3)  # replaces 2, which never runs
        assert op.pending
        work.release.set()
    assert work.calls == [1, 3]
    assert results == [10, 30]  # without drop_superseded every run's answer arrives
    assert not op.running and not op.pending


def test_the_answer_of_a_superseded_run_is_dropped(qtbot) -> None:
    work, results, op = _held_op(drop_superseded=True)
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request(1)
        assert work.started.wait(WAIT_S)
        op.request(2)
        work.release.set()
    assert work.calls == [1, 2]
    assert results == [20]


def test_cancel_pending_forgets_the_waiting_request_only(qtbot) -> None:
    work, results, op = _held_op()
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request(1)
        assert work.started.wait(WAIT_S)
        op.request(2)
        op.cancel_pending()
        work.release.set()
    assert work.calls == [1]
    assert results == [10]


def test_discard_drops_the_answer_on_its_way(qtbot) -> None:
    work, results, op = _held_op(drop_superseded=True)
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request(1)
        assert work.started.wait(WAIT_S)
        op.discard()
        work.release.set()
    assert results == []


def test_errors_reach_on_error_on_the_gui_thread(qtbot) -> None:
    def fail(_value: int) -> int:
        raise ValueError("broken")

    errors: list[tuple[BaseException, bool]] = []
    op = SerialOp(None, fail, on_error=lambda exc: errors.append((exc, threading.current_thread()
                                                                   is threading.main_thread())))
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request(1)
    assert [(str(exc), on_gui) for exc, on_gui in errors] == [("broken", True)]


def test_a_cancellable_generator_gets_its_own_event_and_stops_when_cancelled(qtbot) -> None:
    step = threading.Semaphore(0)
    events: list[threading.Event] = []

    def count(n: int, cancel: threading.Event) -> Generator[int, None, str]:
        events.append(cancel)
        for i in range(n):
            if cancel.is_set():
                return f"cancelled at {i}"
            yield i
            assert step.acquire(timeout=WAIT_S)
        return "done"

    progress: list[int] = []
    results: list[str] = []
    op = SerialOp(None, count, on_progress=progress.append, on_result=results.append, cancellable=True)
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request(100)
        qtbot.waitUntil(lambda: progress == [0], timeout=WAIT_S * 1000)
        op.request(5)  # waits: cancel() below forgets it
        op.cancel()
        step.release(100)
    assert results == ["cancelled at 1"]
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request(2)
    assert results[-1] == "done"
    assert len(events) == 2 and events[0] is not events[1] and not events[1].is_set()


def test_a_paused_generator_resumes_to_see_the_cancel(qtbot) -> None:
    def forever(cancel: threading.Event) -> Generator[int, None, str]:
        i = 0
        while not cancel.is_set():
            yield i
            i += 1
        return "stopped"

    results: list[str] = []
    op = SerialOp(None, forever, on_result=results.append, cancellable=True)
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request()
        qtbot.waitUntil(lambda: op.running, timeout=WAIT_S * 1000)
        op.toggle_pause()
        qtbot.waitUntil(lambda: op.is_paused, timeout=WAIT_S * 1000)
        op.cancel()
    assert results == ["stopped"]


def test_quit_superseded_stops_the_running_generator_for_the_newer_request(qtbot) -> None:
    gate = threading.Event()

    def items(name: str, n: int) -> Generator[str, None, None]:
        for i in range(n):
            yield f"{name}{i}"
            gate.wait(WAIT_S)

    seen: list[str] = []
    op = SerialOp(None, items, on_progress=seen.append, quit_superseded=True)
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request("old", 1000)
        qtbot.waitUntil(lambda: seen == ["old0"], timeout=WAIT_S * 1000)
        op.request("new", 2)
        gate.set()
    assert seen[-2:] == ["new0", "new1"]
    assert len(seen) < 100  # the old run stopped at its next yield


def test_a_damaged_cached_thumbnail_is_made_again(tiny_models, tmp_path) -> None:
    """A cache file that no longer reads (zeroed by a crash or a disk error) is replaced, not shown grey."""
    from helpers import solid

    from cbir_desktop.engine.api import open_library
    from cbir_desktop.ui.ops import thumbnail_images

    photo = solid(tmp_path / "photos" / "red.jpg", "red")
    cache = tmp_path / "thumbs"
    with open_library(tmp_path / "lib") as library:
        [(_, first, _)] = list(thumbnail_images(library, cache, [str(photo)]))
        cached = library.thumbnail(cache, str(photo))
        cached.write_bytes(bytes(cached.stat().st_size))  # zeroed, same size
        [(_, again, _)] = list(thumbnail_images(library, cache, [str(photo)]))
        assert not again.isNull() and again.size() == first.size()
        assert cached.read_bytes()[:2] == b"\xff\xd8"  # a JPEG again


def test_a_generator_stopped_at_quit_runs_its_finally_at_once(qtbot) -> None:
    """Quitting (the window closing) stops a generator between yields; its `finally` must run
    then, in its thread: indexing lets go of the library's write turn there, and a learning
    run waiting for the turn would otherwise wait for ever."""
    from cbir_desktop.ui.ops import await_all

    turn = threading.Lock()
    let_go = threading.Event()

    def holds_the_turn() -> Generator[int, None, str]:
        assert turn.acquire(timeout=WAIT_S)
        try:
            while True:  # no cancel event: only a quit stops it
                yield 0
        finally:
            turn.release()
            let_go.set()

    op = SerialOp(None, holds_the_turn)
    with qtbot.waitSignal(op.finished, timeout=WAIT_S * 1000):
        op.request()
        qtbot.waitUntil(lambda: op.running and turn.locked(), timeout=WAIT_S * 1000)
        kept = op._worker  # as a reference cycle would: the generator is not collected
        await_all(msecs=WAIT_S * 1000)
    assert let_go.wait(WAIT_S) and turn.acquire(timeout=WAIT_S)
    del kept
