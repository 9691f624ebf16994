"""Crash safety: kill -9 or a full disk at each write point, then a normal run heals the library.

Each case replays the baseline's command sequence (library_runs.STEPS) from an empty
library with `CBIR_FAULT` set from the step that first reaches the point until the
fault fires. The fault must fire (killed: exit -9; full disk: exit 1 with one
`cbir: ` line), so a point the engine never reaches fails here rather than passing.
The failed command is then run again (as its user would), then the remaining steps
and a plain `cbir index`; the library must show what the uninterrupted baseline shows.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from library_runs import (
    STEP_NAMES,
    STEPS,
    Layout,
    Snapshot,
    assert_clean_failure,
    build,
    cbir,
    check_library,
    connect,
    copy_library,
    describe,
    downgrade_to_v2,
    error_lines,
    make_photos,
    ok,
    run_step,
)

ACTIONS = ("kill", "enospc")


def _id(point: str) -> str:
    return point.replace(":.", ".").replace(":", "-")


@dataclass(frozen=True)
class Point:
    """A write point, armed from the first step that reaches it (`arm_from`)."""

    point: str
    arm_from: str
    nth: int = 1

    def __str__(self) -> str:
        """A test id `-k` accepts: replace.ann-in-tag, commit-batch-2nd-in-index."""
        nth = f"-{self.nth}{'nd' if self.nth == 2 else 'th'}" if self.nth > 1 else ""
        return f"{_id(self.point)}{nth}-in-{self.arm_from}"


POINTS = [
    Point("replace:.ann", "index"),  # the first Annoy index (nothing to replace yet)
    Point("replace:.ann", "tag"),  # the learned vectors' index, replacing the old one
    Point("replace:.json", "index"),  # index metadata
    Point("replace:.json", "tag"),  # learned metadata, replacing the old one
    Point("replace:.onnx", "index"),  # the learned projection
    Point("replace:.onnx", "tag"),  # ... relearned after tag edits
    Point("replace:.npz", "index"),  # the term classifier
    Point("replace:.npz", "tag"),  # ... relearned after tag edits
    Point("replace:.xmp", "xmp"),  # a sidecar beside a photo
    Point("replace:.sqlite", "index"),  # a catalogue backup, wherever the first one is made
    Point("commit:plan", "reindex"),  # a move and a deletion recorded
    Point("commit:batch", "index", nth=2),  # mid-run: one batch stored, the rest not
    Point("commit:learned", "index"),
    Point("commit:learned", "tag"),
    Point("commit:derived", "index"),
    Point("commit:tags", "tag"),  # confirmed tags
    Point("commit:tags", "reject"),  # a rejected tag
    Point("commit:migrate", "index"),  # a new library's first schema step
]
# A full disk fails a replace the same way whichever file it is, so the relearning after
# tag edits (replacing existing files) is killed only; every other point both ways.
CASES = [pytest.param(point, action, id=f"{action}-{point}") for point in POINTS for action in ACTIONS
         if not (action == "enospc" and point.point.startswith("replace:") and point.arm_from == "tag")]
# An existing version-2 catalogue migrated to the current schema (and backed up first).
MIGRATION_POINTS = ["commit:migrate", "replace:.sqlite"]


@pytest.fixture(scope="module")
def baseline(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, Snapshot]:
    layout = Layout(tmp_path_factory.mktemp("baseline"))
    return layout, build(layout, tiny_models_dir)


def _check_fired(result: subprocess.CompletedProcess[str], action: str) -> None:
    if action == "kill":
        assert result.returncode == -9, f"expected the fault to kill it (-9): {describe(result)}"
    else:
        assert_clean_failure(result)
        message = error_lines(result.stderr)[0].lower()
        assert "full" in message or "space" in message, f"not the injected full disk: {describe(result)}"


def _check_after_fault(layout: Layout, step: str) -> None:
    """Straight after the fault: the catalogue is sound and a tag edit all or nothing."""
    if not (layout.library / "catalogue.sqlite").exists():
        return
    db = connect(layout.library)
    try:
        check = [r[0] for r in db.execute("PRAGMA integrity_check")]
        assert check == ["ok"], f"after the fault, integrity_check: {check}"
        if step == "tag":
            n = db.execute("SELECT COUNT(*) FROM user_tags WHERE tag = 'mytag'").fetchone()[0]
            assert n in (0, 4), f"half a tag edit committed: mytag on {n} of 4 photos"
    finally:
        db.close()


@pytest.mark.parametrize(("point", "action"), CASES)
def test_fault_then_normal_run_heals(point: Point, action: str, baseline: tuple[Layout, Snapshot],
                                     tiny_models_dir: Path, tmp_path: Path) -> None:
    _, base = baseline
    layout = Layout(tmp_path)
    make_photos(layout)
    fault = f"{point.point}@{point.nth}:{action}"
    fired_at = None
    for n, step in enumerate(STEPS):
        armed = fired_at is None and n >= STEP_NAMES.index(point.arm_from)
        result = run_step(step, layout, tiny_models_dir, fault if armed else None)
        if result is None:
            continue
        if armed and result.returncode != 0:
            fired_at = step.name
            _check_fired(result, action)
            _check_after_fault(layout, step.name)
            result = run_step(step, layout, tiny_models_dir)  # the user runs it again
            assert result is not None
        ok(result)
    assert fired_at is not None, (
        f"CBIR_FAULT={fault} never fired in steps {STEP_NAMES[STEP_NAMES.index(point.arm_from):]}")
    ok(cbir("index", library=layout.library, models=tiny_models_dir))
    check_library(layout, tiny_models_dir, base)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("point", MIGRATION_POINTS, ids=lambda p: _id(p))
def test_fault_during_migration_then_normal_run_heals(point: str, action: str, baseline: tuple[Layout, Snapshot],
                                                      tiny_models_dir: Path, tmp_path: Path) -> None:
    """A catalogue written by schema version 2, migrated by `cbir index` with a fault."""
    base_layout, base = baseline
    # The baseline's photos (only read), a copy of its library.
    layout = Layout(base_layout.root, copy_library(base_layout.library, tmp_path / "lib"))
    downgrade_to_v2(layout.library / "catalogue.sqlite")
    result = cbir("index", library=layout.library, models=tiny_models_dir, fault=f"{point}@1:{action}")
    _check_fired(result, action)
    _check_after_fault(layout, "index")
    ok(cbir("index", library=layout.library, models=tiny_models_dir))
    check_library(layout, tiny_models_dir, base)
