"""The window with real widgets, a real library and tiny real models (offscreen)."""

from __future__ import annotations

import threading
from pathlib import Path

from helpers import solid
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from cbir_desktop.engine.api import open_library
from cbir_desktop.ui.main_window import MainWindow
from cbir_desktop.ui.results_model import ThumbnailRole


def _names(window) -> list[str]:
    return [Path(h.path).name for h in window.results.hits()]


def test_first_run_shows_what_to_do(make_window, photos, monkeypatch, qtbot) -> None:
    """An empty library says what to do and offers the button; once the folder is indexed the
    centre shows its photos, newest first, with no search."""
    from PySide6.QtWidgets import QFileDialog

    window = make_window()
    window.show()
    assert window.stack.currentWidget() is window.empty_page
    assert "Add a folder of photos" in window.empty_label.text()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_args, **_kw: str(photos))
    with qtbot.waitSignal(window.library_shown, timeout=20000,
                          check_params_cb=lambda page: len(page.hits) == 5):
        qtbot.mouseClick(window.empty_add_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.view
    assert sorted(_names(window)) == ["blue.jpg", "green.jpg", "navy.png", "red.jpg", "yellow.jpg"]


def test_typing_a_word_shows_matching_photos_and_chips(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.search_bar.field.setFocus()
    qtbot.keyClicks(window.search_bar.field, "blue")
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Return)
    assert set(_names(window)[:2]) == {"blue.jpg", "navy.png"}
    assert window.results.hit(0).tags  # auto-tags shown with each result
    qtbot.waitUntil(lambda: len(window.search_bar.chip_words()) > 0, timeout=10000)
    assert "blue" not in window.search_bar.chip_words()
    # Thumbnails arrive in the background.
    qtbot.waitUntil(lambda: window.results.index(0).data(ThumbnailRole) is not None, timeout=10000)


def test_similar_word_chip_searches_when_clicked(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("red")
    qtbot.waitUntil(lambda: len(window.search_bar.chip_words()) > 0, timeout=10000)
    chip = window.search_bar.chips.chips()[0]
    word = chip.text()
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert window.search_bar.text() == word


def test_dropping_an_image_file_shows_similar_photos(make_window, photos, tmp_path, qtbot) -> None:
    window = make_window([photos])
    outside = solid(tmp_path / "elsewhere" / "query.png", (210, 30, 25))  # not in the library
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.dropEvent(event)
    assert _names(window)[0] == "red.jpg"


def test_dropping_a_folder_adds_it_and_progress_arrives(make_window, photos, qtbot) -> None:
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
    assert window.folders_dock.folders() == [str(photos)]
    phases = [p.phase for p in progress]
    assert "scanning" in phases and "indexing" in phases
    assert any(p.phase == "indexing" and p.done == p.total == 5 for p in progress)


def test_a_folder_listing_read_before_adding_a_folder_does_not_hide_it(
        tiny_models, photos, tmp_path, monkeypatch, qtbot) -> None:
    """The start-up listing is slow and answers after the folder was added: the added folder stays."""
    library = open_library(tmp_path / "library")
    real_folders = library.folders
    release = threading.Event()
    calls = []

    def slow_first_listing() -> list[str]:
        folders = real_folders()
        calls.append(folders)
        if len(calls) == 1:
            release.wait(10)  # read before the folder is added, answered after
        return folders

    monkeypatch.setattr(library, "folders", slow_first_listing)
    window = MainWindow(library, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat),
                        tmp_path / "thumbnails")
    qtbot.addWidget(window)
    try:
        # The start-up listing has read the folders (none yet) and is held; only then is
        # the folder added (waiting here keeps the worker threads' order out of the test).
        qtbot.waitUntil(lambda: len(calls) >= 1, timeout=10000)
        assert calls[0] == []
        with qtbot.waitSignal(window.index_finished, timeout=30000):
            window.add_folder(str(photos))
            qtbot.waitUntil(lambda: len(calls) >= 2, timeout=10000)  # the add answered with its listing
            release.set()  # now the stale listing answers
        qtbot.waitUntil(lambda: not window._folders.running, timeout=10000)
        assert window.folders_dock.folders() == [str(photos)]
    finally:
        release.set()
        window.shutdown()


def test_deleted_photo_leaves_the_library_while_the_app_runs(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_text("green")
    assert "green.jpg" in _names(window)
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        (photos / "green.jpg").unlink()  # the watcher sees it; no restart, no click
    assert finished.args[0].removed == 1
    assert "green.jpg" not in _names(window)
    assert window.library.status().photos == 4


def test_new_photo_is_picked_up_by_the_watcher(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        solid(photos / "more" / "purple.png", "purple")
    assert finished.args[0].added == 1


def test_pause_resume_and_cancel(make_window, hold_indexing, tmp_path, qtbot) -> None:
    """Cancel stops indexing part-way (the gate holds it between batches until the cancel
    is sent); the next run adds the rest."""
    root = tmp_path / "many"
    for i in range(120):
        solid(root / f"p{i:03d}.png", (i * 2, 80, 200 - i), size=(96, 72))
    window = make_window([root], index_first=False)
    gate = hold_indexing(window.library, batch_size=10)
    qtbot.waitUntil(lambda: window.progress.value() == 10, timeout=20000)  # held after one batch
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    gate.step()  # one more batch, then the pause takes hold
    qtbot.waitUntil(lambda: window._indexing.is_paused, timeout=10000)
    assert window.pause_button.text() == "Resume"
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window._indexing.is_paused, timeout=10000)
    assert window.pause_button.text() == "Pause"
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        gate.open()  # from here the engine runs freely: only the cancel can stop it
    cancelled = finished.args[0]
    assert cancelled.cancelled
    assert 0 < cancelled.added < 120
    assert "Indexing cancelled" in window.status_label.text()
    qtbot.waitUntil(lambda: window.progress.isHidden(), timeout=10000)

    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        window.start_indexing()
    resumed = finished.args[0]
    assert not resumed.cancelled
    assert cancelled.added + resumed.added == 120


def test_paste_of_an_image_path_searches_by_example(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    QApplication.clipboard().setText(str(photos / "yellow.jpg"))
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.paste()
    assert _names(window)[0] == "yellow.jpg"


def test_watch_overflow_triggers_a_full_rescan(make_window, photos, qtbot) -> None:
    """watchdog only logs a kernel queue overflow; the window must rescan after it."""
    import logging

    window = make_window([photos])
    window.watcher.stop()  # no live events: only the overflow can bring the new photo in
    solid(photos / "missed.png", "purple")
    with qtbot.waitSignal(window.index_finished, timeout=20000) as finished:
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost")
    assert finished.args[0].added == 1


def test_space_previews_the_current_result(make_window, photos, qtbot) -> None:
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


def test_clicking_a_tag_searches_that_tag(make_window, photos, qtbot) -> None:
    window = make_window([photos])
    window.show()
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        window.search_image(str(photos / "blue.jpg"))
    index = window.results.index(0)
    hit = window.results.hit(0)
    assert hit.tags
    rects = window.delegate.tag_rects(window.view.visualRect(index), hit.tags, window.view.font())
    tag, rect = rects[0]
    assert window.view.tag_at(rect.center()) == hit.tags[0]
    with qtbot.waitSignal(window.search_finished, timeout=10000):
        qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.search_bar.text() == hit.tags[0]


def test_switching_model_keeps_old_index_answering_until_the_new_one_is_ready(
        make_window, photos, qtbot) -> None:
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


def test_thumbnail_size_chosen_in_settings_is_not_clamped_by_the_slider(make_window, qtbot) -> None:
    """The Settings dialog and the status-bar slider share one range; its largest value survives."""
    from cbir_desktop.ui.dialogs import SettingsDialog
    from cbir_desktop.ui.settings import RESULTS, THUMBNAIL_SIZE

    def dialog() -> SettingsDialog | None:
        return next((w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible()),
                    None)

    window = make_window()
    window.open_settings()  # the model list is read in a worker, then the dialog opens
    qtbot.waitUntil(lambda: dialog() is not None, timeout=10000)
    settings = dialog()
    assert (settings.thumb.minimum(), settings.thumb.maximum()) == (window.size_slider.minimum(),
                                                                    window.size_slider.maximum())
    assert settings.model.currentData() == "tiny8"
    settings.thumb.setValue(THUMBNAIL_SIZE.maximum)
    settings.results.setValue(RESULTS.maximum)
    settings.accept()
    assert window.size_slider.value() == window.delegate.side == THUMBNAIL_SIZE.maximum
    assert THUMBNAIL_SIZE.read(window.settings) == THUMBNAIL_SIZE.maximum
    assert RESULTS.read(window.settings) == RESULTS.maximum

    reopened = make_window()  # the same settings file, as at the next start
    assert reopened.size_slider.value() == reopened.delegate.side == THUMBNAIL_SIZE.maximum


def test_switching_back_before_the_new_model_is_ready_keeps_the_old_one(
        make_window, hold_indexing, photos, qtbot) -> None:
    window = make_window([photos])
    gate = hold_indexing(window.library, batch_size=2)
    reports = []
    window.index_finished.connect(reports.append)
    window.switch_model("tiny16")
    qtbot.waitUntil(lambda: window.progress.value() == 2, timeout=20000)  # held part-way
    window.switch_model("tiny8")  # changed their mind: indexing for tiny16 stops
    gate.open()
    qtbot.waitUntil(lambda: len(reports) == 2, timeout=20000)
    assert reports[0].cancelled and not reports[1].cancelled
    assert window.library.model_id == "tiny8"
    with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
        window.search_image(str(photos / "blue.jpg"))
    assert Path(searched.args[0][0].path).name == "blue.jpg"
