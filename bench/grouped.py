"""The library view's grouped listing at 100,000 photos: one page and its group counts (issue 12).

Fills a catalogue (no vectors: the listing reads none) with 100,000 photos in 1,000 folders
and a synthetic metadata row each: capture times over 2010-2019 (0.5% with none), a place
for 80% (40 towns in 12 countries), the rest none. For each grouping (month, place, folder),
unfiltered and with a filter (year:2015, about 10%), it times what `Library.grouped` asks the
catalogue for one page of 200 at the start, the middle and the end of the listing: the
page's rows (`grouped_rows`), its groups' counts (`group_counts`) and the photos' rows
(`photos_by_ids`), p50 and p95 of 15 runs each, warm.

Usage: python bench/grouped.py [--photos N] [--keep]  (--keep keeps bench/out/grouped-100k)
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from common import OUT, percentiles, table

from cbir_desktop.engine.photos.metadata import READER_VERSION
from cbir_desktop.engine.search.query import parse_query
from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.storage.grouping import GROUPINGS, group_counts, grouped_rows
from cbir_desktop.engine.types import Filters, PhotoMetadata

PAGE = 200
RUNS = 15
COUNTRIES = ["Portugal", "Spain", "France", "Italy", "Germany", "United States", "Japan", "Brazil", "Kenya",
             "India", "Canada", "Australia"]


def build(path: Path, count: int) -> None:
    rng = np.random.default_rng(12)
    start = datetime(2010, 1, 1)
    towns = [(COUNTRIES[i % len(COUNTRIES)], f"Town {i:02d}") for i in range(40)]
    cat = Catalogue(path)
    with cat.transaction():
        for n in range(count):
            pid = cat.upsert_photo(f"/photos/folder{n % 1000:04d}/IMG_{n:06d}.jpg", 1000, n, n.to_bytes(16, "big"),
                                   64, 48)
            taken = start + timedelta(seconds=int(rng.integers(0, 10 * 365 * 86400)))
            place = towns[int(rng.integers(0, len(towns)))] if rng.random() < 0.8 else None
            cat.store_metadata(pid, PhotoMetadata(
                taken_local=taken.isoformat() if rng.random() > 0.005 else None,
                taken_utc=taken.timestamp(), taken_source="exif",
                country=place[0] if place else None, city=place[1] if place else None,
                country_code=place[0][:2].upper() if place else None, lat=1.0 if place else None,
                lon=1.0 if place else None, file_type="JPEG"), READER_VERSION)
    cat.close()


def page_ms(cat: Catalogue, by: str, filters: Filters, offset: int) -> tuple[float, float, float, float, int]:
    """p50/p95 of one page's rows alone, and of the rows + counts + photo rows; its groups."""
    rows_only, whole = [], []
    groups = 0
    for _ in range(RUNS):
        t0 = time.perf_counter()
        rows = grouped_rows(cat, by, filters, offset, PAGE)
        t1 = time.perf_counter()
        keys = list(dict.fromkeys(row.key for row in rows))
        group_counts(cat, by, filters, keys)
        cat.photos_by_ids([row.photo_id for row in rows])
        t2 = time.perf_counter()
        rows_only.append((t1 - t0) * 1000)
        whole.append((t2 - t0) * 1000)
        groups = len(keys)
    return (*percentiles(rows_only), *percentiles(whole), groups)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = OUT / f"grouped-{args.photos // 1000}k"
    path = work / "catalogue.sqlite"
    if not path.is_file():
        work.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        build(path, args.photos)
        print(f"built {args.photos:,} photos in {time.perf_counter() - start:.0f} s")
    cat = Catalogue(path, readonly=True)
    result = []
    try:
        for label, filters in (("all", Filters()), ("year:2015", parse_query("year:2015").filters)):
            total = len(cat.filtered_photos(filters))
            for by in GROUPINGS:
                for where, offset in (("start", 0), ("middle", total // 2), ("end", max(0, total - PAGE))):
                    r50, r95, w50, w95, groups = page_ms(cat, by, filters, offset)
                    result.append((by, label, where, groups, f"{r50:.1f} / {r95:.1f}", f"{w50:.1f} / {w95:.1f}"))
    finally:
        cat.close()
        if not args.keep:
            shutil.rmtree(work)
    table(f"grouped listing, {args.photos:,} photos, pages of {PAGE} (ms, p50 / p95)",
                ["by", "filter", "page", "groups", "rows", "rows + counts + photo rows"], result)


if __name__ == "__main__":
    main()
