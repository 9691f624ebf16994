"""`cbir faces --delete-all`: every face and person of the library forgotten, the photos and their
tags kept; on a terminal it asks first, `--yes` skips the question, and with nobody to ask (no
terminal, no --yes) it refuses in one line. A real library of LFW faces, one of them named."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from cbir_desktop.engine.api import open_library

pytestmark = pytest.mark.e2e

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"


@pytest.fixture
def library(tmp_path: Path, tiny_models: Path) -> Path:
    """Three photos of two people, indexed; one face named, one photo tagged."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for person in ("Colin_Powell", "Laura_Bush"):
        for n, source in enumerate(sorted((LFW / person).glob("*.jpg"))[:2 if person == "Colin_Powell" else 1]):
            shutil.copy(source, photos / f"{person}_{n}.jpg")
    with open_library(tmp_path / "library") as opened:
        opened.index([photos])
        first = str(photos / "Colin_Powell_0.jpg")
        face = next(f.face_id for g in opened.people(samples=10, min_faces=1) for f in g.faces if f.path == first)
        opened.name_faces([face], "Colin")
        opened.edit_tags([first], add=["speech"])
        assert opened.face_data_size() == (3, 1)
    return tmp_path / "library"


def _cbir(*args: str, library: Path, models: Path, answer: str | None = None) -> tuple[int, str, str]:
    """Run `cbir ARGS`; with `answer`, on a terminal (a pty) that types it; otherwise stdin is a
    pipe. Returns (exit code, stdout, stderr)."""
    env = {**os.environ, "CBIR_LIBRARY": str(library), "CBIR_MODELS_DIR": str(models)}
    command = [sys.executable, "-m", "cbir_desktop.cli", *args]
    if answer is None:
        done = subprocess.run(command, env=env, input="", capture_output=True, text=True, timeout=120, cwd=REPO)
        return done.returncode, done.stdout, done.stderr
    main, terminal = pty.openpty()
    try:
        running = subprocess.Popen(command, env=env, stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, cwd=REPO)
        os.write(main, answer.encode() + b"\n")
        out, err = running.communicate(timeout=120)
    finally:
        os.close(main)
        os.close(terminal)
    return running.returncode, out, err


def _kept(library: Path) -> tuple[tuple[int, int], int, dict[str, bool]]:
    """(faces, people), photos and the tagged photo's tags, read back from the library."""
    with open_library(library) as opened:
        photos = opened.folders()[0]
        return (opened.face_data_size(), opened.folder_photo_count(photos),
                opened.user_tags(Path(photos) / "Colin_Powell_0.jpg"))


def test_delete_all_without_a_terminal_or_yes_refuses_in_one_line(library: Path, tiny_models: Path) -> None:
    code, out, err = _cbir("faces", "--delete-all", library=library, models=tiny_models)
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and "--yes" in err
    assert _kept(library) == ((3, 1), 3, {"speech": True})


def test_delete_all_on_a_terminal_asks_and_no_keeps_everything(library: Path, tiny_models: Path) -> None:
    code, out, _ = _cbir("faces", "--delete-all", library=library, models=tiny_models, answer="n")
    assert code == 1
    assert "3 faces and 1 named person" in out and "nothing deleted" in out
    assert _kept(library) == ((3, 1), 3, {"speech": True})


def test_delete_all_on_a_terminal_answered_yes_deletes(library: Path, tiny_models: Path) -> None:
    code, out, _ = _cbir("faces", "--delete-all", library=library, models=tiny_models, answer="y")
    assert code == 0 and "deleted 3 faces and 1 named person" in out
    assert _kept(library) == ((0, 0), 3, {"speech": True})


def test_delete_all_with_yes_deletes_faces_and_people_and_keeps_photos_and_tags(library: Path,
                                                                                 tiny_models: Path) -> None:
    code, out, err = _cbir("faces", "--delete-all", "--yes", library=library, models=tiny_models)
    assert (code, err) == (0, "")
    assert out == "deleted 3 faces and 1 named person (photos and tags kept)\n"
    assert _kept(library) == ((0, 0), 3, {"speech": True})
    code, out, _ = _cbir("people", library=library, models=tiny_models)
    assert code == 0 and "no people yet" in out
    code, out, _ = _cbir("faces", "--delete-all", "--yes", library=library, models=tiny_models)
    assert code == 0 and "deleted 0 faces and 0 named people" in out


def test_delete_all_takes_no_files_and_faces_needs_files(library: Path, tiny_models: Path) -> None:
    code, _, err = _cbir("faces", "--delete-all", "--yes", "x.jpg", library=library, models=tiny_models)
    assert code == 2 and "name no files" in err
    code, _, err = _cbir("faces", library=library, models=tiny_models)
    assert code == 2 and "cbir faces FILE" in err
    assert _kept(library) == ((3, 1), 3, {"speech": True})
