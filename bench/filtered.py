"""Filtered text search at 100,000 photos: latency and ranking against exact (issue 12).

Builds bench/scale.py's 100k-photo library (real Caltech-101 vectors repeated with small
noise, 1,000 folders named after what they show) and gives every photo a synthetic but
realistic metadata row (capture time spread over 2010-2019, a place for 80%, a camera, a
file type), drawn at random, independent of what the photo shows, so that filters select
about 1%, 10% and 50% of the library: place:PT and camera:x100v (1%), year:2015 and
type:raw (10%), camera:canon and place:US (50%). Then, for 33 Caltech-101 class queries x
each filter, with the zero-shot ranking and once learned from the folder names (own-term
re-rank), it measures in the engine:
- `Library.search_text(query, k=10, filters=...)` p50/p95 (warm; target p95 < 50 ms), and
  the unfiltered query in the same run as a baseline; the first filtered query of a freshly
  opened library (it reads the word vectors into memory: vectors/matrix.py);
- the filter's photo ids alone (`Catalogue.filter_ids`), part of every filtered query;
- recall@10 of the engine's ids against the same ranking with the filter's photos searched
  exactly without the engine's shortcuts (no in-memory matrix, no Annoy: every photo of the
  filter read from SQLite and compared; target >= 0.95), and, once learned, against the
  ranking scored over every photo of the filter (no candidate pool: `rank_by_text` with k = all);
- where the time of a filtered query goes (inclusive time of the engine's steps), and what
  the filter's SQL costs now (names resolved against the library's vocabulary, equalities on
  indexes, no ORDER BY) beside what it cost before (functions on columns, ORDER BY).

Usage: python bench/filtered.py [--photos N] [--keep]
  (run bench/quality.py first; --keep keeps bench/out/filtered-100k and reuses it next time;
  about 9 minutes on 2 busy cores, 1.5 of them building the library)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from common import OUT, percentiles, read_csv, table
from scale import build

import cbir_desktop.engine.search.text as text_module
import cbir_desktop.engine.storage.catalogue as catalogue_module
import cbir_desktop.engine.vectors.index as index_module
from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.errors import UnknownWord
from cbir_desktop.engine.photos.metadata import READER_VERSION
from cbir_desktop.engine.search.query import parse_query
from cbir_desktop.engine.search.text import rank_by_text
from cbir_desktop.engine.storage.catalogue import FEATURES, WORDS, Catalogue
from cbir_desktop.engine.storage.filtering import ids_query, where_clause
from cbir_desktop.engine.types import Filters, PhotoMetadata
from cbir_desktop.engine.vectors.index import VectorIndex
from cbir_desktop.engine.vectors.matrix import VectorMatrix

SEED = 12
LAYOUT = 1  # bump when the synthetic metadata changes: a kept library is then rebuilt
K = 10
ROUNDS = 2  # timed passes over the queries (after one warm pass)
# (share the filter is built to match, the filter as typed)
FILTERS = (("1%", "place:PT"), ("1%", "camera:x100v"), ("10%", "year:2015"), ("10%", "type:raw"),
           ("50%", "camera:canon"), ("50%", "place:US"))

# name, region, country, country code, lat, lon, UTC offset
PT = (("Lisbon", "Lisbon", "Portugal", "PT", 38.72, -9.14, "+00:00"),
      ("Porto", "Porto", "Portugal", "PT", 41.15, -8.61, "+00:00"))
US = (("New York City", "New York", "United States", "US", 40.71, -74.01, "-05:00"),
      ("San Francisco", "California", "United States", "US", 37.77, -122.42, "-08:00"),
      ("Chicago", "Illinois", "United States", "US", 41.88, -87.63, "-06:00"),
      ("Austin", "Texas", "United States", "US", 30.27, -97.74, "-06:00"),
      ("Seattle", "Washington", "United States", "US", 47.61, -122.33, "-08:00"))
OTHER = (("London", "England", "United Kingdom", "GB", 51.51, -0.13, "+00:00"),
         ("Paris", "Ile-de-France", "France", "FR", 48.86, 2.35, "+01:00"),
         ("Berlin", "Berlin", "Germany", "DE", 52.52, 13.40, "+01:00"),
         ("Madrid", "Madrid", "Spain", "ES", 40.42, -3.70, "+01:00"),
         ("Rome", "Lazio", "Italy", "IT", 41.90, 12.50, "+01:00"),
         ("Tokyo", "Tokyo", "Japan", "JP", 35.68, 139.69, "+09:00"),
         ("Sydney", "New South Wales", "Australia", "AU", -33.87, 151.21, "+10:00"))
# make, model, lens, width, height
X100V = (("Fujifilm", "X100V", "23mm F2", 6240, 4160),)
CANON = (("Canon", "EOS 5D Mark IV", "EF24-105mm f/4L IS USM", 6720, 4480),
         ("Canon", "EOS R6", "RF24-105mm F4 L IS USM", 5472, 3648),
         ("Canon", "EOS 80D", "EF-S18-135mm f/3.5-5.6 IS USM", 6000, 4000),
         ("Canon", "PowerShot G7 X", None, 5472, 3648))
CAMERAS = (("Apple", "iPhone 12", "iPhone 12 back dual wide camera 4.2mm f/1.6", 4032, 3024),
           ("Sony", "ILCE-7M3", "FE 28-70mm F3.5-5.6 OSS", 6000, 4000),
           ("Nikon", "D750", "AF-S NIKKOR 24-120mm f/4G ED VR", 6016, 4016),
           ("Google", "Pixel 6", None, 4080, 3072))


def synthetic_metadata(rng: np.random.Generator) -> PhotoMetadata:
    """One photo's metadata: place (1% Portugal, 50% United States, 29% elsewhere, 20% no GPS),
    camera (1% Fujifilm X100V, 50% Canon), type (10% RAW, 20% HEIF), time 2010-2019."""
    u = rng.random()
    place = (PT if u < 0.01 else US if u < 0.51 else OTHER if u < 0.80 else None)
    town = place[rng.integers(len(place))] if place else None
    u = rng.random()
    cams = X100V if u < 0.01 else CANON if u < 0.51 else CAMERAS
    make, model, lens, width, height = cams[rng.integers(len(cams))]
    u = rng.random()
    file_type = "RAW" if u < 0.10 else "HEIF" if u < 0.30 else "JPEG"
    local = datetime(2010, 1, 1) + timedelta(seconds=int(rng.integers(0, 10 * 365.25 * 86400)))
    offset = town[6] if town else None
    utc = local - timedelta(hours=int(offset[:3])) if offset else local
    return PhotoMetadata(
        taken_local=local.isoformat(timespec="seconds"), taken_offset=offset,
        taken_utc=(utc - datetime(1970, 1, 1)).total_seconds(), taken_source="exif", make=make, model=model,
        lens=lens, focal_mm=float(rng.choice([23.0, 24.0, 35.0, 50.0, 85.0])),
        aperture=float(rng.choice([1.8, 2.8, 4.0, 5.6, 8.0])),
        exposure_s=float(rng.choice([1 / 60, 1 / 250, 1 / 1000])),
        iso=int(rng.choice([100, 200, 400, 800, 3200])), width=width, height=height,
        lat=town[4] + float(rng.normal(0, 0.05)) if town else None,
        lon=town[5] + float(rng.normal(0, 0.05)) if town else None,
        city=town[0] if town else None, region=town[1] if town else None,
        country=town[2] if town else None, country_code=town[3] if town else None, file_type=file_type)


def add_metadata(library: Path) -> int:
    """A metadata row for every photo (as the metadata reader of this version would leave it)."""
    rng = np.random.default_rng(SEED)
    with open_library(library) as lib:
        cat = lib.catalogue
        ids = sorted(pid for pid, _ in cat.indexed_paths(lib.model_id))
        for start in range(0, len(ids), 5000):
            with cat.transaction():
                for pid in ids[start:start + 5000]:
                    cat.store_metadata(pid, synthetic_metadata(rng), READER_VERSION)
        return len(ids)


def prepared(work: Path, source: Path, count: int, keep: bool) -> Path:
    """The library, built or (with --keep) reused when it was built the same way and is whole."""
    library, tree, mark = work / "lib", work / "photos", work / "bench.json"
    want = {"photos": count, "layout": LAYOUT, "seed": SEED, "reader": READER_VERSION, "source": str(source)}
    if keep and mark.is_file() and json.loads(mark.read_text()) == want:
        with open_library(library) as lib:
            cat = lib.catalogue
            rows = cat.db.execute("SELECT COUNT(*) FROM metadata WHERE reader = ?", (READER_VERSION,)).fetchone()[0]
            whole = cat.count_photos() == count == rows and not any(
                lib.vector_index(lib.model_id, kind, dim).is_stale(cat)
                for kind, dim in ((FEATURES, lib.embedder().spec.feature_dim), (WORDS, lib.word_space().words.dim)))
        if whole:
            print(f"reusing {work} ({count:,} photos with metadata)")
            return library
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    start = time.perf_counter()
    annoy_s = build(source, library, tree, count)
    rows = add_metadata(library)
    print(f"built {count:,} photos + {rows:,} metadata rows in {time.perf_counter() - start:.0f} s "
          f"(Annoy build {annoy_s:.0f} s)")
    mark.write_text(json.dumps(want))
    return library


def ensure_learned(lib: Library) -> None:
    """Learn from the folder names unless the kept library already has (scale.py's second state)."""
    if lib.learner.state(lib.embedder(), lib.word_space()) is None:
        start = time.perf_counter()
        report = lib.train_words()
        print(f"learned from folder names: {report.photos:,} photos, {len(report.terms)} terms, "
              f"{time.perf_counter() - start:.0f} s")


@contextmanager
def exact_within() -> Iterator[None]:
    """Filtered searches compare every photo of the filter read from the catalogue (no
    in-memory matrix, no Annoy): the reference."""
    with mock.patch.object(index_module, "EXACT_WITHIN", 10**9), \
            mock.patch.object(VectorMatrix, "current", return_value=False):
        yield


@contextmanager
def vectors_in_memory(catalogue: Catalogue, model_id: str, kinds: Sequence[str]) -> Iterator[None]:
    """`Catalogue.vectors_of` served from memory (the same vectors, read once): the exact
    references read up to 100k vectors a query, 7 us each from SQLite, so this saves minutes."""
    cache = {kind: {pid: v for _, pid, v in catalogue.iter_vectors(model_id, kind)} for kind in kinds}
    read = Catalogue.vectors_of

    def vectors_of(self: Catalogue, photo_ids: Sequence[int], model: str, kind: str) -> dict[int, Any]:
        if model != model_id or kind not in cache:
            return read(self, photo_ids, model, kind)
        stored = cache[kind]
        return {pid: stored[pid] for pid in photo_ids if pid in stored}

    # The same filter's photos are scored for every query: their learned inputs (1,580 floats
    # each, 1.7 s to assemble for 50k photos) are kept for the next query.
    inputs = text_module.learned_inputs
    last: dict[tuple[int, ...], Any] = {}

    def learned_inputs(catalogue: Catalogue, model: str, ids: list[int]) -> Any:
        if len(ids) < 5000:  # a query's candidates: not worth keeping
            return inputs(catalogue, model, ids)
        key = tuple(ids)
        if key not in last:
            last.clear()
            last[key] = inputs(catalogue, model, ids)
        return last[key]

    with mock.patch.object(Catalogue, "vectors_of", vectors_of), \
            mock.patch.object(text_module, "learned_inputs", learned_inputs):
        yield


@contextmanager
def step_times(record: dict[str, list[float]]) -> Iterator[None]:
    """Time (inclusive, in ms) the engine's steps of a search while inside; `record` gets each call's."""
    targets: list[tuple[Any, str, str]] = [
        (Library, "search_text", "total"),
        (Library, "_within", "filter ids"),
        (Catalogue, "filter_ids", "(SQL)"),
        (VectorIndex, "search", "index search"),
        (VectorMatrix, "current", "(matrix current)"),
        (VectorMatrix, "best", "(matrix best)"),
        (VectorIndex, "_exact_within", "(exact within)"),
        (VectorIndex, "_from_annoy", "(Annoy+seqs_of)"),
        (Catalogue, "seqs_of", "(seqs_of)"),
        (VectorIndex, "vectors_of", "vectors_of"),
        (Catalogue, "vectors_of", "(from SQLite)"),
        (text_module, "learned_inputs", "learned_inputs"),
        (Library, "_hits", "hits"),
    ]

    def wrap(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                record[name].append((time.perf_counter() - start) * 1000)
                if fn.__name__ == "_from_annoy":
                    record["Annoy want"].append(float(args[5]))
        return timed

    patches = [mock.patch.object(owner, attr, wrap(getattr(owner, attr), name)) for owner, attr, name in targets]
    for patch in patches:
        patch.start()
    try:
        yield
    finally:
        for patch in reversed(patches):
            patch.stop()


def filter_sql(cat: Catalogue) -> list[tuple[object, ...]]:
    """The filter's SQL now (names resolved against the library's vocabulary, equalities on
    indexes, no ORDER BY: `Catalogue.filter_ids`) beside what it was before this change
    (functions on columns, a LIKE per row, ORDER BY), returning the same photos."""
    def ms(run: Callable[[], Any]) -> tuple[float, Any]:
        found = run()
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            run()
            samples.append((time.perf_counter() - start) * 1000)
        return float(np.median(samples)), found

    rows: list[tuple[object, ...]] = []
    for share, term in FILTERS:
        filters = parse_query(term).filters
        old_where, old_params = where_clause(filters)
        old_sql = (f"SELECT p.id FROM photos p LEFT JOIN metadata m ON m.photo_id = p.id WHERE {old_where} "
                   "ORDER BY coalesce(m.taken_utc, p.mtime_ns / 1e9) DESC, p.id DESC")
        before, old = ms(lambda sql=old_sql, params=old_params: cat.db.execute(sql, params).fetchall())
        now, ids = ms(lambda f=filters: cat._filter_ids(f, cat.vocabulary()))  # not the kept answers
        assert sorted(r[0] for r in old) == sorted(ids.tolist()), term
        sql, params = ids_query(filters, cat.vocabulary())
        plan = " / ".join(r[3] for r in cat.db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        rows.append((f"{share} {term}", f"{len(ids):,}", before, now, plan))
    from cbir_desktop.engine.storage.vocabulary import read_vocabulary
    rows.append(("(reading the vocabulary, after each change)", "", "", ms(lambda: read_vocabulary(cat.db))[0], ""))
    return rows


def first_query(library: Path, queries: list[str]) -> list[tuple[object, ...]]:
    """A freshly opened library's first filtered query of each ranking (it reads the word
    vectors into memory), then the second; and the memory those vectors take."""
    rows: list[tuple[object, ...]] = []
    for state in ("zero-shot", "learned"):
        with open_library(library) as lib:
            f = parse_query("year:2015").filters
            lib.search_text(queries[0], k=K)  # the model and the index, loaded as any search would
            with mock.patch.object(lib.learner, "state", return_value=None) if state == "zero-shot" \
                    else _nothing():
                times = []
                for query in queries[1:3]:
                    start = time.perf_counter()
                    lib.search_text(query, k=K, filters=f)
                    times.append((time.perf_counter() - start) * 1000)
            held = sum(index._matrix.nbytes for index in lib._handles._indexes.values()) / 2**20
            rows.append((state, times[0], times[1], f"{held:.0f}"))
    return rows


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def recall(found: Sequence[int], reference: Sequence[int]) -> float:
    return len(set(found) & set(reference)) / max(len(reference), 1)


def measure(lib: Library, queries: list[str], state: str, rows: list[tuple[object, ...]],
            steps: dict[str, dict[str, float]]) -> None:
    """Time and check every (query, filter) pair in one state of the library (zero-shot or learned)."""
    began = time.perf_counter()
    cat = lib.catalogue
    total = cat.count_photos()
    filters: dict[str, Filters | None] = {"(none)": None}
    filters.update({term: parse_query(term).filters for _, term in FILTERS})
    share = {term: s for s, term in FILTERS}
    ids = {term: cat.filter_ids(f) for term, f in filters.items() if f is not None}
    samples, found = latencies(lib, queries, filters)
    with mock.patch.object(catalogue_module, "KEPT_FILTER_ANSWERS", 0):  # every query runs the filter's SQL
        fresh, _ = latencies(lib, queries, filters, warm=False)
    sql: dict[str, list[float]] = defaultdict(list)
    for _ in range(10):
        for term, f in filters.items():
            if f is not None:
                start = time.perf_counter()
                cat._filter_ids(f, cat.vocabulary())  # the SQL every time, not the kept answers
                sql[term].append((time.perf_counter() - start) * 1000)
    print(f"  {state}: timed in {time.perf_counter() - began:.0f} s", flush=True)
    recalls, full = references(lib, queries, filters, ids, found)
    print(f"  {state}: checked against exact in {time.perf_counter() - began:.0f} s", flush=True)
    for term, f in filters.items():
        p50, p95 = percentiles(samples[term])
        checked = f"{np.mean(recalls[term]):.3f} (min {min(recalls[term]):.1f})"
        if f is None:
            rows.append((state, "(none): baseline", f"{total:,}", "", p50, p95, "", checked, "", ""))
            continue
        s50, s95 = percentiles(sql[term])
        rows.append((state, f"{share[term]} {term}", f"{len(ids[term]):,} ({100 * len(ids[term]) / total:.1f}%)",
                     f"{s50:.1f} / {s95:.1f}", p50, p95, percentiles(fresh[term])[1], checked,
                     f"{np.mean(full[term]):.3f}" if full[term] else "",
                     "p95 < 50, recall >= 0.95"))
    for term, f in filters.items():  # one more pass, timing the engine's steps
        record: dict[str, list[float]] = defaultdict(list)
        with step_times(record):
            for query in queries:
                lib.search_text(query, k=K, filters=f)
        steps[f"{state} {term}"] = {name: sum(v) / len(queries) for name, v in record.items()}


def latencies(lib: Library, queries: list[str], filters: dict[str, Filters | None], warm: bool = True,
              ) -> tuple[dict[str, list[float]], dict[tuple[str, str], list[int]]]:
    """Milliseconds of each search by filter, and the ids each (query, filter) found."""
    for query in queries if warm else ():  # warm: model, indexes, SQLite pages
        for f in filters.values():
            lib.search_text(query, k=K, filters=f)
    samples: dict[str, list[float]] = defaultdict(list)
    found: dict[tuple[str, str], list[int]] = {}
    for _ in range(ROUNDS):  # interleaved, so the shared cores' noise falls on every filter alike
        for query in queries:
            for term, f in filters.items():
                start = time.perf_counter()
                hits = lib.search_text(query, k=K, filters=f)
                samples[term].append((time.perf_counter() - start) * 1000)
                found[(query, term)] = [h.photo_id for h in hits]
    return samples, found


def references(lib: Library, queries: list[str], filters: dict[str, Filters | None], ids: dict[str, list[int]],
               found: dict[tuple[str, str], list[int]]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Recall@10 of what the engine found against the same ranking searched exactly, and (once
    learned) against that ranking scored over every photo of the filter."""
    cat = lib.catalogue
    embedder, space = lib.embedder(), lib.word_space()
    learned = lib.learner.state(embedder, space)
    zero = lib.vector_index(embedder.id, space.kind, space.words.dim)
    mine = lib.vector_index(embedder.id, learned.kind, space.words.dim) if learned else None
    everyone = {pid for pid, _ in cat.indexed_paths(embedder.id)}
    recalls: dict[str, list[float]] = defaultdict(list)
    full: dict[str, list[float]] = defaultdict(list)
    kinds = (WORDS,) if learned is None else (WORDS, learned.kind, FEATURES)
    with exact_within(), vectors_in_memory(cat, embedder.id, kinds):
        for term, f in filters.items():
            for query in queries:
                if f is None:  # unfiltered: the same ranking with every photo "within", so compared exactly
                    every = rank_by_text(cat, embedder.id, space, query, K, zero, learned, mine, everyone)
                    recalls[term].append(recall(found[(query, term)], [pid for pid, _ in every.scored]))
                    continue
                reference = [h.photo_id for h in lib.search_text(query, k=K, filters=f)]
                recalls[term].append(recall(found[(query, term)], reference))
                if learned is not None:  # scored over every photo of the filter, no candidate pool
                    within = set(ids[term].tolist())
                    every = rank_by_text(cat, embedder.id, space, query, len(within), zero, learned, mine, within)
                    full[term].append(recall(found[(query, term)], [pid for pid, _ in every.scored[:K]]))
    return recalls, full


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--source", default=str(OUT / "caltech-lib"))
    parser.add_argument("--keep", action="store_true", help="keep bench/out/filtered-100k and reuse it next time")
    args = parser.parse_args()
    work = OUT / f"filtered-{args.photos // 1000}k"
    began = time.perf_counter()
    rows: list[tuple[object, ...]] = []
    steps: dict[str, dict[str, float]] = {}
    try:
        library = prepared(work, Path(args.source), args.photos, args.keep)
        with open_library(library) as lib:
            words = [q["query"] for q in read_csv("text_queries.csv") if q["query"] != "gerenuk"][::3]
            queries = []
            for query in words:
                try:
                    lib.search_text(query, k=1)
                    queries.append(query)
                except UnknownWord:
                    continue
            ensure_learned(lib)
            with mock.patch.object(lib.learner, "state", return_value=None):  # as before any learning
                measure(lib, queries, "zero-shot", rows, steps)
            measure(lib, queries, "learned", rows, steps)
            sql = filter_sql(lib.catalogue)
        cold = first_query(library, queries)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table(f"Filtered text search, {args.photos:,} photos, {len(queries)} queries x {ROUNDS} rounds, k={K}, "
          f"{os.cpu_count()} cores (load {os.getloadavg()[0]:.1f}); whole run {time.perf_counter() - began:.0f} s, "
          f"peak {peak:.0f} MB",
          ["ranking", "filter", "photos matching", "filter's SQL p50 / p95 ms", "query p50 ms", "query p95 ms",
           "p95, SQL every query",
           "recall@10 vs exact within", "vs scored over all", "target"], rows)
    table("The filter's photo ids: median ms (rows to Python included)",
          ["filter", "photos", "before (functions on columns, ORDER BY)", "now (Catalogue.filter_ids)",
           "plan now"], sql)
    table("A freshly opened library's filtered queries (year:2015), ms",
          ["ranking", "first (reads the word vectors)", "second", "word vectors held, MB"], cold)
    names = ["total", "filter ids", "(SQL)", "index search", "(matrix current)", "(matrix best)", "(exact within)",
             "(Annoy+seqs_of)", "Annoy want", "vectors_of", "(from SQLite)", "learned_inputs", "hits"]
    table("Where a filtered query's time goes: ms per query, each step inclusive of what it calls (in brackets: "
          "part of the step before; vectors_of: every call, wherever made; Annoy want: items asked of Annoy "
          "per query, all its calls)",
          ["ranking / filter", *names],
          [(case, *(_step(record, name) for name in names)) for case, record in steps.items()])


def _step(record: dict[str, float], name: str) -> str:
    value = record.get(name)
    return "" if value is None else f"{value:.0f}" if name == "Annoy want" else f"{value:.1f}"


if __name__ == "__main__":
    main()
