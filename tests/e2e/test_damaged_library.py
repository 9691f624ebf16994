"""Damaged library files: every file of a library, damaged four ways, never crashes `cbir`,
and heals (`cbir index` for files derived from the catalogue, `cbir repair` for the
catalogue itself) back to what the undamaged library showed, the user's tags included.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest
from library_runs import (
    Layout,
    Snapshot,
    assert_no_crash,
    build,
    cbir,
    check_catalogue,
    check_library,
    copy_library,
    decision_photos,
    library_files,
    ok,
    queries,
    same_hits,
    search,
)

# Every kind of file a library holds (relative to the library folder, fnmatch patterns),
# and what heals it. `test_every_library_file_has_damage_cases` fails when the engine
# writes a file none of these match, so a new file gets its cases here.
# Keyed by the name the cases show in pytest's output.
FILES = {
    "catalogue": ("catalogue.sqlite", "repair"),
    "features.ann": ("index/*/features.ann", "index"),
    "words.ann": ("index/*/words.ann", "index"),
    "augmented.ann": ("index/*/augmented.ann", "index"),  # expansion's augmented vectors (vectors/neighbours.py)
    "learned.ann": ("index/*/learned:*.ann", "index"),
    "projection.onnx": ("learned/*.onnx", "index"),
    "learned.json": ("learned/*.json", "index"),
    "terms.npz": ("learned/*.terms.npz", "index"),
    "backup": ("backups/*.sqlite", "none"),  # the newest backup: nothing to heal, nothing may change
    "writer.lock": ("writer.lock", "index"),  # who holds the writer lock (the lock itself is the kernel's)
    "faces.npz": ("faces/descriptors.npz", "index"),  # the face index (engine/faces/index.py)
}
PATTERNS = [pattern for pattern, _ in FILES.values()]
# Files that are allowed to exist without damage cases: SQLite's own transient files
# (absent when no process has the catalogue open) are listed here only if they show up.
TRANSIENT = ("catalogue.sqlite-wal", "catalogue.sqlite-shm")


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _zeroed(data: bytes) -> bytes:
    return bytes(len(data))


def _scrambled(data: bytes) -> bytes:
    half = len(data) // 2
    return data[:half] + np.random.default_rng(7).bytes(len(data) - half)


def _grown(data: bytes) -> bytes:
    return data + np.random.default_rng(11).bytes(max(1000, len(data) // 4))


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "truncated": _truncated, "zeroed": _zeroed, "scrambled": _scrambled, "grown": _grown,
}


@pytest.fixture(scope="module")
def baseline(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, Snapshot]:
    layout = Layout(tmp_path_factory.mktemp("baseline"))
    return layout, build(layout, tiny_models_dir)


def _newest(library: Path, pattern: str) -> Path:
    found = [library / name for name in library_files(library) if fnmatch(name, pattern)]
    assert found, f"no library file matches {pattern}; the library holds {library_files(library)}"
    return max(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def _damage(path: Path, how: str) -> None:
    path.write_bytes(DAMAGES[how](path.read_bytes()))


def _copy(baseline: tuple[Layout, Snapshot], tmp_path: Path) -> Layout:
    """The baseline's photos (only read) with a copy of its library."""
    base_layout, _ = baseline
    return Layout(base_layout.root, copy_library(base_layout.library, tmp_path / "lib"))


def _never_crashes(layout: Layout, models: Path) -> None:
    """Search by image and text, tags and status: exit 0, or 1 with one `cbir: ` line."""
    for args in (["search", "--json", "-k", "10", *queries(layout)],
                 ["tags", "--json", *decision_photos(layout)],
                 ["status", "--json"]):
        assert_no_crash(cbir(*args, library=layout.library, models=models))


def test_every_library_file_has_damage_cases(baseline: tuple[Layout, Snapshot]) -> None:
    layout, _ = baseline
    files = library_files(layout.library)
    print("library files:", *files, sep="\n  ")
    uncovered = [f for f in files if f not in TRANSIENT and not any(fnmatch(f, p) for p in PATTERNS)]
    assert not uncovered, f"files without damage cases: {uncovered} (library: {files})"
    missing = [p for p in PATTERNS if not any(fnmatch(f, p) for f in files)]
    assert not missing, f"expected library files absent: {missing} (library: {files})"


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("file", FILES)
def test_damaged_file_never_crashes_and_heals(file: str, damage: str, baseline: tuple[Layout, Snapshot],
                                              tiny_models_dir: Path, tmp_path: Path) -> None:
    _, base = baseline
    layout = _copy(baseline, tmp_path)
    pattern, heal = FILES[file]
    _damage(_newest(layout.library, pattern), damage)
    _never_crashes(layout, tiny_models_dir)
    if heal == "none":  # a damaged backup: searches answer as before, indexing is unaffected
        got = search(layout, tiny_models_dir)
        for key, hits in base.searches.items():
            same_hits(hits, got[key], key)
        heal = "index"
    ok(cbir(heal, library=layout.library, models=tiny_models_dir))
    check_library(layout, tiny_models_dir, base)


def _decisions_by_content(catalogue: Path) -> set[tuple[bytes, str, bool]]:
    """(content hash, tag, confirmed): the user's tags, wherever the photo now lives."""
    db = sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT p.content_hash, u.tag, u.confirmed FROM user_tags u "
                          "JOIN photos p ON p.id = u.photo_id")
        return {(bytes(h), tag, bool(c)) for h, tag, c in rows}
    finally:
        db.close()


def _backups(library: Path) -> list[Path]:
    """Backups, oldest first."""
    return sorted((library / "backups").glob("*.sqlite"), key=lambda p: (p.stat().st_mtime_ns, p.name))


def test_repair_with_the_newest_backup_damaged_keeps_an_older_backups_tags(
        baseline: tuple[Layout, Snapshot], tiny_models_dir: Path, tmp_path: Path) -> None:
    """Catalogue and newest backup both lost: the tags in the backup before survive."""
    _, base = baseline
    layout = _copy(baseline, tmp_path)
    assert _backups(layout.library), f"no backups in {library_files(layout.library)}"
    # One more tag and an indexing run: a newer backup than the one holding the baseline's tags.
    before = len(_backups(layout.library))
    ok(cbir("tags", layout.photo("Lisbon", 3), "--add", "later", library=layout.library, models=tiny_models_dir))
    ok(cbir("index", library=layout.library, models=tiny_models_dir))
    backups = _backups(layout.library)
    assert len(backups) > before, f"no backup after a tag edit and an indexing run: {library_files(layout.library)}"
    older = _decisions_by_content(backups[-2])
    assert older, f"the older backup {backups[-2].name} holds none of the user's tags"
    _damage(layout.library / "catalogue.sqlite", "zeroed")
    _damage(backups[-1], "zeroed")
    _never_crashes(layout, tiny_models_dir)
    ok(cbir("repair", library=layout.library, models=tiny_models_dir))
    check_catalogue(layout, base)
    kept = _decisions_by_content(layout.library / "catalogue.sqlite")
    assert older <= kept, f"tags in the older backup lost by the repair: {sorted(older - kept)}"
    # The older backup is the baseline's: everything it showed is back (the later tag is lost).
    check_library(layout, tiny_models_dir, base)
