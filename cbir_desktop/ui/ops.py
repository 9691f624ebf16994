"""Every background operation the window starts, in one place.

Screens ask for an operation with callbacks; the engine is never called on the GUI
thread. Rule for the callables run here: no widget access inside them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from superqt.utils import FunctionWorker, GeneratorWorker, create_worker

from ..engine.api import Library


def run_in_background(
    func: Callable[..., Any],
    *args: Any,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    **kwargs: Any,
) -> FunctionWorker:
    """Run `func(*args, **kwargs)` in the thread pool; callbacks run in the GUI thread."""
    worker = create_worker(func, *args, _start_thread=False, **kwargs)
    if on_result is not None:
        worker.returned.connect(on_result)
    if on_error is not None:
        worker.errored.connect(on_error)
    worker.start()  # registers the worker so await_workers() can stop it at quit
    return worker  # type: ignore[return-value]


def start_indexing(
    library: Library,
    folders: list[str] | None,
    cancel: threading.Event,
    on_progress: Callable[[Any], None],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    model_id: str | None = None,
) -> GeneratorWorker:
    """Index in a worker; progress arrives on `on_progress` (pause/resume act between batches)."""
    worker = create_worker(
        library.iter_index, folders, cancel=cancel, model_id=model_id, _start_thread=False
    )
    worker.yielded.connect(on_progress)
    worker.returned.connect(on_done)
    worker.errored.connect(on_error)
    worker.start()
    return worker  # type: ignore[return-value]
