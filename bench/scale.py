"""A 100,000-photo library: search latency and the rescan of an unchanged tree.

Builds a library of 100k photos whose vectors are real Caltech-101 vectors (from
the library `bench/quality.py` indexed) repeated with small noise, each backed by a
real small file in a tree of 1,000 folders, then measures in the engine:
- text query p50/p95 (`Library.search_text`, k=20; target p50 and p95 <= 20 ms);
- image query of a 12-MP JPEG from disk, not in the library (decode + inference +
  search, `Library.search_image`; target p95 <= 150 ms);
- the rescan of the unchanged tree (`Library.index()`; target <= 10 s);
- the Annoy build time and the process's peak memory.

Usage: python bench/scale.py [--photos N]   (run bench/quality.py and bench/speed.py first)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from common import OUT, percentiles, read_csv, table

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.models.embedder import l2_normalise
from cbir_desktop.engine.storage.catalogue import FEATURES, WORDS, PhotoVectors


def build(source_lib: Path, library: Path, tree: Path, count: int) -> float:
    with open_library(source_lib) as src:
        model = src.model_id
        feats = {pid: v for _, pid, v in src.catalogue.iter_vectors(model, FEATURES)}
        words = {pid: v for _, pid, v in src.catalogue.iter_vectors(model, WORDS)}
        ids = sorted(feats)
        tags = src.catalogue.tags_of(ids, model)
        paths = dict(src.catalogue.indexed_paths(model))
        colours = src.catalogue.colours_of(ids)
    rng = np.random.default_rng(3)
    with open_library(library) as lib:
        cat = lib.catalogue
        cat.add_folder(str(tree))
        for start in range(0, count, 5000):
            with cat.transaction():
                for n in range(start, min(count, start + 5000)):
                    # 1,000 folders of 100, each inside a folder named after what its first
                    # photo shows (consecutive source photos share a class): labels to learn.
                    label = Path(paths[ids[(n - n % 100) % len(ids)]]).parent.name
                    folder = tree / label / f"d{n // 100:04d}"
                    if n % 100 == 0:
                        folder.mkdir(parents=True, exist_ok=True)
                    path = folder / f"IMG_{n:06d}.jpg"
                    path.write_bytes(b"x" * (100 + n % 50))
                    st = path.stat()
                    pid = ids[n % len(ids)]
                    noisy_f = l2_normalise(feats[pid] + rng.normal(0, 0.01, feats[pid].shape).astype(np.float32))
                    noisy_w = l2_normalise(words[pid] + rng.normal(0, 0.01, words[pid].shape).astype(np.float32))
                    new_id = cat.upsert_photo(str(path), st.st_size, st.st_mtime_ns, os.urandom(16), 300, 200,
                                              colours.get(pid))
                    cat.store_vectors(new_id, model, PhotoVectors(noisy_f, noisy_w, tags.get(pid, [])))
        start = time.perf_counter()
        for kind, dim in ((FEATURES, feats[ids[0]].shape[0]), (WORDS, words[ids[0]].shape[0])):
            lib.vector_index(model, kind, dim).rebuild(cat)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--source", default=str(OUT / "caltech-lib"))
    parser.add_argument("--keep", action="store_true", help="keep the built library (for profiling)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cbir-scale-"))
    rows = []
    try:
        library, tree = work / "lib", work / "photos"
        t = time.perf_counter()
        build_s = build(Path(args.source), library, tree, args.photos)
        print(f"built {args.photos} photos in {time.perf_counter() - t:.0f} s (Annoy build {build_s:.0f} s)")
        rows.append(("Annoy build, 1280-d + 300-d", build_s, "", "s", ""))

        queries = [q["query"] for q in read_csv("text_queries.csv") if q["query"] != "gerenuk"]
        big = sorted((OUT / "big12mp").glob("*.jpg"))[:40]
        def latencies_ms(search, queries) -> tuple[float, float]:
            search(queries[0], k=20)  # warm-up: model and index loads
            samples = []
            for query in queries:
                start = time.perf_counter()
                search(query, k=20)
                samples.append((time.perf_counter() - start) * 1000)
            return percentiles(samples)

        with open_library(library) as lib:
            p50, p95 = latencies_ms(lib.search_text, queries * 3)
            rows.append(("text query, k=20", p50, p95, "ms", "p50, p95 <= 20"))
            t = time.perf_counter()
            trained = lib.train_words()
            rows.append((f"learn from folder names ({trained.photos:,} photos, {len(trained.terms)} terms)",
                         time.perf_counter() - t, "", "s", "seconds"))
            p50, p95 = latencies_ms(lib.search_text, queries * 3)
            rows.append(("text query once learned (term re-rank), k=20", p50, p95, "ms", ""))
            if big:
                p50, p95 = latencies_ms(lib.search_image, big)
                rows.append(("12-MP JPEG image query, k=20", p50, p95, "ms", "p95 <= 150"))
            for attempt in ("first", "second"):
                t = time.perf_counter()
                report = lib.index()
                rescan = time.perf_counter() - t
                assert report.unchanged == args.photos and report.indexed == 0, report
                rows.append((f"rescan of unchanged tree ({attempt})", rescan, "", "s", "<= 10"))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append(("peak memory of this process", peak, "", "MB", ""))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    table(f"{args.photos:,} photos on {os.cpu_count()} cores",
          ["measure", "p50 / value", "p95", "unit", "target"], rows)


if __name__ == "__main__":
    main()
