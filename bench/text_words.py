"""Text query latency with the WordNet hierarchy and phrases, on a large library.

Opens a library (default: the 100,000-photo one `bench/filtered.py --keep` leaves in
bench/out/filtered-100k/lib; pass a copy with --library to leave that one as it is) and
times `Library.search_text(query, k=20)` for 20 plain words and 5 phrases, warm, three
rounds each: with the hierarchy (as shipped) and with it turned off in the same process
(the projection alone, as before), so the machine's load weighs on both alike.

Usage: python bench/text_words.py [--library DIR]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from common import OUT, table

import cbir_desktop.engine.handles as handles
from cbir_desktop.engine.api import Library, open_library

WORDS = ("dog car airplane chair piano flower food vehicle building bird cat boat crocodile lamp camera "
         "guitar watch umbrella butterfly elephant").split()
PHRASES = ["dog on the beach", "car and person", "golden retriever", "bird in a tree", "boat on the water"]


def timed(library: Library, queries: list[str], rounds: int = 3) -> tuple[float, float]:
    """p50 and p95 in ms of `search_text` over the queries, `rounds` times each."""
    times = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            library.search_text(query, 20)
            times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", default=str(OUT / "filtered-100k" / "lib"))
    args = parser.parse_args()
    rows = []
    with open_library(args.library) as library:
        photos = library.catalogue.count_vectors(library.model_id, "features")
        start = time.perf_counter()
        library.search_text("dog", 20)
        rows.append(("first query of the opened library", f"{(time.perf_counter() - start) * 1000:.0f} ms", ""))
        timed(library, WORDS, 1)
        rows.append(("plain word, hierarchy on", *(f"{v:.1f}" for v in timed(library, WORDS))))
        rows.append(("phrase, hierarchy and conjunction", *(f"{v:.1f}" for v in timed(library, PHRASES))))
        shipped = handles.LibraryHandles.word_hierarchy
        handles.LibraryHandles.word_hierarchy = lambda self, embedder, space: None  # type: ignore[method-assign]
        try:
            timed(library, WORDS, 1)
            rows.append(("plain word, projection only (before)", *(f"{v:.1f}" for v in timed(library, WORDS))))
            rows.append(("phrase, its words' conjunction, projection only",
                         *(f"{v:.1f}" for v in timed(library, PHRASES))))
        finally:
            handles.LibraryHandles.word_hierarchy = shipped  # type: ignore[method-assign]
    load = os.getloadavg()[0]
    table(f"Text search latency, {photos:,} photos, k=20 (load {load:.1f} on {os.cpu_count()} cores)",
          ["query", "p50 ms", "p95 ms"], rows)


if __name__ == "__main__":
    main()
