"""What self-healing costs at 100,000 photos: checks, heals, backups and repair.

Builds the library of `bench/scale.py` (real Caltech-101 vectors repeated with noise,
real files in 1,000 folders), learns from its folder names, then measures:
- the checks every indexing run makes before it starts (heal with nothing to do),
  and `cbir status`'s checks (SQLite quick check + derived state);
- healing a damaged features index (random bytes over its second half), and
  healing after every derived file is gone (indexes and learned models);
- healing after a kill -9 during learning (its record left at "training");
- a backup of the user's work (time and size) and `repair` of a catalogue with
  random bytes over a stretch of its pages (salvage + backups), then the heal after.

Usage: python bench/heal.py [--photos N]   (run bench/quality.py first: it indexes Caltech)
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import OUT, table
from scale import build

from cbir_desktop.engine.api import open_library, repair_library
from cbir_desktop.engine.healing import heal, problems
from cbir_desktop.engine.storage.backups import BACKUP_FOLDER, back_up


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def damage(path: Path, start_fraction: float, length: int | None = None) -> None:
    """Random bytes over `path` from `start_fraction` of its size (to its end, or `length` bytes)."""
    size = path.stat().st_size
    start = int(size * start_fraction)
    with open(path, "r+b") as handle:
        handle.seek(start)
        handle.write(os.urandom(length if length is not None else size - start))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--source", default=str(OUT / "caltech-lib"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cbir-heal-"))
    rows: list[tuple[object, ...]] = []
    try:
        library, tree = work / "lib", work / "photos"
        build(Path(args.source), library, tree, args.photos)
        with open_library(library) as lib:
            trained = lib.train_words()
            print(f"built {args.photos} photos; learned {len(trained.terms)} terms in {trained.seconds:.1f} s")
            handles, learner, embedder = lib._handles, lib.learner, lib.embedder()

            def heal_now() -> list[str]:
                return heal(handles, learner, embedder)

            seconds, healed = timed(heal_now)
            assert healed == [], healed
            rows.append(("heal check, nothing to do (every indexing run)", seconds, "s", ""))
            seconds, found = timed(lambda: lib.catalogue.problems() + problems(handles, learner, embedder))
            assert found == [], found
            rows.append(("status checks (quick_check + derived)", seconds, "s", ""))

            ann = library / "index" / embedder.id / "features.ann"
            damage(ann, 0.5)
            lib.close()
        with open_library(library) as lib:
            handles, learner, embedder = lib._handles, lib.learner, lib.embedder()
            seconds, healed = timed(lambda: heal(handles, learner, embedder))
            rows.append((f"heal a damaged features index ({len(healed)} rebuilt)", seconds, "s", ""))

            cat = lib.catalogue
            name = next(n for n in cat.derived_names("learned/"))
            cat.record_derived(name, -1, {"state": "training"})  # what a kill -9 mid-learning leaves
            seconds, healed = timed(lambda: heal(handles, learner, embedder))
            rows.append(("heal after a kill during learning (relearn + its index)", seconds, "s", ""))
            lib.close()
        for folder in ("index", "learned"):
            shutil.rmtree(library / folder)
        with open_library(library) as lib:
            handles, learner, embedder = lib._handles, lib.learner, lib.embedder()
            seconds, healed = timed(lambda: heal(handles, learner, embedder))
            rows.append((f"heal with every derived file gone ({len(healed)} rebuilt)", seconds, "s", ""))
            cat_path = library / "catalogue.sqlite"
            seconds, backup = timed(lambda: back_up(cat_path, library / BACKUP_FOLDER))
            assert isinstance(backup, Path)
            rows.append(("backup of the user's work", seconds, "s",
                         f"{backup.stat().st_size / 1e6:.1f} MB vs catalogue {cat_path.stat().st_size / 1e6:.0f} MB"))
        damage(library / "catalogue.sqlite", 0.5, 1 << 20)  # 1 MB of random bytes mid-file
        seconds, report = timed(lambda: repair_library(library))
        rows.append(("repair a catalogue with 1 MB of random bytes mid-file", seconds, "s",
                     f"kept {report.rows.get('photos')} photos, {report.rows.get('vectors')} vectors"))
        with open_library(library) as lib:
            handles, learner, embedder = lib._handles, lib.learner, lib.embedder()
            seconds, healed = timed(lambda: heal(handles, learner, embedder))
            missing = len(lib.catalogue.indexed_paths(embedder.id))
            rows.append(("heal after that repair", seconds, "s", f"{missing:,} photos still have vectors"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table(f"Self-healing at {args.photos:,} photos on {os.cpu_count()} cores",
          ["measure", "value", "unit", "note"], rows)


if __name__ == "__main__":
    main()
