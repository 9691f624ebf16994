"""The window with real widgets, a real library and tiny real models (offscreen)."""

from __future__ import annotations

import time
from pathlib import Path

from helpers import solid
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from cbir_desktop.ui.results_model import ThumbnailRole


def _names(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [Path(h.path).name for h in window.results.hits()]


def test_first_run_shows_what_to_do(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.show()
    assert window.stack.currentWidget() is window.empty_label
    assert "Add a folder of photos" in window.empty_label.text()


def test_typing_a_word_shows_matching_photos_and_chips(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window([photos])
    window.search_bar.setFocus()
    qtbot.keyClicks(window.search_bar, "blue")
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    assert set(_names(window)[:2]) == {"blue.jpg", "navy.png"}
    assert window.results.hit(0).tags  # auto-tags shown with each result
    qtbot.waitUntil(lambda: len(window.chip_words()) > 0, timeout=10000)
    assert "blue" not in window.chip_words()
    # Thumbnails arrive in the background.
    qtbot.waitUntil(lambda: window.results.index(0).data(ThumbnailRole) is not None, timeout=10000)


def test_similar_word_chip_searches_when_clicked(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window([photos])
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("red")
    qtbot.waitUntil(lambda: len(window.chip_words()) > 0, timeout=10000)
    chip = window.chips_layout.itemAt(0).widget()
    word = chip.text()
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert window.search_bar.text() == word


def test_dropping_an_image_file_shows_similar_photos(make_window, photos, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window([photos])
    outside = solid(tmp_path / "elsewhere" / "query.png", (210, 30, 25))  # not in the library
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.dropEvent(event)
    assert _names(window)[0] == "red.jpg"


def test_dropping_a_folder_adds_it_and_progress_arrives(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    progress = []
    window.index_progressed.connect(progress.append)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        window.dropEvent(event)
    assert finished.args[0].added == 5
    assert [window.folder_list.item(i).text() for i in range(window.folder_list.count())] == [str(photos)]
    phases = [p.phase for p in progress]
    assert "scanning" in phases and "indexing" in phases
    assert any(p.phase == "indexing" and p.done == p.total == 5 for p in progress)


def test_deleted_photo_leaves_the_library_while_the_app_runs(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window([photos])
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("green")
    assert "green.jpg" in _names(window)
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        (photos / "green.jpg").unlink()  # the watcher sees it; no restart, no click
    assert finished.args[0].removed == 1
    assert "green.jpg" not in _names(window)
    assert window.library.status().photos == 4


def test_new_photo_is_picked_up_by_the_watcher(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window([photos])
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        solid(photos / "more" / "purple.png", "purple")
    assert finished.args[0].added == 1


def test_indexing_never_stalls_the_event_loop(make_window, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A GUI-thread timer records gaps while a few hundred photos are indexed."""
    root = tmp_path / "many"
    for i in range(300):
        solid(root / f"p{i:03d}.jpg", (i % 256, (i * 7) % 256, (i * 13) % 256), size=(320, 240))
    window = make_window()
    window.show()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    with qtbot.waitSignal(window.index_finished, timeout=120000) as finished:
        window.add_folder(str(root))
    timer.stop()
    assert finished.args[0].added == 300
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    print(f"\nindexing 300 photos: {len(ticks)} timer ticks, longest event-loop stall "
          f"{max(gaps) * 1000:.1f} ms")
    assert len(ticks) > 50
    assert max(gaps) < 0.100, f"longest event-loop stall {max(gaps) * 1000:.0f} ms"


def test_pause_resume_and_cancel(make_window, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "many"
    for i in range(120):
        solid(root / f"p{i:03d}.png", (i * 2, 80, 200 - i), size=(320, 240))
    window = make_window([root], index_first=False)
    qtbot.waitUntil(lambda: window._index_worker is not None, timeout=5000)
    qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=20000)
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window._index_worker.is_paused, timeout=5000)
    assert window.pause_button.text() == "Resume"
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    report = finished.args[0]
    assert report.cancelled or report.added == 120


def test_paste_of_an_image_path_searches_by_example(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window([photos])
    QApplication.clipboard().setText(str(photos / "yellow.jpg"))
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.paste()
    assert _names(window)[0] == "yellow.jpg"


def test_watch_overflow_triggers_a_full_rescan(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    """watchdog only logs a kernel queue overflow; the window must rescan after it."""
    import logging

    window = make_window([photos])
    window.watcher.stop()  # no live events: only the overflow can bring the new photo in
    solid(photos / "missed.png", "purple")
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost")
    assert finished.args[0].added == 1


def test_space_previews_the_current_result(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    from cbir_desktop.ui.dialogs import PreviewDialog

    window = make_window([photos])
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("green")
    window.view.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: any(isinstance(w, PreviewDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=10000)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, PreviewDialog))
    assert dialog.windowTitle() == window.results.hit(0).path
    dialog.close()


def test_clicking_a_tag_searches_that_tag(make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window([photos])
    window.show()
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_image(str(photos / "blue.jpg"))
    index = window.results.index(0)
    hit = window.results.hit(0)
    assert hit.tags
    rects = window.delegate.tag_rects(window.view.visualRect(index), hit.tags, window.view.font())
    tag, rect = rects[0]
    assert window.tag_at(rect.center()) == hit.tags[0]
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.search_bar.text() == hit.tags[0]


def test_switching_model_keeps_old_index_answering_until_the_new_one_is_ready(
        make_window, photos, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Vectors of the 8-d and 16-d models never meet; the switch completes after indexing."""
    window = make_window([photos])
    assert window.library.model_id == "tiny8"
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        window.switch_model("tiny16")
        assert window.library.model_id == "tiny8"  # still answering with the old index
        with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
            window.search_image(str(photos / "blue.jpg"))
        assert Path(searched.args[0][0].path).name == "blue.jpg"
    assert finished.args[0].added + finished.args[0].updated == 5
    assert window.library.model_id == "tiny16"
    assert window.library.status().indexed == {"tiny8": 5, "tiny16": 5}
    with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
        window.search_image(str(photos / "blue.jpg"))
    assert Path(searched.args[0][0].path).name == "blue.jpg"
