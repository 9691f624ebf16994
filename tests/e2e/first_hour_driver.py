"""The first hour with the app, driven by real X events (xdotool) under Xvfb.

Run by tests/e2e/test_first_hour.py as `python first_hour_driver.py OUT PHOTOS LIBRARY`
with DISPLAY set. It starts the real app (`cbir_desktop.ui.app.main`) in this process so
it can read where widgets are and what they show, but every key and click goes through
the X server, as a person's would. Each step saves a screenshot to OUT and its facts to
OUT/steps.json; the first failed expectation ends the run with exit 1 and says why.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMenu, QMessageBox, QWidget

STEP_TIMEOUT_S = 90.0
Wait = tuple[str, Callable[[], bool]]  # what is awaited, and when it has happened


class FirstHour:
    """Steps as a generator on the GUI thread: each yield waits until its condition holds."""

    def __init__(self, out: Path, photos: Path) -> None:
        self.out = out
        self.photos = photos
        self.steps: list[dict[str, Any]] = []
        self.events: dict[str, list[Any]] = {"progress": [], "indexed": [], "searched": [], "tags": [],
                                             "removed": [], "shown": []}
        self.window: Any = None
        self.failure = ""

    # -- real input through the X server -------------------------------------------
    def xdo(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], check=True, timeout=20)

    def click(self, widget: QWidget, at: QPoint | None = None) -> None:
        point = widget.mapToGlobal(at if at is not None else widget.rect().center())
        self.xdo("mousemove", "--sync", str(point.x()), str(point.y()))
        self.xdo("click", "1")

    def type_text(self, text: str) -> None:
        self.xdo("type", "--delay", "25", text)

    def key(self, *keys: str) -> None:
        self.xdo("key", *keys)

    def shot(self, name: str, says: str, **facts: Any) -> None:
        path = self.out / f"{len(self.steps) + 1:02d}-{name}.png"
        QApplication.primaryScreen().grabWindow(0).save(str(path))
        self.steps.append({"screenshot": path.name, "says": says, **facts})

    # -- the run ------------------------------------------------------------------------
    def start(self) -> None:
        self._steps = self.run()
        self._waiting: Wait | None = None
        self._since = time.monotonic()
        self._timer = QTimer(interval=50)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        try:
            if self._waiting is not None:
                what, done = self._waiting
                if not done():
                    if time.monotonic() - self._since > STEP_TIMEOUT_S:
                        raise AssertionError(f"timed out waiting for {what}")
                    return
            self._waiting = next(self._steps)
            self._since = time.monotonic()
        except StopIteration:
            self._finish(0)
        except Exception:  # noqa: BLE001 - every failure ends the run with its story
            self.failure = traceback.format_exc()
            self._finish(1)

    def _finish(self, code: int) -> None:
        self._timer.stop()
        (self.out / "steps.json").write_text(json.dumps({"steps": self.steps, "failure": self.failure}, indent=1))
        if code:
            self.shot("failure", "the screen when the run failed")
            (self.out / "steps.json").write_text(json.dumps({"steps": self.steps, "failure": self.failure},
                                                            indent=1))
            QApplication.exit(code)
        else:
            self.key("ctrl+q")  # File > Quit, as a person would

    def sleep(self, seconds: float) -> Wait:
        until = time.monotonic() + seconds
        return f"{seconds} s", lambda: time.monotonic() >= until

    def run(self) -> Generator[Wait, None, None]:
        from cbir_desktop.ui.main_window import MainWindow

        yield "the window", lambda: any(isinstance(w, MainWindow) and w.isVisible()
                                        for w in QApplication.topLevelWidgets())
        w = self.window = next(x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow))
        w.index_progressed.connect(self.events["progress"].append)
        w.index_finished.connect(self.events["indexed"].append)
        w.search_finished.connect(self.events["searched"].append)
        w.tags_changed.connect(self.events["tags"].append)
        w.folder_removed.connect(self.events["removed"].append)
        w.library_shown.connect(self.events["shown"].append)
        yield self.sleep(1.0)
        assert w.stack.currentWidget() is w.empty_page, "an empty library shows what to do next"
        self.shot("empty-library", "an empty library says to add a folder and offers the button")

        yield from self.add_folder_through_menu("first")
        progress = [p for p in self.events["progress"] if p.phase == "indexing"]
        assert progress and progress[-1].total > 0, "indexing reported its progress"
        yield "the library view", lambda: w.stack.currentWidget() is w.view and w.results.photo_count() > 0
        yield self.sleep(2.0)  # thumbnails
        photos = w.results.photo_count()
        self.shot("library-view", "after indexing the centre shows every photo, newest first", photos=photos)

        # A clearly misspelt word is searched as its spelling, and the notice says so.
        self.click(w.search_bar.field)
        self.type_text("sunflwer")
        searched = len(self.events["searched"])
        self.key("Return")
        yield "the respelt search", lambda: len(self.events["searched"]) > searched and self.events["searched"][-1]
        assert w.search_bar.text() == "sunflower", w.search_bar.text()
        assert w.notice.isVisible() and "sunflwer" in w.notice.label.text()
        yield self.sleep(1.5)
        self.shot("misspelt-respelt", "'sunflwer' searched as 'sunflower', said above the grid",
                  notice=w.notice.label.text(), results=w.results.rowCount())

        # An unclear one offers its spellings; clicking one searches it.
        self.click(w.search_bar.field)
        self.key("ctrl+a")
        self.type_text("airplan")
        searched = len(self.events["searched"])
        self.key("Return")
        yield "the suggestions", lambda: len(self.events["searched"]) > searched
        assert w.stack.currentWidget() is w.message_page, "no results: the message page says why"
        chips = w.message.chip_words()
        assert "airplane" in chips, chips
        yield self.sleep(0.3)
        self.shot("misspelt-suggestions", "'airplan' has two close spellings: both offered as chips",
                  chips=chips, message=w.message.label.text())
        chip = next(c for c in w.message.chips.chips() if c.text() == "airplane")
        searched = len(self.events["searched"])
        self.click(chip)
        yield "the suggestion's search", lambda: (len(self.events["searched"]) > searched
                                                  and bool(self.events["searched"][-1]))
        assert w.search_bar.text() == "airplane"
        yield self.sleep(1.5)
        self.shot("suggestion-clicked", "the clicked spelling is searched, from the top",
                  results=w.results.rowCount(), scroll=w.view.verticalScrollBar().value())

        # Tags: confirm one, reject one, reject another and undo that, on the first airplane with
        # three tags or more (a photo the model is sure of has one): the weaker matches shown first
        # where no strong one has three.
        def first_with_three() -> int | None:
            return next((r for r in range(w.results.rowCount()) if len(w.results.hit(r).tags) >= 3), None)

        if first_with_three() is None and w.notice.action.isVisible():
            rows = w.results.rowCount()
            self.click(w.notice.action)
            yield "the weaker matches", lambda: w.results.rowCount() > rows
        chosen = first_with_three()
        assert chosen is not None, "no airplane with three tags"
        w.view.scrollTo(w.results.index(chosen))
        yield self.sleep(0.5)
        target = w.results.hit(chosen).path
        self.click(w.view.viewport(), w.view.visualRect(w.results.index(chosen)).center())
        yield "the photo's tags", lambda: w.tag_panel.paths == [target] and w.tag_panel.tag_list.count() >= 3
        tags = w.tag_panel.shown_tags()
        confirmed, rejected, undone = tags[0], tags[1], tags[2]
        for tag, button in ((confirmed, w.tag_panel.confirm_button), (rejected, w.tag_panel.reject_button),
                            (undone, w.tag_panel.reject_button)):
            item = w.tag_panel.tag_list.item(w.tag_panel.shown_tags().index(tag))
            self.click(w.tag_panel.tag_list.viewport(), w.tag_panel.tag_list.visualItemRect(item).center())
            edits = len(self.events["tags"])
            self.click(button)
            yield f"the edit of {tag!r}", lambda edits=edits: len(self.events["tags"]) > edits
            yield "the tag panel", lambda tag=tag: (tag not in w.tag_panel.shown_tags() or
                                                    w.tag_panel.tag_list.item(w.tag_panel.shown_tags().index(tag))
                                                    .text().startswith("✓"))
        self.click(w.view.viewport(), w.view.visualRect(w.results.index(chosen)).center())
        edits = len(self.events["tags"])
        self.key("ctrl+z")
        yield "the undo", lambda: len(self.events["tags"]) > edits and undone in w.tag_panel.shown_tags()
        yield self.sleep(0.5)
        assert rejected not in w.tag_panel.shown_tags() and undone in w.tag_panel.shown_tags()
        self.shot("tags-edited", f"confirmed {confirmed!r}, rejected {rejected!r}, rejected {undone!r} and undid it",
                  status=w.status_label.text(), tags=w.tag_panel.shown_tags())

        # Remove the folder: it asks first.
        folder_item = w.folders_dock.folder_list.item(1)
        folders = w.folders_dock.folder_list
        self.click(folders.viewport(), QPoint(20, folders.visualItemRect(folder_item).center().y()))
        yield "the folder's photos", lambda: w.folders_dock.current_folder() is not None
        self.click(w.folders_dock.remove_button)
        yield "the question", lambda: isinstance(QApplication.activeModalWidget(), QMessageBox)
        box = QApplication.activeModalWidget()
        yield self.sleep(0.3)
        self.shot("remove-question", "removing a folder asks first, with the number of photos", question=box.text())
        remove = next(b for b in box.buttons() if b.text() == "Remove")
        self.click(remove)
        yield "the removal", lambda: bool(self.events["removed"])
        yield self.sleep(0.5)
        assert w.results.rowCount() == 0 and w.stack.currentWidget() is w.empty_page
        self.shot("folder-removed", "the library is empty again and says what to do", status=w.status_label.text())

        # Re-add it: the decisions come back.
        yield from self.add_folder_through_menu("again")
        yield "the library view", lambda: w.stack.currentWidget() is w.view and w.results.photo_count() == photos
        from cbir_desktop.ui.results_model import HitRole

        row = next(r for r in range(w.results.rowCount())  # the timeline: photos under month headers
                   if (hit := w.results.index(r).data(HitRole)) is not None and hit.path == target)
        w.view.scrollTo(w.results.index(row))
        yield self.sleep(1.0)
        self.click(w.view.viewport(), w.view.visualRect(w.results.index(row)).center())
        yield "the photo's tags again", lambda: w.tag_panel.paths == [target] and w.tag_panel.tag_list.count() > 0
        yield self.sleep(0.5)
        shown = w.tag_panel.shown_tags()
        texts = [w.tag_panel.tag_list.item(i).text() for i in range(w.tag_panel.tag_list.count())]
        assert confirmed in shown and texts[shown.index(confirmed)].startswith("✓"), texts
        assert rejected not in shown, texts
        self.shot("decisions-back",
                  f"after re-adding, {confirmed!r} is still confirmed and {rejected!r} still rejected", tags=texts)

    def add_folder_through_menu(self, when: str) -> Generator[Wait, None, None]:
        """Folders > Add folder… in the menu bar, the real file dialog, a typed path, Enter."""
        w = self.window
        bar = w.menuBar()
        menu = next(m for m in bar.findChildren(QMenu) if m.title() == "&Folders")
        self.click(bar, bar.actionGeometry(menu.menuAction()).center())
        yield "the Folders menu", lambda: menu.isVisible()
        add = next(a for a in menu.actions() if a.text().startswith("&Add folder"))
        self.click(menu, menu.actionGeometry(add).center())
        yield "the file dialog", lambda: isinstance(QApplication.activeModalWidget(), QFileDialog)
        dialog = QApplication.activeModalWidget()
        yield self.sleep(0.5)
        name_field = dialog.findChild(QLineEdit, "fileNameEdit")
        self.click(name_field)
        self.key("ctrl+a")
        self.type_text(str(self.photos))
        yield self.sleep(0.3)
        if when == "first":
            self.shot("add-folder-dialog", "Folders > Add folder… opens the file dialog; the folder is typed",
                      starts_in=dialog.directory().absolutePath())
        indexed = len(self.events["indexed"])
        self.key("Return")
        yield "the dialog to close", lambda: not isinstance(QApplication.activeModalWidget(), QFileDialog)
        if when == "first":
            yield "indexing progress", lambda: (any(p.phase == "indexing" and 0 < p.done < p.total
                                                    for p in self.events["progress"])
                                                or len(self.events["indexed"]) > indexed)
            self.shot("indexing", "indexing shows its progress, rate and time left in the status bar",
                      status=w.status_label.text())
        yield "indexing to finish", lambda: len(self.events["indexed"]) > indexed


def main() -> int:
    out, photos, library = (Path(a) for a in sys.argv[1:4])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    driver = FirstHour(out, photos)
    QTimer.singleShot(0, driver.start)
    from cbir_desktop.ui.app import main as app_main

    code = app_main(["--library", str(library)])
    del app
    return code


if __name__ == "__main__":
    sys.exit(main())
