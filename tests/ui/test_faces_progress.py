"""The window's indexing run finds faces after the image model, and says so with its count."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO

LFW = REPO.parent / "shared" / "datasets" / "faces_lfw12" / "people"


def test_the_status_bar_counts_the_photos_searched_for_faces(make_window, tmp_path: Path, qtbot) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for person in sorted(LFW.iterdir())[:3]:
        shutil.copy(next(iter(sorted(person.iterdir()))), folder)
    window = make_window()
    window.show()
    said: list[str] = []
    window.index_progressed.connect(lambda p: said.append(window.status_label.text())
                                    if p.phase == "finding faces" else None)
    with qtbot.waitSignal(window.index_finished, timeout=60000):
        window.add_folder(str(folder))
    assert any(text.startswith("Finding faces in 3 of 3 photos") for text in said), said
    assert len(window.library.faces(str(next(folder.iterdir())))) == 1
