"""A small library built by the `cbir` command line, and what a healthy copy of it must show.

Shared by the crash-safety suites (test_faults.py, test_damaged_library.py): the same
command sequence builds the baseline and is replayed with faults; `check_library` then
compares a healed library with the baseline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from helpers import shaded_folder

# Subjects the tiny colour model cannot name, each in a folder named after it: the
# library learns "heron", "lisbon" and "gerenuk" (and the user's "mytag") from them.
SUBJECTS = {"Herons": (200, 40, 40), "Lisbon": (40, 180, 60), "Gerenuk": (40, 60, 200)}
PER_SUBJECT = 11
BATCH = "8"  # 33 photos: 5 embedding batches, so `commit:batch@2` lands mid-run
K = 10  # results compared
K_ASKED = 12  # results asked for: photos tied with the 10th may swap places with it
SCORE_TOLERANCE = 1e-4
TEXT_QUERIES = ("heron", "lisbon", "gerenuk", "mytag", "blue")
# Lines a command may print on stderr besides an error (indexing progress, relearning).
_PROGRESS = re.compile(r"^((?:indexing|finding faces) \d+/\d+ \(.*\)|[a-z ]+\.\.\.|learned \d+ words .*"
                       r"|text search uses .*)$")


@dataclass(frozen=True)
class Layout:
    """Where one test's photos (`root`/photos) and library (`root`/lib, or elsewhere) live."""

    root: Path
    library_dir: Path | None = None

    @property
    def photos(self) -> Path:
        return self.root / "photos"

    @property
    def library(self) -> Path:
        return self.library_dir or self.root / "lib"

    def photo(self, subject: str, n: int) -> Path:
        return self.photos / "Trips" / subject / f"IMG_{n:04d}.jpg"

    def photo_files(self) -> list[Path]:
        return sorted(self.photos.rglob("*.jpg"))


def make_photos(layout: Layout) -> None:
    for seed, (folder, base) in enumerate(SUBJECTS.items()):
        shaded_folder(layout.photos / "Trips" / folder, base, PER_SUBJECT, seed)


def cbir(*args: str | os.PathLike[str], library: Path, models: Path, fault: str | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `cbir ARGS` on `library` with the tiny models; never raises on a failed run."""
    env = {**os.environ, "CBIR_LIBRARY": str(library), "CBIR_MODELS_DIR": str(models),
           # Annoy files even for a tiny library (normally only from 3000 photos).
           "CBIR_ANNOY_MIN_ITEMS": "4"}
    for key in ("CBIR_FAULT", "CBIR_WORD_VECTORS"):
        env.pop(key, None)
    if fault:
        env["CBIR_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "cbir_desktop.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"cbir {' '.join(result.args[3:])} exited {result.returncode}: {result.stderr}"
    return result


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return (f"`cbir {' '.join(map(str, result.args[3:]))}` exited {result.returncode}; "
            f"stderr: {result.stderr.strip()[-1500:]!r}")


def error_lines(stderr: str) -> list[str]:
    """stderr without progress lines: what the user is told went wrong."""
    return [line for line in stderr.splitlines() if line.strip() and not _PROGRESS.match(line)]


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 1 with one `cbir: ...` line, no traceback."""
    assert result.returncode != -11 and result.returncode != 139, f"segfault: {describe(result)}"
    assert result.returncode == 1, describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("cbir: "), describe(result)


def _failure_explained_on_stdout(stdout: str) -> bool:
    """--json commands answer a failure on stdout: every query's record has an "error"
    (search, tags: exit 1 when all failed), or status lists its "problems" (exit 1)."""
    try:
        records = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    except json.JSONDecodeError:
        return False
    return bool(records) and all(isinstance(r, dict) and (r.get("error") or r.get("problems")) for r in records)


def assert_no_crash(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 0; or exit 1 with one `cbir: ` line on stderr, or (--json) with the failure on stdout."""
    assert result.returncode not in (-11, 139), f"segfault (damaged Annoy file?): {describe(result)}"
    assert "Traceback" not in result.stderr, describe(result)
    if result.returncode == 0 or (result.returncode == 1 and _failure_explained_on_stdout(result.stdout)):
        return
    assert_clean_failure(result)


# -- the command sequence -------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One step of the sequence: a `cbir` command, or a change to the photos (`files`)."""

    name: str
    args: Callable[[Layout], list[str | os.PathLike[str]]] | None = None
    files: Callable[[Layout], None] | None = None


def _move_and_delete(layout: Layout) -> None:
    """A tagged photo renamed (its tags must follow it) and one photo deleted."""
    layout.photo("Herons", 1).rename(layout.photo("Herons", 101))
    layout.photo("Lisbon", 10).unlink()


def _tagged(layout: Layout) -> list[Path]:
    return [layout.photo("Herons", 0), layout.photo("Herons", 1), layout.photo("Herons", 2),
            layout.photo("Lisbon", 1)]


STEPS: tuple[Step, ...] = (
    Step("index", lambda lay: ["index", "--batch-size", BATCH, lay.photos]),
    # "mytag" on 4 photos: enough (3+) to become one of the library's learned terms.
    Step("tag", lambda lay: ["tags", *_tagged(lay), "--add", "mytag"]),
    Step("reject", lambda lay: ["tags", lay.photo("Gerenuk", 2), "--remove", "blue"]),
    Step("xmp", lambda lay: ["tags", lay.photo("Herons", 0), "--write-xmp"]),
    Step("move", files=_move_and_delete),
    Step("reindex", lambda lay: ["index", "--batch-size", BATCH]),
)
STEP_NAMES = [s.name for s in STEPS]


def decision_photos(layout: Layout) -> list[Path]:
    """Photos whose tags the user edited (after the move)."""
    return [layout.photo("Herons", 0), layout.photo("Herons", 101), layout.photo("Herons", 2),
            layout.photo("Lisbon", 1), layout.photo("Gerenuk", 2)]


def run_step(step: Step, layout: Layout, models: Path, fault: str | None = None
             ) -> subprocess.CompletedProcess[str] | None:
    if step.files is not None:
        step.files(layout)
        return None
    assert step.args is not None
    return cbir(*step.args(layout), library=layout.library, models=models, fault=fault)


def build(layout: Layout, models: Path) -> Snapshot:
    """The uninterrupted sequence, then a plain `cbir index`; returns what it shows."""
    make_photos(layout)
    for step in STEPS:
        result = run_step(step, layout, models)
        if result is not None:
            ok(result)
    ok(cbir("index", library=layout.library, models=models))
    return snapshot(layout, models)


# -- what a library shows ---------------------------------------------------------------------
Hits = list[tuple[str, float]]


@dataclass
class Snapshot:
    """What the checks compare: search answers, the user's decisions, the catalogue's shape."""

    searches: dict[str, Hits] = field(default_factory=dict)
    decisions: set[tuple[str, str, bool]] = field(default_factory=set)
    vector_kinds: set[tuple[str, str]] = field(default_factory=set)
    schema_version: int = 0


def queries(layout: Layout, images_only: bool = False) -> list[str]:
    args: list[str] = []
    for subject, n in (("Herons", 3), ("Lisbon", 5), ("Gerenuk", 7)):
        args += ["--image", str(layout.photo(subject, n))]
    for word in () if images_only else TEXT_QUERIES:
        args += ["--text", word]
    return args


def relative(layout: Layout, path: str) -> str:
    """A path as it would be in any copy of the test folder (each test has its own)."""
    return os.path.relpath(path, layout.root)


def search(layout: Layout, models: Path, images_only: bool = False) -> dict[str, Hits]:
    result = ok(cbir("search", "--json", "-k", str(K_ASKED), *queries(layout, images_only),
                     library=layout.library, models=models))
    found: dict[str, Hits] = {}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        query = record["query"]
        key = f"image {relative(layout, query['image'])}" if "image" in query else f"text {query['text']}"
        assert "error" not in record, f"query {key} failed: {record['error']}"
        found[key] = [(relative(layout, r["path"]), float(r["score"])) for r in record["results"]]
    return found


def connect(library: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{library / 'catalogue.sqlite'}?mode=ro", uri=True)


def read_decisions(layout: Layout) -> set[tuple[str, str, bool]]:
    """(photo, tag, confirmed) of every tag the user confirmed or rejected."""
    db = connect(layout.library)
    try:
        rows = db.execute("SELECT p.path, u.tag, u.confirmed FROM user_tags u JOIN photos p ON p.id = u.photo_id")
        return {(relative(layout, os.fsdecode(bytes(path))), tag, bool(confirmed)) for path, tag, confirmed in rows}
    finally:
        db.close()


def snapshot(layout: Layout, models: Path) -> Snapshot:
    db = connect(layout.library)
    try:
        kinds = {(m, k) for m, k in db.execute("SELECT DISTINCT model_id, kind FROM vectors")}
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()
    return Snapshot(search(layout, models), read_decisions(layout), kinds, version)


def same_hits(base: Hits, got: Hits, label: str) -> None:
    """The same top K, in order, scores within tolerance; photos tied in score may swap places."""
    assert len(got) == len(base), f"{label}: {len(got)} results, baseline {len(base)}"
    for rank, ((bpath, bscore), (gpath, gscore)) in enumerate(zip(base[:K], got[:K], strict=True)):
        tied = {p for p, s in base if abs(s - bscore) <= SCORE_TOLERANCE}
        assert gpath == bpath or gpath in tied, (
            f"{label}: rank {rank + 1} is {gpath} ({gscore:.6f}), baseline {bpath} ({bscore:.6f})")
        assert abs(gscore - bscore) <= SCORE_TOLERANCE, (
            f"{label}: rank {rank + 1} score {gscore:.6f}, baseline {bscore:.6f}")
    assert len({p for p, _ in got[:K]}) == len(got[:K]), f"{label}: a photo twice in {got[:K]}"


def check_catalogue(layout: Layout, base: Snapshot) -> None:
    """Sound SQLite; each photo file once, with exactly one vector of each model and kind."""
    db = connect(layout.library)
    try:
        check = [r[0] for r in db.execute("PRAGMA integrity_check")]
        assert check == ["ok"], f"integrity_check: {check}"
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        assert version == base.schema_version, f"schema version {version}, baseline {base.schema_version}"
        paths = [os.fsdecode(bytes(p)) for (p,) in db.execute("SELECT path FROM photos")]
        on_disk = sorted(str(p) for p in layout.photo_files())
        twice = sorted({p for p in paths if paths.count(p) > 1})
        assert sorted(paths) == on_disk, (
            f"catalogue lacks {sorted(set(on_disk) - set(paths))[:5]}, "
            f"has extra {sorted(set(paths) - set(on_disk))[:5]}, twice {twice[:5]}")
        counts = db.execute(
            "SELECT p.path, v.model_id, v.kind, COUNT(v.seq) FROM photos p JOIN vectors v ON v.photo_id = p.id "
            "GROUP BY p.id, v.model_id, v.kind").fetchall()
        have: dict[str, set[tuple[str, str]]] = {}
        for path, model, kind, n in counts:
            assert n == 1, f"{os.fsdecode(bytes(path))} has {n} {model}/{kind} vectors"
            have.setdefault(os.fsdecode(bytes(path)), set()).add((model, kind))
        wrong = {p: sorted(have.get(p, set())) for p in on_disk if have.get(p, set()) != base.vector_kinds}
        assert not wrong, (f"vectors per photo should be {sorted(base.vector_kinds)}; "
                           f"differ: {dict(list(wrong.items())[:3])}")
    finally:
        db.close()


def check_no_temp_files(layout: Layout) -> None:
    left = sorted(str(p.relative_to(layout.root)) for p in layout.library.rglob("*.tmp"))
    assert not left, f"temporary files left in the library: {left}"
    beside_photos = sorted(str(p.relative_to(layout.root)) for p in layout.photos.rglob("*.tmp"))
    assert not beside_photos, f"temporary files left beside the photos: {beside_photos}"


def check_status(layout: Layout, models: Path) -> None:
    status = json.loads(ok(cbir("status", "--json", library=layout.library, models=models)).stdout)
    assert status.get("problems", []) == [], f"status reports problems: {status['problems']}"
    assert status["photos"] == len(layout.photo_files()), status


def check_library(layout: Layout, models: Path, base: Snapshot) -> None:
    """Everything a healed library must show, compared with the baseline."""
    check_catalogue(layout, base)
    check_status(layout, models)
    got = search(layout, models)
    assert set(got) == set(base.searches)
    for key, hits in base.searches.items():
        same_hits(hits, got[key], key)
    decisions = read_decisions(layout)
    assert decisions == base.decisions, (
        f"the user's tags: lost {sorted(base.decisions - decisions)}, new {sorted(decisions - base.decisions)}")
    check_no_temp_files(layout)


def copy_library(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def library_files(library: Path) -> list[str]:
    return sorted(str(p.relative_to(library)) for p in library.rglob("*") if p.is_file())


def downgrade_to_v2(catalogue: Path) -> None:
    """Undo schema steps 5, 4 and 3 (they add `metadata`, `tag_decisions` and `derived`): the
    catalogue as version 2 wrote it."""
    db = sqlite3.connect(catalogue)
    try:
        db.execute("DROP TABLE IF EXISTS metadata")
        db.execute("DROP TABLE IF EXISTS tag_decisions")
        db.execute("DROP TABLE IF EXISTS derived")
        db.execute("PRAGMA user_version = 2")
        db.commit()
    finally:
        db.close()


