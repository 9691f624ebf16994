"""Burst stacks (issue 14) at 100,000 photos: how long `Library.burst_stacks` takes, the call
the window makes in a worker when stacking is turned on and after an indexing run changes the
library, and `stacked_rows` over a long listing (the window folds every page it loads).

The library is bench/filtered.py's (bench/out/filtered-100k, built by it with --keep; 100,000
photos with synthetic capture times and cameras), its catalogue copied to bench/out/stacks-100k.
Twice: as built (its random times make few bursts), then with `--bursts` of its photos retimed
into bursts of five shots one second apart by one camera (the copy's metadata rewritten).

Usage: python bench/stacks.py [--lib-100k DIR] [--bursts 20000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

from common import OUT, table

from cbir_desktop.engine.api import open_library, stacked_rows, stacks_by_path
from cbir_desktop.engine.types import SearchHit

SHOTS = 5  # per burst made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib-100k", type=Path, default=OUT / "filtered-100k" / "lib")
    parser.add_argument("--bursts", type=int, default=20000, help="photos retimed into bursts (0: none)")
    args = parser.parse_args()
    work = OUT / "stacks-100k"
    if not (work / "catalogue.sqlite").is_file():
        work.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.lib_100k / "catalogue.sqlite", work / "catalogue.sqlite")
    rows: list[tuple[object, ...]] = []
    with open_library(work) as lib:
        photos = lib.catalogue.db.execute("SELECT count(*) FROM photos").fetchone()[0]
        rows.append(("photos", photos, "", ""))
        for label in ("as built", f"{args.bursts:,} photos in bursts of {SHOTS}"):
            if label != "as built":
                if not args.bursts:
                    break
                _make_bursts(lib, args.bursts)
            for run in ("first", "again"):  # first: the members' pixels read; again: from the catalogue
                start = time.perf_counter()
                stacks = lib.burst_stacks()
                rows.append((f"{label}: burst_stacks, {run}", time.perf_counter() - start, "s",
                             f"{len(stacks)} stacks, {sum(s.count for s in stacks)} shots"))
        listing = [h for section in lib.grouped("month", limit=10000) for h in section.hits]
        stack_of = stacks_by_path(stacks)
        start = time.perf_counter()
        folded = stacked_rows(listing, stack_of)
        rows.append(("stacked_rows over 10,000 listed photos", (time.perf_counter() - start) * 1000, "ms",
                     f"{sum(isinstance(r, SearchHit) for r, _ in folded)} shown"))
    rows.append(("peak memory of this process", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB", ""))
    table("Burst stacks at 100,000 photos", ["what", "value", "unit", "note"], rows)


def _make_bursts(lib, count: int) -> None:  # noqa: ANN001 - a Library
    """Retime `count` photos (the lowest ids) into bursts of `SHOTS`, a second apart, one camera,
    each burst's shots given the vector of its first (their pictures alike, as a burst's are)."""
    db = lib.catalogue.db
    ids = [r[0] for r in db.execute("SELECT photo_id FROM metadata ORDER BY photo_id LIMIT ?", (count,))]
    db.execute("BEGIN")
    for n, pid in enumerate(ids):
        burst, shot = divmod(n, SHOTS)
        db.execute("UPDATE metadata SET make = 'Burstcam', model = 'B1', taken_utc = ? WHERE photo_id = ?",
                   (1.0e9 + burst * 3600 + shot, pid))
        if shot:
            db.execute("UPDATE vectors SET data = (SELECT data FROM vectors v WHERE v.photo_id = ? "
                       "AND v.model_id = vectors.model_id AND v.kind = vectors.kind) WHERE photo_id = ?",
                       (ids[n - shot], pid))
    db.execute("COMMIT")


if __name__ == "__main__":
    main()
