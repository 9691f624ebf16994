"""Reading text in photos never holds up new photos: a rescan the watcher or the user asks for
stops the running text step, indexes what is new, and the step goes on with what it had not read."""

from __future__ import annotations

from helpers import solid, text_sign

from cbir_desktop.engine.ocr.reader import READER
from cbir_desktop.engine.storage.text_rows import count_text_read
from cbir_desktop.engine.types import IndexProgress, IndexReport

TEXT_PHASE = "reading text in photos"


def test_new_photos_stop_the_text_step_which_resumes_after_them(make_window, tmp_path, qtbot) -> None:
    signs = tmp_path / "signs"
    for n in range(8):
        text_sign(signs / f"sign_{n}.jpg", [f"PLATFORM {n + 1}"], size=(600, 300))
    window = make_window([signs], index_first=False)
    text_steps: list[int] = []  # the number of photos each text step set out to read
    finished: list[IndexReport] = []

    def on_progress(progress: IndexProgress) -> None:
        if progress.phase == TEXT_PHASE and progress.done == 0:
            text_steps.append(progress.total)

    window.index_progressed.connect(on_progress)
    window.index_finished.connect(finished.append)
    qtbot.waitUntil(lambda: bool(text_steps), timeout=60000)  # the first run is reading text
    solid(signs / "new.jpg", (200, 40, 40), size=(320, 240))
    window.start_indexing()  # what the watcher does once its burst of events settles
    qtbot.waitUntil(lambda: len(text_steps) >= 2 and not window._indexing.running, timeout=120000)

    assert text_steps[0] == 8
    assert text_steps[1] > 1  # the signs left unread, after the new photo: the step gave way
    assert finished[0].cancelled and not finished[-1].cancelled
    assert sum(report.added for report in finished) == 9
    assert "cancelled" not in window.status_label.text()
    read, _detected = count_text_read(window.library.catalogue, READER)
    assert read == 9  # every sign read in the end, and the new photo looked at
