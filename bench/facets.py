"""The filter pickers' counts (`Library.facets`) at 100,000 photos (issue 12).

Fills a catalogue with 100k photo rows and bench/filtered.py's synthetic metadata (capture
times over 2010-2019, 80% with a place in 18 towns of 11 countries, 11 cameras, 10% RAW and
20% HEIF; no vectors: the pickers read the catalogue alone) and times `facets` warm on a
read-only connection, as the window's worker does: with no filter and with the filters of
bench/filtered.py (about 1%, 10% and 50% of the library) and two of them combined.

Usage: python bench/facets.py [--photos N] [--rounds R] [--keep]
  (--keep keeps bench/out/facets-100k and reuses it next time; about 1 minute to build)
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
from common import OUT, percentiles, table
from filtered import SEED, synthetic_metadata

from cbir_desktop.engine.photos.metadata import READER_VERSION
from cbir_desktop.engine.search.query import parse_query
from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.storage.facets import facets

FILTERS = ("", "place:PT", "camera:x100v", "year:2015", "type:raw", "camera:canon", "place:US",
           "place:US year:2015", "camera:canon type:raw gps:yes")


def build(path: Path, count: int) -> None:
    """`count` photo rows, each with a synthetic metadata row (bench/filtered.py's)."""
    rng = np.random.default_rng(SEED)
    catalogue = Catalogue(path)
    for start in range(0, count, 5000):
        with catalogue.transaction():
            for n in range(start, min(count, start + 5000)):
                pid = catalogue.upsert_photo(f"/photos/{n // 100:04d}/IMG_{n:06d}.jpg", 3_000_000,
                                             1_500_000_000 * 10**9 + n, n.to_bytes(16, "big"), 6000, 4000)
                catalogue.store_metadata(pid, synthetic_metadata(rng), READER_VERSION)
    catalogue.db.execute("ANALYZE")
    catalogue.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = OUT / f"facets-{args.photos // 1000}k"
    path = work / "catalogue.sqlite"
    mark = work / "built"
    if not (args.keep and mark.is_file() and mark.read_text() == f"{args.photos} {READER_VERSION}"):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        start = time.perf_counter()
        build(path, args.photos)
        mark.write_text(f"{args.photos} {READER_VERSION}")
        print(f"built {args.photos:,} photos with metadata in {time.perf_counter() - start:.0f} s")
    catalogue = Catalogue(path, readonly=True)
    rows = []
    for typed in FILTERS:
        filters = parse_query(typed).filters
        found = facets(catalogue, filters)  # warm
        samples = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            facets(catalogue, filters)
            samples.append((time.perf_counter() - start) * 1000)
        p50, p95 = percentiles(samples)
        rows.append((typed or "(none)", f"{found.photos:,}", len(found.places), len(found.cameras),
                     len(found.years), p50, p95))
    table(f"Library.facets at {args.photos:,} photos, warm, read-only connection (ms)",
          ("filters", "photos", "countries", "cameras", "years", "p50 ms", "p95 ms"), rows)
    catalogue.close()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
