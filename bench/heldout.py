"""Held-out checks for constants of issue 15's text search tuned on their own benchmark.

`COLOUR_SCALE` (search/colour_words.py; `bench/colours.py`'s colour + object P@10) and `BASELINE`
(search/phrases.py, the conjunction of a phrase's words; `bench/quality.py`'s text P@10 over the
100 phrases of text_queries.csv: over all photos, 0.588, and as `search_text` re-ranks its
candidates, 0.595), with `HIERARCHY_WEIGHT` (search/text.py), which was tuned on the same text
benchmark beside it, were chosen on the very queries they are reported on. Here each is chosen
on half the queries and measured on the other half; the two text constants also together (their
grids' pairs as one grid). The colour + object P@10 at each scale comes with colour words alone
(which a scale should not move: it is a monotone map of each colour's fraction).

Split rule: the 100 evaluation classes (labels_eval.csv) sorted by name as Python sorts strings
(capitals first: Faces, Leopards, Motorbikes, accordion, ...), alternate ones: positions 0, 2, 4,
... are half A, 1, 3, 5, ... half B. A text phrase belongs to its class's half; a colour query to
the half of its thing's class (for "flower", grouping sunflower, lotus and water lily: the first
of them by name, lotus). Also `SHUFFLES` seeded random halvings of the classes (seeds 0..), for a
spread the one fixed split cannot show.

For each constant, over its grid (the shipped value included): each query's P@10 at each value,
by the benches' own code (`colours.coloured_precision` over `colours.colour_object_queries`;
`quality.phrase_scores` over `quality.phrase_parts`, scored by `quality.query_metrics`), the
constant set as a module attribute in this process only. Then per fold (choose on A, measure
on B; and B -> A): the value best on the choosing half (ties: the one nearest the shipped value
on the grid), its P@10 on the held-out half against the shipped value's there, and the held-out
half's own best (what tuning on it would report). Cross-validated P@10: every query scored at
the value picked on the other half, against the full-set figure at the shipped value.

Usage: python bench/heldout.py [--library DIR] [--shuffles N] [--only colour|text]
(the library: a copy of bench/out/caltech-lib, by default bench/out/caltech-colours-lib as for
bench/colours.py; its colour pass runs first if the copy has none, so it must be a copy it can
write to.) About 4 minutes on 2 loaded cores.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from colours import colour_object_queries, colour_pass, coloured_precision, load_searched, truth_colour
from common import DATASET, OUT, read_csv, table
from quality import phrase_parts, phrase_scores, query_metrics

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.search import colour_words, phrases, text
from cbir_desktop.engine.search.colour_words import rank_by_colour
from cbir_desktop.engine.storage.catalogue import FEATURES, WORDS, Catalogue

SCALES = (0.05, 0.1, 0.2, 0.35, 0.6, 1.0, 1.5, 2.5, 5.0)
BASELINES = (0, 5, 10, 15, 25, 35, 50, 65, 80)
WEIGHTS = (0.3, 0.6, 1.0, 1.5, 2.5, 4.0, 8.0)
SHUFFLES = 200


@dataclass(frozen=True)
class Sweep:
    """One constant's grid, its shipped value, and each query's P@10 at each grid value
    (queries x grid), with each query's class (which decides its half)."""

    name: str
    grid: tuple[object, ...]
    shipped: object
    p10: np.ndarray
    classes: list[str]
    shape: tuple[int, ...] = ()  # a grid of pairs (several constants at once): its axes' lengths

    @property
    def shipped_at(self) -> int:
        return self.grid.index(self.shipped)

    def distance(self, i: int, j: int) -> int:
        """Steps between two grid positions (along each constant's own grid for pairs)."""
        shape = self.shape or (len(self.grid),)
        return int(np.abs(np.subtract(np.unravel_index(i, shape), np.unravel_index(j, shape))).sum())


def alternate_halves(classes: Sequence[str]) -> dict[str, int]:
    """The fixed split: classes sorted by name, alternate ones in half 0 (A) and 1 (B)."""
    return {name: i % 2 for i, name in enumerate(sorted(classes))}


def shuffled_halves(classes: Sequence[str], seed: int) -> dict[str, int]:
    """A seeded random halving of the classes (sizes as the fixed split's)."""
    order = sorted(classes)
    random.Random(seed).shuffle(order)
    return {name: i % 2 for i, name in enumerate(order)}


def pick(sweep: Sweep, chosen: np.ndarray) -> int:
    """The grid position best on the `chosen` queries (mean P@10); ties to the one nearest the
    shipped value, so a tie is never counted against it."""
    means = sweep.p10[chosen].mean(axis=0)
    best = np.flatnonzero(np.isclose(means, means.max()))
    return int(min(best, key=lambda i: (sweep.distance(i, sweep.shipped_at), i)))


def folds(sweep: Sweep, half_of: dict[str, int]) -> list[tuple]:
    """Per fold: (choose -> measure, queries, value picked, its P@10 on the choosing half, on the
    held-out half, the shipped value's there, the held-out half's own best value and P@10)."""
    half = np.array([half_of[c] for c in sweep.classes])
    rows = []
    for choose in (0, 1):
        chosen, held = half == choose, half != choose
        at = pick(sweep, chosen)
        held_means = sweep.p10[held].mean(axis=0)
        own = pick(sweep, held)
        rows.append((f"{'AB'[choose]} -> {'BA'[choose]}", f"{chosen.sum()} / {held.sum()}", sweep.grid[at],
                     float(sweep.p10[chosen, at].mean()), float(held_means[at]), float(held_means[sweep.shipped_at]),
                     f"{sweep.grid[own]}: {held_means[own]:.3f}"))
    return rows


def cross_validated(sweep: Sweep, half_of: dict[str, int]) -> float:
    """Mean P@10 over every query, each at the value picked on the other half."""
    half = np.array([half_of[c] for c in sweep.classes])
    scored = np.empty(len(half))
    for choose in (0, 1):
        scored[half != choose] = sweep.p10[half != choose, pick(sweep, half == choose)]
    return float(scored.mean())


def report(sweep: Sweep, all_classes: Sequence[str], shuffles: int, extra: dict[str, list[float]] | None = None,
           sensitivity: bool = True) -> None:
    """The sensitivity table (full set and both fixed halves at every grid value), the fixed
    split's folds, and the spread over `shuffles` seeded random halvings of `all_classes`."""
    half_of = alternate_halves(all_classes)
    half = np.array([half_of[c] for c in sweep.classes])
    varying = int(np.sum(np.ptp(sweep.p10, axis=1) > 0))
    print(f"\n{sweep.name}: {len(sweep.p10)} queries, {varying} of them change over the grid")
    extra = extra or {}
    rows = [(value + (" (shipped)" if i == sweep.shipped_at else ""), float(sweep.p10[:, i].mean()),
             float(sweep.p10[half == 0, i].mean()), float(sweep.p10[half == 1, i].mean()),
             *(column[i] for column in extra.values()))
            for i, value in enumerate(str(v) for v in sweep.grid)]
    if sensitivity:
        table(f"{sweep.name}: P@10 at each value", [sweep.name, "full set", "half A", "half B", *extra], rows)
    table(f"{sweep.name}: chosen on one half, measured on the other (fixed split)",
          ["fold", "queries", "picked", "P@10 choosing half", "held-out: picked", "held-out: shipped",
           "held-out half's own best"], folds(sweep, half_of))
    cv = cross_validated(sweep, half_of)
    print(f"cross-validated P@10 (each query at the value its other half picked): {cv:.3f}; "
          f"full set at the shipped value {sweep.p10[:, sweep.shipped_at].mean():.3f}; "
          f"full set at its own best {sweep.p10.mean(axis=0).max():.3f}")
    gains, cvs, picks = [], [], []
    for seed in range(shuffles):
        halves = shuffled_halves(all_classes, seed)
        cvs.append(cross_validated(sweep, halves))
        for fold in folds(sweep, halves):
            gains.append(fold[4] - fold[5])
            picks.append(fold[2])
    gains_array = np.array(gains)
    counts = {value: picks.count(value) for value in sweep.grid if picks.count(value)}
    print(f"over {shuffles} seeded halvings ({len(gains)} folds): held-out P@10 of the pick minus the shipped "
          f"value's: mean {gains_array.mean():+.4f}, 5th-95th percentile {np.percentile(gains_array, 5):+.3f} .. "
          f"{np.percentile(gains_array, 95):+.3f}; pick better in {np.mean(gains_array > 0):.0%}, same in "
          f"{np.mean(gains_array == 0):.0%}, worse in {np.mean(gains_array < 0):.0%}; cross-validated P@10 "
          f"mean {np.mean(cvs):.3f} ({min(cvs):.3f} .. {max(cvs):.3f}); values picked: {counts}")


def evaluation_labels() -> dict[str, str]:
    """Path -> class of the evaluation photos."""
    return {str(DATASET / r["path"]): r["label"] for r in read_csv("labels_eval.csv")}


def colour_sweep(library: Path, threads: int) -> tuple[Sweep, dict[str, list[float]]]:
    """COLOUR_SCALE over `SCALES` on bench/colours.py's colour + object queries; and colour words
    alone (mean P@10 of the 11 colours) at each scale, which should not move."""
    catalogue = Catalogue(library / "catalogue.sqlite")
    described, seconds, _ = colour_pass(catalogue, threads)
    if described:
        print(f"colour pass: {described} photos described in {seconds:.0f} s")
    rows = catalogue.photos_under(str(DATASET / "101_ObjectCategories"))
    label_of = evaluation_labels()
    start = time.perf_counter()
    truth = {path: truth_colour(Path(path)) for path in label_of}
    print(f"colour truth for {len(truth)} photos in {time.perf_counter() - start:.0f} s")
    searched = load_searched(catalogue, rows, label_of)
    queries = colour_object_queries(label_of, truth)
    rankings = [searched.object_ranking(query.thing) for query in queries]
    colours = sorted({c for c in truth.values() if c})
    shipped = colour_words.COLOUR_SCALE
    p10 = np.zeros((len(queries), len(SCALES)))
    alone = []
    try:
        for j, scale in enumerate(SCALES):
            colour_words.COLOUR_SCALE = scale
            for i, (query, ranked) in enumerate(zip(queries, rankings, strict=True)):
                p10[i, j] = coloured_precision(searched, ranked, query)
            alone.append(float(np.mean([
                searched.precision([pid for pid, _ in rank_by_colour(searched.ids, searched.descriptions, (c,), 10)],
                                   {p for p, t in truth.items() if t == c}) for c in colours])))
    finally:
        colour_words.COLOUR_SCALE = shipped
        catalogue.close()
    classes = [min(query.classes) for query in queries]
    return Sweep("COLOUR_SCALE", SCALES, shipped, p10, classes), {"colour alone (11 colours)": alone}


def text_grid(library: Path, candidates_only: bool) -> tuple[np.ndarray, list[str], int]:
    """Each phrase's P@10 at every (HIERARCHY_WEIGHT, BASELINE) of the grids, over all photos
    (bench/quality.py's 0.588 row) or over the engine's candidates only (its 0.595 row, as
    search_text ranks: the conjunction's percentile is then taken among the candidates):
    phrases x weights x baselines; the phrases' classes; how many phrases are read as several
    words (the only ones BASELINE can change)."""
    evaluation = read_csv("labels_eval.csv")
    labels = np.array([r["label"] for r in evaluation])
    queries = read_csv("text_queries.csv")
    qlabels = np.array([q["label"] for q in queries])
    with open_library(library) as opened:
        model, catalogue = opened.model_id, opened.catalogue
        rows = catalogue.photos_under(str(DATASET / "101_ObjectCategories"))
        ids = [rows[str(DATASET / r["path"])].id for r in evaluation]
        words = _matrix(catalogue.vectors_of(ids, model, WORDS), ids)
        feats = _matrix(catalogue.vectors_of(ids, model, FEATURES), ids)
        parts = phrase_parts(opened, words, feats, queries)
    if parts is None:
        raise SystemExit(f"{model} has no WordNet hierarchy: nothing to check")
    shipped = text.HIERARCHY_WEIGHT, phrases.BASELINE
    p10 = np.zeros((len(queries), len(WEIGHTS), len(BASELINES)))
    try:
        for a, weight in enumerate(WEIGHTS):
            text.HIERARCHY_WEIGHT = weight
            for b, baseline in enumerate(BASELINES):
                phrases.BASELINE = baseline
                p10[:, a, b] = query_metrics(phrase_scores(words, parts, candidates_only), qlabels, labels, False)[0]
    finally:
        text.HIERARCHY_WEIGHT, phrases.BASELINE = shipped
    return p10, list(qlabels), sum(len(per_word) > 1 for per_word, _ in parts)


def _matrix(vectors: dict[int, np.ndarray], ids: list[int]) -> np.ndarray:
    return np.stack([vectors[i] for i in ids])


def _joint(p10: np.ndarray, classes: list[str], where: str) -> Sweep:
    """HIERARCHY_WEIGHT and BASELINE chosen together: the grid's pairs as one grid."""
    pairs = tuple(f"{w}/{b}" for w in WEIGHTS for b in BASELINES)
    shipped = f"{text.HIERARCHY_WEIGHT}/{phrases.BASELINE}"
    return Sweep(f"HIERARCHY_WEIGHT/BASELINE{where}", pairs, shipped, p10.reshape(len(p10), -1), classes,
                 p10.shape[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", default=str(OUT / "caltech-colours-lib"))
    parser.add_argument("--threads", type=int, default=2, help="for the colour pass, when the copy has none")
    parser.add_argument("--shuffles", type=int, default=SHUFFLES, help="seeded random halvings")
    parser.add_argument("--only", choices=("colour", "text"), help="one of the two checks")
    args = parser.parse_args()
    library = Path(args.library)
    all_classes = sorted(set(evaluation_labels().values()))
    if args.only != "text":
        sweep, extra = colour_sweep(library, args.threads)
        report(sweep, all_classes, args.shuffles, extra)
    if args.only != "colour":
        for candidates_only in (False, True):
            text_report(library, candidates_only, all_classes, args.shuffles)


def text_report(library: Path, candidates_only: bool, all_classes: Sequence[str], shuffles: int) -> None:
    """BASELINE and HIERARCHY_WEIGHT each with the other at its shipped value, then both at once."""
    p10, classes, several = text_grid(library, candidates_only)
    where = " (as search_text: candidates only)" if candidates_only else " (all photos)"
    print(f"\n\n=== text P@10{where}; {several} of the {len(classes)} phrases are read as several content words "
          f"(BASELINE acts on those only)")
    weight_at, baseline_at = WEIGHTS.index(text.HIERARCHY_WEIGHT), BASELINES.index(phrases.BASELINE)
    report(Sweep(f"BASELINE{where}", BASELINES, phrases.BASELINE, p10[:, weight_at, :], classes),
           all_classes, shuffles)
    report(Sweep(f"HIERARCHY_WEIGHT{where}", WEIGHTS, text.HIERARCHY_WEIGHT, p10[:, :, baseline_at], classes),
           all_classes, shuffles)
    table(f"HIERARCHY_WEIGHT (rows) x BASELINE (columns): full-set text P@10{where}",
          ["weight", *(str(b) for b in BASELINES)],
          [(str(w), *(float(v) for v in p10[:, a, :].mean(axis=0))) for a, w in enumerate(WEIGHTS)])
    report(_joint(p10, classes, where), all_classes, shuffles, sensitivity=False)


if __name__ == "__main__":
    main()
