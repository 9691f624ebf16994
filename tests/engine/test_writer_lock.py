"""One writer per library: the writer lock, waiting for it through the facade and the CLI."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers import REPO, run_cbir, shaded_folder

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.storage.writer_lock import WriterLock
from cbir_desktop.engine.types import IndexProgress, IndexReport

# A second process holding the library's lock until a line arrives on its stdin.
_HOLDER = """
import sys
from pathlib import Path
from cbir_desktop.engine.storage.writer_lock import WriterLock
lock = WriterLock(Path(sys.argv[1]))
if not lock.try_acquire(sys.argv[2]):
    sys.exit(3)
print("held", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
"""


@contextmanager
def held_by_child(root: Path, what: str = "learning") -> Iterator[subprocess.Popen[str]]:
    """A child process holding `root`'s writer lock; `release(child)` lets it go."""
    root.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen([sys.executable, "-c", _HOLDER, str(root), what], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held", f"the child could not take the lock ({child.poll()})"
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)


def release(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write("\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "released"


def test_second_lock_cannot_acquire_and_names_the_holder(tmp_path: Path) -> None:
    first, second = WriterLock(tmp_path), WriterLock(tmp_path)
    assert first.try_acquire("indexing") and first.held
    assert first.try_acquire("indexing")  # re-entrant for its holder
    assert not second.try_acquire("learning") and not second.held
    assert re.fullmatch(rf"process {os.getpid()} \(indexing, since \d\d:\d\d\)", second.holder())
    first.release()
    assert not first.held
    assert second.try_acquire("learning")
    assert second.holder().startswith(f"process {os.getpid()} (learning, since ")
    assert not first.try_acquire("indexing")
    second.release()
    first.release()  # releasing a lock not held does nothing


def test_holder_of_an_unreadable_note_is_another_process(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path)
    assert lock.holder() == "another process"  # no file yet
    (tmp_path / "writer.lock").write_bytes(b"\x00garbage")
    assert lock.holder() == "another process"


def test_lock_of_another_process_blocks_until_released(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path)
    with held_by_child(tmp_path, "repairing") as child:
        assert not lock.try_acquire("indexing")
        assert lock.holder().startswith(f"process {child.pid} (repairing, since ")
        release(child)
        assert lock.try_acquire("indexing")
        lock.release()


def test_lock_of_a_killed_process_is_free_again(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path)
    with held_by_child(tmp_path, "indexing") as child:
        assert not lock.try_acquire("indexing")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
        assert lock.try_acquire("indexing")  # the kernel dropped the dead process's lock
        # The stale note is overwritten with ours.
        assert lock.holder().startswith(f"process {os.getpid()} (indexing, ")
        lock.release()


class Drain:
    """Runs an indexing generator in a worker thread (as the window does), handing its progress
    to the test through a queue, so a run that blocks fails the test instead of hanging it."""

    def __init__(self, gen: Generator[IndexProgress, None, IndexReport]) -> None:
        self.progress: queue.Queue[IndexProgress | None] = queue.Queue()
        self.report: IndexReport | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(gen,), daemon=True)
        self.thread.start()

    def _run(self, gen: Generator[IndexProgress, None, IndexReport]) -> None:
        try:
            while True:
                self.progress.put(next(gen))
        except StopIteration as stop:
            self.report = stop.value
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc
        finally:
            self.progress.put(None)

    def next(self, timeout: float = 30) -> IndexProgress:
        item = self.progress.get(timeout=timeout)
        assert item is not None, f"the run ended early: {self.error or self.report}"
        return item

    def finish(self, timeout: float = 60) -> tuple[list[str], IndexReport]:
        """The phases still to come, and the report."""
        phases = []
        deadline = time.monotonic() + timeout
        while (item := self.progress.get(timeout=max(0.1, deadline - time.monotonic()))) is not None:
            phases.append(item.phase)
        self.thread.join(timeout=10)
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return phases, self.report


def test_indexing_waits_for_another_writer_then_completes(tiny_models: Path, tmp_path: Path) -> None:
    photos = shaded_folder(tmp_path / "photos", (200, 40, 40), 6, seed=1)
    lib = tmp_path / "lib"
    with open_library(lib) as library, held_by_child(lib, "learning") as child:
        run = Drain(library.iter_index([tmp_path / "photos"]))
        first = run.next()
        assert first.phase == "waiting"
        assert first.path.startswith(f"process {child.pid} (learning, since ")
        assert run.next(timeout=5).phase == "waiting"  # still waiting, polling
        assert library.status().photos == 0  # nothing written while waiting
        release(child)
        phases, report = run.finish()
        assert report.added == len(photos) and not report.cancelled
        assert "indexing" in phases
        assert library.status().indexed == {"tiny8": len(photos)}
        # The run let its lock go: another writer can take it now.
        other = WriterLock(lib)
        assert other.try_acquire("learning")
        other.release()


def test_indexing_waits_for_a_lock_held_in_another_thread(tiny_models: Path, tmp_path: Path) -> None:
    shaded_folder(tmp_path / "photos", (40, 180, 60), 4, seed=2)
    lib = tmp_path / "lib"
    lib.mkdir()
    other = WriterLock(lib)
    assert other.try_acquire("learning")
    with open_library(lib) as library:
        run = Drain(library.iter_index([tmp_path / "photos"]))
        try:
            assert run.next().phase == "waiting"
            assert run.next(timeout=5).phase == "waiting"
        finally:
            other.release()
        phases, report = run.finish()
        assert report.added == 4 and "indexing" in phases


def test_cancel_while_waiting_for_the_lock(tiny_models: Path, tmp_path: Path) -> None:
    shaded_folder(tmp_path / "photos", (40, 60, 200), 3, seed=3)
    lib = tmp_path / "lib"
    cancel = threading.Event()
    with open_library(lib) as library, held_by_child(lib) as child:
        run = Drain(library.iter_index([tmp_path / "photos"], cancel))
        assert run.next().phase == "waiting"
        started = time.monotonic()
        cancel.set()
        phases, report = run.finish(timeout=5)
        assert report.cancelled and set(phases) <= {"waiting"}
        assert time.monotonic() - started < 2  # answered within a poll, not after the holder
        assert library.status().photos == 0
        # The holder still holds it: the cancelled run took nothing.
        assert not WriterLock(lib).try_acquire("indexing")
        release(child)


def test_cli_index_says_whom_it_waits_for_and_finishes_after(tiny_models: Path, tmp_path: Path) -> None:
    photos = shaded_folder(tmp_path / "photos", (200, 40, 40), 5, seed=4)
    lib = tmp_path / "lib"
    with held_by_child(lib, "learning") as child:
        env = {**os.environ, "CBIR_LIBRARY": str(lib), "CBIR_MODELS_DIR": str(tiny_models)}
        env.pop("CBIR_FAULT", None)
        cli = subprocess.Popen([sys.executable, "-m", "cbir_desktop.cli", "index", str(tmp_path / "photos")],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        try:
            assert cli.stderr is not None
            lines: queue.Queue[str] = queue.Queue()
            reader = threading.Thread(target=lambda: [lines.put(line) for line in cli.stderr], daemon=True)
            reader.start()
            line = lines.get(timeout=60)
            assert line.startswith(f"waiting for process {child.pid} (learning, since "), line
            assert line.rstrip().endswith("which is changing this library...")
            time.sleep(1)
            assert cli.poll() is None and lines.empty()  # still waiting, said once
            release(child)
            cli.wait(timeout=120)
            out = cli.stdout.read() if cli.stdout else ""
            reader.join(timeout=10)
            err = line + "".join(lines.queue)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
    assert cli.returncode == 0, err
    assert f"added {len(photos)}," in out
    assert "Traceback" not in err
    status = run_cbir("status", "--json", library=lib, models=tiny_models)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["indexed"] == {"tiny8": len(photos)}


def test_removing_a_folder_waits_for_learning_in_another_thread(tiny_models: Path, tmp_path: Path) -> None:
    """Learning reads the photos it learns from: a folder removed under its feet made it fail
    ("KeyError: 1" in the window). Removal now waits for the running write to end."""
    photos = tmp_path / "photos"
    shaded_folder(photos, (40, 180, 60), 4, seed=5)
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
        learning, removed = threading.Event(), threading.Event()
        go_on = threading.Event()

        def learn() -> None:
            with library._writing("learning"):
                learning.set()
                go_on.wait(10)

        def remove() -> None:
            library.remove_folder(photos)
            removed.set()

        learner = threading.Thread(target=learn)
        learner.start()
        assert learning.wait(5)
        remover = threading.Thread(target=remove)
        remover.start()
        assert not removed.wait(0.5)  # waits its turn
        assert library.status().photos == 4
        go_on.set()
        learner.join(5)
        assert removed.wait(5) and library.status().photos == 0
        remover.join(5)
        # Both let go: another process could take the lock now.
        other = WriterLock(tmp_path / "lib")
        assert other.try_acquire("indexing")
        other.release()
