"""Shared pieces of the benchmarks: dataset paths, tables, timing."""

from __future__ import annotations

import csv
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASET = Path(os.environ.get("CBIR_CALTECH", REPO.parent / "shared" / "datasets" / "caltech101"))
OUT = REPO / "bench" / "out"

sys.path.insert(0, str(REPO))


def read_csv(name: str) -> list[dict[str, str]]:
    with open(DATASET / name, newline="") as handle:
        return list(csv.DictReader(handle))


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Print (and return) a plain-text table."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [f"\n{title}", "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells[1:]]
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 of `samples`."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
