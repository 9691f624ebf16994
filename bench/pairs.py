"""RAW+JPEG pairs at 100,000 photos: what finding and showing them costs (issue 12).

Builds a catalogue of N photo rows (paths only: pairing never reads vectors) in 500 folders,
where a `--paired` share of the shots were taken RAW+JPEG (two rows each, the RAW's stem in
another case for one pair in ten), and measures:
- finding every pair from the paths (`raw_pairs_among` + `Catalogue.replace_raw_pairs`), as an
  upgraded library does once and as an indexing run does for its folders;
- a search's pairing step (`search.pairs.pair_scored`) on a ranked list of 2k hits (k = 20,
  60, 200: the window's default is 60), hits drawn at random: p50/p95;
- a listing page (200 photos, newest first: `Catalogue.newest_photos`, and a folder-name
  filter through `Catalogue.filtered_photos`) with the paired RAWs left out, against the
  same page without pairing.

Usage: python bench/pairs.py [--photos N] [--paired SHARE]   (about 30 s on 2 busy cores)
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import percentiles, table

from cbir_desktop.engine.photos.pairs import raw_pairs_among
from cbir_desktop.engine.search.pairs import fetch_size, pair_scored
from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.types import Filters

FOLDERS = 500
REPEATS = 30


def build(cat: Catalogue, photos: int, paired: float, rng: random.Random) -> None:
    """`photos` rows: shots in FOLDERS folders, a `paired` share of them as a JPEG and a RAW."""
    shots = round(photos / (1 + paired))
    rows, n = [], 0
    for shot in range(shots):
        if n >= photos:
            break
        folder = f"/photos/trip{shot % FOLDERS:03d}"
        stem = f"IMG_{shot:06d}"
        when = rng.randrange(10**18)
        rows.append((f"{folder}/{stem}.JPG", when))
        n += 1
        if rng.random() < paired and n < photos:
            raw_stem = stem.lower() if shot % 10 == 0 else stem
            rows.append((f"{folder}/{raw_stem}.CR2", when + 1))
            n += 1
    with cat.transaction():
        for i, (path, when) in enumerate(rows):
            cat.upsert_photo(path, 1000 + i, when, i.to_bytes(8, "little"), 6000, 4000)


def timed(fn: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    fn()  # warm
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--paired", type=float, default=0.5, help="share of shots taken RAW+JPEG")
    args = parser.parse_args()
    rng = random.Random(12)
    work = Path(tempfile.mkdtemp(prefix="cbir-pairs-"))
    try:
        cat = Catalogue(work / "catalogue.sqlite")
        build(cat, args.photos, args.paired, rng)
        start = time.perf_counter()
        found = raw_pairs_among(cat.photo_paths())
        cat.replace_raw_pairs(None, found)
        find_ms = (time.perf_counter() - start) * 1000
        ids = [pid for pid, _ in cat.photo_paths()]
        rows: list[tuple[object, ...]] = [("find all pairs (once; per indexing run: its folders)", len(found),
                                           f"{find_ms:.0f}", "")]
        for k in (20, 60, 200):
            hits = sorted(rng.sample(ids, fetch_size(k)))
            scored = [(pid, 1.0 - i / len(hits)) for i, pid in enumerate(hits)]
            p50, p95 = timed(lambda scored=scored, k=k: pair_scored(cat, scored, None, None, k))
            rows.append((f"search: pair {fetch_size(k)} ranked hits, keep k={k}", "", f"{p50:.2f}", f"{p95:.2f}"))
        for name, page in [
            ("listing page, all photos", lambda hide: cat.newest_photos(None, 0, 200, hide_paired_raws=hide)),
            ("listing page, folder filter", lambda hide: cat.filtered_photos(Filters(folders=("trip",)), 0, 200,
                                                                             hide_paired_raws=hide)),
        ]:
            for hide in (False, True):
                p50, p95 = timed(lambda page=page, hide=hide: page(hide), repeats=10)
                rows.append((f"{name}, {'pairs once' if hide else 'no pairing'}", "", f"{p50:.1f}", f"{p95:.1f}"))
        cat.close()
        table(f"RAW+JPEG pairs, {args.photos:,} photos ({len(found):,} pairs)",
                    ["step", "pairs", "p50 ms", "p95 ms"], rows)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
