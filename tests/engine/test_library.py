"""The engine API over real folders, real SQLite files and tiny real ONNX models."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import png_header, solid

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.errors import FolderNotFound, LibraryNotFound, UnknownWord


def _photos(root: Path) -> dict[str, Path]:
    return {
        "red1": solid(root / "reds" / "r1.jpg", (220, 20, 20)),
        "red2": solid(root / "reds" / "r2.png", (200, 30, 25)),
        "green": solid(root / "green.jpg", "green"),
        "blue": solid(root / "sub" / "deep" / "blue.jpg", "blue"),
        "yellow": solid(root / "yellow.webp", "yellow"),
    }


def _names(hits: list) -> list[str]:
    return [Path(h.path).name for h in hits]


def test_index_then_search_by_image_word_and_tags(tiny_models: Path, tmp_path: Path) -> None:
    photos = _photos(tmp_path / "photos")
    with open_library(tmp_path / "lib") as library:
        report = library.index([tmp_path / "photos"])
        assert (report.added, len(report.failed)) == (5, 0)
        hits = library.search_image(photos["red1"], k=2)
        assert _names(hits) == ["r1.jpg", "r2.png"] or _names(hits) == ["r2.png", "r1.jpg"]
        assert hits[0].score == pytest.approx(1.0, abs=1e-3)
        # A photo outside the library works too.
        outside = solid(tmp_path / "elsewhere" / "q.jpg", (210, 25, 20))
        assert set(_names(library.search_image(outside, k=2))) == {"r1.jpg", "r2.png"}
        # Text through the word projection: "blue" finds the blue photo first.
        assert _names(library.search_text("blue", k=1)) == ["blue.jpg"]
        assert library.search_text("blue", k=1)[0].tags[0] == "blue"
        assert [t.tag for t in library.tags(photos["green"], k=1)] == ["green"]
        assert [t.tag for t in library.tags(outside, k=1)] == ["red"]
        status = library.status()
        assert status.photos == 5 and status.indexed == {"tiny8": 5}
        assert status.folders == [str(tmp_path / "photos")]


def test_rescan_detects_new_changed_moved_and_deleted(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    photos = _photos(root)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        before = library.catalogue.photo_by_path(str(photos["blue"]))
        assert before is not None
        moved_to = root / "renamed" / "ocean.jpg"
        moved_to.parent.mkdir()
        shutil.move(photos["blue"], moved_to)
        photos["green"].unlink()
        solid(photos["red2"], "purple", fmt="PNG")  # same path, new content
        os.utime(photos["red2"], ns=(1, 1))
        solid(root / "new.jpg", "yellow")
        report = library.index()  # no folder: rescans the remembered ones
        assert (report.added, report.updated, report.moved, report.removed, report.unchanged) == (1, 1, 1, 1, 2)
        after = library.catalogue.photo_by_path(str(moved_to))
        assert after is not None and after.id == before.id  # vectors and tags kept
        assert library.catalogue.photo_by_path(str(photos["blue"])) is None
        assert _names(library.search_text("blue", k=1)) == ["ocean.jpg"]
        assert "green.jpg" not in _names(library.search_image(photos["red1"], k=10))
        assert library.index().unchanged == 5  # a second rescan does nothing


def test_broken_files_are_recorded_and_the_rest_indexed(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    _photos(root)
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.jpg").write_text("shopping list")
    (root / "loop.jpg").symlink_to(root / "loop.jpg")
    (root / "sub" / "back").symlink_to(root)  # a folder link back to a parent
    (root / "bomb.png").write_bytes(png_header(30000, 30000))
    if os.geteuid() == 0:  # root reads any file: use one whose read fails in the kernel
        (root / "locked.jpg").symlink_to("/proc/self/mem")
    else:
        solid(root / "locked.jpg", "red").chmod(0)
    odd = os.fsencode(str(root)) + b"/caf\xe9.jpg"  # not valid UTF-8
    solid(Path(os.fsdecode(odd)), "blue")
    with open_library(tmp_path / "lib") as library:
        report = library.index([root])
        reasons = {Path(f.path).name: f.reason for f in library.status().failed}
        assert reasons.pop("locked.jpg") in ("permission denied", "Input/output error")
        assert reasons == {
            "empty.jpg": "the file is empty",
            "notes.jpg": "not an image file (it holds text)",
            "loop.jpg": "symbolic link loop",
            "back": "symbolic link loop (links back to a parent folder)",
            "bomb.png": "900 MP is over the 200 MP limit",
        }
        assert report.added == 6  # five photos plus the undecodable-name one
        assert os.fsdecode(odd) in [h.path for h in library.search_text("blue", k=2)]
        # Unchanged broken files are not retried, but still reported.
        again = library.index()
        assert again.added == 0 and len(again.failed) == 6
        # A broken file that gets fixed is indexed on the next scan.
        (root / "notes.jpg").unlink()
        solid(root / "notes.jpg", "green", fmt="JPEG")
        assert library.index().added == 1
        assert "notes.jpg" not in {Path(f.path).name for f in library.status().failed}


def test_missing_folder_and_library_are_clear_errors(tiny_models: Path, tmp_path: Path) -> None:
    with pytest.raises(LibraryNotFound, match="cbir index"):
        open_library(tmp_path / "nothing", create=False)
    with open_library(tmp_path / "lib") as library:
        with pytest.raises(FolderNotFound, match="is not a folder"):
            library.index([tmp_path / "absent"])


def test_unplugged_folder_keeps_its_photos(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "drive" / "photos"
    _photos(root)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        root.rename(tmp_path / "drive" / "elsewhere")
        report = library.index()
        assert report.removed == 0 and library.status().photos == 5
        assert any(f.path == str(root) for f in report.failed)


def test_models_of_different_dimensions_never_meet(tiny_models: Path, tmp_path: Path) -> None:
    """The seed system crashed with 'Vector has wrong length' after switching models."""
    photos = _photos(tmp_path / "photos")
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "photos"], model_id="tiny16")
        library.index(model_id="tiny8")
        assert library.status().indexed == {"tiny8": 5, "tiny16": 5}
        for model in ("tiny8", "tiny16", "tiny8"):
            hits = library.search_image(photos["yellow"], k=1, model_id=model)
            assert _names(hits) == ["yellow.webp"]
            assert _names(library.search_text("green", k=1, model_id=model)) == ["green.jpg"]


def test_unknown_word_suggests_spellings(tiny_models: Path, tmp_path: Path) -> None:
    with open_library(tmp_path / "lib") as library:
        with pytest.raises(UnknownWord, match="Did you mean") as info:
            library.search_text("elephnat")
        assert "elephant" in info.value.suggestions
        assert library.similar_words("beach", 5)


def test_cancelled_index_resumes(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    for i in range(40):
        solid(root / f"p{i:02d}.png", (i * 6, 255 - i * 6, 100))
    cancel = threading.Event()
    with open_library(tmp_path / "lib") as library:
        gen = library.iter_index([root], cancel=cancel, batch_size=4)
        for progress in gen:
            if progress.phase == "indexing" and progress.done >= 8:
                cancel.set()
        assert 8 <= library.status().indexed["tiny8"] < 40
        report = library.index()
        assert report.added + report.unchanged == 40
        assert library.status().indexed == {"tiny8": 40}


def test_search_sees_new_photos_before_the_index_is_rebuilt(tiny_models: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import cbir_desktop.engine.vectors.index as vi

    monkeypatch.setattr(vi, "EXACT_BELOW", 10)  # force a real Annoy file for 30 photos
    root = tmp_path / "photos"
    rng = np.random.default_rng(0)
    for i in range(30):
        solid(root / f"p{i:02d}.png", tuple(int(c) for c in rng.integers(0, 255, 3)))
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        index = library.vector_index("tiny8", "features", 8)
        assert index.ann_path.is_file() and not index.is_stale(library.catalogue)
        # Index one more photo without rebuilding: it is found at once (exact remainder).
        extra = solid(tmp_path / "more" / "purple.jpg", "purple")
        monkeypatch.setattr(vi.VectorIndex, "rebuild", lambda self, cat, n_trees=0: 0)
        library.index([extra.parent])
        assert _names(library.search_image(extra, k=1)) == ["purple.jpg"]


def test_corrupt_index_file_is_searched_exactly_then_rebuilt_by_indexing(
        tiny_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cbir_desktop.engine.vectors.index as vi

    monkeypatch.setattr(vi, "EXACT_BELOW", 10)
    root = tmp_path / "photos"
    for i in range(20):
        solid(root / f"p{i:02d}.png", (i * 12, 30, 255 - i * 12))
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        ann = library.vector_index("tiny8", "features", 8).ann_path
        query = root / "p05.png"
        expected = _names(library.search_image(query, k=3))
    size = ann.stat().st_size
    garbage = os.urandom(size)
    ann.write_bytes(garbage)  # same size, garbage contents
    with open_library(tmp_path / "lib") as library:
        assert _names(library.search_image(query, k=3)) == expected
        assert ann.read_bytes() == garbage  # searching never writes
        assert library.vector_index("tiny8", "features", 8).is_stale(library.catalogue)
        library.index()  # nothing changed on disk, but the damaged index is rebuilt
        assert ann.read_bytes() != garbage
        assert not library.vector_index("tiny8", "features", 8).is_stale(library.catalogue)
    ann.write_bytes(b"junk")  # wrong size
    with open_library(tmp_path / "lib") as library:
        assert _names(library.search_image(query, k=3)) == expected
    ann.unlink()
    with open_library(tmp_path / "lib") as library:
        assert _names(library.search_image(query, k=3)) == expected


def test_library_remembers_its_model(tiny_models: Path, tmp_path: Path) -> None:
    with open_library(tmp_path / "lib") as library:
        library.set_model("tiny16")
    assert Library(tmp_path / "lib").model_id == "tiny16"


def test_out_of_memory_halves_the_batch_and_loses_nothing(tiny_models: Path, tmp_path: Path) -> None:
    """A GPU that runs out of memory at large batches must not stop the run."""
    root = tmp_path / "photos"
    for i in range(20):
        solid(root / f"p{i:02d}.png", (i * 12, 100, 255 - i * 12))
    with open_library(tmp_path / "lib") as library:
        embedder = library.embedder()
        real_run = embedder.runner.run
        sizes: list[int] = []

        def small_gpu(outputs, feeds):
            batch = len(next(iter(feeds.values())))
            sizes.append(batch)
            if batch > 3:  # what onnxruntime's CUDA allocator says when it is full
                raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : "
                                   "Failed to allocate memory for requested buffer")
            return real_run(outputs, feeds)

        embedder.runner.run = small_gpu
        report = library.index([root], batch_size=8)
        assert report.added == 20 and not report.failed
        assert max(sizes) == 8 and 2 in sizes  # tried 8, then halves until it fits
        assert library.status().indexed == {"tiny8": 20}
