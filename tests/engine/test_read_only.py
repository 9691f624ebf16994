"""A library on read-only media: searching works, changes say why they cannot be made.

Root ignores file permissions, so the library is made read-only for real: a read-only
bind mount of it inside a user and mount namespace (`unshare -Urm`), seen only by the
`cbir` process started inside it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import require_tool, run_cbir, shaded_folder, solid

from cbir_desktop.engine.api import open_library

SUBJECTS = {"Herons": (200, 40, 40), "Lisbon": (40, 180, 60), "Gerenuk": (40, 60, 200)}
ANNOY_ENV = {"CBIR_ANNOY_MIN_ITEMS": "4"}  # Annoy files even in a tiny library: mapped read-only too
MOUNT_RO = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


def read_only_wrap(lib: Path) -> list[str]:
    """A command prefix running what follows with `lib` mounted read-only."""
    unshare = require_tool("unshare", "util-linux")
    return [unshare, "-Urm", "sh", "-c", MOUNT_RO, str(lib)]


def _snapshot(lib: Path) -> dict[str, bytes]:
    return {str(p.relative_to(lib)): p.read_bytes() for p in sorted(lib.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An indexed library (with what text search learned, and a user's tag), built writable;
    shared by the tests, which check that they change none of it."""
    tmp_path = tmp_path_factory.mktemp("read_only")
    tiny_models = tiny_models_dir
    photos = tmp_path / "photos"
    for seed, (folder, base) in enumerate(SUBJECTS.items()):
        shaded_folder(photos / "Trips" / folder, base, 7, seed)
    lib = tmp_path / "lib"
    result = run_cbir("index", photos, library=lib, models=tiny_models, env=ANNOY_ENV)
    assert result.returncode == 0, result.stderr
    assert "learned" in result.stdout  # a learned model to load read-only as well
    tagged = run_cbir("tags", photos / "Trips" / "Herons" / "IMG_0000.jpg", "--add", "mytag",
                      library=lib, models=tiny_models, env=ANNOY_ENV)
    assert tagged.returncode == 0, tagged.stderr
    assert (lib / "index" / "tiny8" / "features.ann").is_file()
    return lib


@pytest.fixture
def library(built: Path, tiny_models: Path) -> Path:
    return built


@pytest.fixture
def photos(built: Path) -> Path:
    return built.parent / "photos"


def ro_cbir(lib: Path, models: Path, *args: object) -> subprocess.CompletedProcess[str]:
    return run_cbir(*args, library=lib, models=models, env=ANNOY_ENV, wrap=read_only_wrap(lib))


def test_the_mount_really_is_read_only(library: Path) -> None:
    probe = subprocess.run([*read_only_wrap(library), "touch", str(library / "probe")],
                           capture_output=True, text=True, timeout=30)
    assert probe.returncode != 0 and "Read-only file system" in probe.stderr, probe
    assert not (library / "probe").exists()


def test_search_works_the_same_on_a_read_only_library(library: Path, tiny_models: Path, photos: Path,
                                                      tmp_path: Path) -> None:
    query = solid(tmp_path / "query.jpg", (195, 45, 40))
    search = ("search", "--json", "-k", "8", "--text", "heron", "--text", "blue",
              "--image", query, "--image", photos / "Trips" / "Lisbon" / "IMG_0003.jpg")
    writable = run_cbir(*search, library=library, models=tiny_models, env=ANNOY_ENV)
    assert writable.returncode == 0, writable.stderr
    before = _snapshot(library)

    result = ro_cbir(library, tiny_models, *search)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    expected = [json.loads(line) for line in writable.stdout.splitlines()]
    assert all("error" not in record for record in expected), expected
    assert any("mytag" in r["tags"] for record in expected for r in record["results"])  # the user's tag shows
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(got) == 4 and all("error" not in record for record in got), [r.get("error") for r in got]
    for want, have in zip(expected, got, strict=True):
        assert [r["path"] for r in have["results"]] == [r["path"] for r in want["results"]]
        assert [r["score"] for r in have["results"]] == pytest.approx([r["score"] for r in want["results"]])
        assert [r["tags"] for r in have["results"]] == [r["tags"] for r in want["results"]]
    assert _snapshot(library) == before  # not a byte written (no -wal, no -shm either)


def test_status_says_read_only(library: Path, tiny_models: Path) -> None:
    with open_library(library) as writable:
        assert writable.read_only == ""
    result = ro_cbir(library, tiny_models, "status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "read-only (" in result.stdout and "on read-only media" in result.stdout, result.stdout
    assert "checks   ok" in result.stdout
    assert "photos   21" in result.stdout
    as_json = json.loads(ro_cbir(library, tiny_models, "status", "--json").stdout)
    assert "read-only" in as_json["read_only"] and as_json["problems"] == []


@pytest.mark.parametrize("args", [
    ("index",),
    ("index", "{photos}"),
    ("tags", "{photos}/Trips/Herons/IMG_0001.jpg", "--add", "x"),
    ("tags", "{photos}/Trips/Herons/IMG_0001.jpg", "--remove", "red"),
], ids=["index", "index-folder", "tag-add", "tag-remove"])
def test_changes_fail_with_one_sentence(library: Path, tiny_models: Path, photos: Path,
                                        args: tuple[str, ...]) -> None:
    before = _snapshot(library)
    result = ro_cbir(library, tiny_models, *(a.format(photos=photos) for a in args))
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cbir: ") and "read-only" in lines[0], lines[0]
    assert _snapshot(library) == before
