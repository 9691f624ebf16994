"""Calibrated relevance on Caltech-101: where results end, and what a relevance figure means.

The 100 evaluation classes are split in two halves (fixed seed). Relevant = the photo's
class answers the query (Faces_easy counts as Faces, BACKGROUND_Google never answers).
Each query's hits come from the engine's own ranking over all 9,144 photos (`rank_by_text`,
`rank_by_image`, as `Library.search_*` call them with k = K) and their features from
`relevance.features`, as the app computes them. Kinds of query:
- text, zero-shot: each class's phrase of `text_queries.csv`, and `OTHER_PHRASES`
  ("aircraft", "flower": other words for the classes' subjects), nothing learned;
- text, own term: the same phrases once the library learned from the folder names of the
  `splits/train.txt` photos (the class phrases are its terms: classifier re-rank);
- text, blended: the same, for the phrases that are not its terms; and the phrases of one
  half's classes once the library learned from the other half's folder names only (a
  subject it has not learned). Queries whose blend weight is 0 are answered zero-shot and
  are left out here;
- image: IMAGES_PER_CLASS photos of each class query the library (the photo itself is
  left out of the features, as the app does, and of the figures).
For each kind, a logistic regression (IRLS, numpy) of relevance on the features of the top
K hits is fitted on each half and measured on the other, so every query is measured once,
by a fit that saw none of its classes: precision of the hits shown (relevance >= the
cut-off), recall of the relevant photos within the top K, hits shown per query (K are shown
today), share of queries showing nothing, expected calibration error (ECE, 10 bins), and
F1 by cut-off. A user's library is not Caltech-101's size, and a score ranks higher in a
smaller one: so the zero-shot text and image queries are also run in smaller libraries
(SMALLER random photos, exact search), and their fits take the top K of each size alike.
Feature sets compared: the raw score, its gap below the query's best, and its z-score
among the query's top POOL candidates. The constants printed last are fitted on both halves.

Usage: python bench/relevance.py [--library DIR]   (after bench/quality.py has indexed Caltech-101)
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from common import DATASET, OUT, read_csv, table

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.errors import UnknownWord
from cbir_desktop.engine.search.expansion import EXPAND_K, expand, rank_expanded
from cbir_desktop.engine.search.image import embed_file, fuse_scores, rank_by_image
from cbir_desktop.engine.search.relevance import (
    BLEND,
    EXPANDED,
    IMAGE,
    OWN_TERM,
    RELEVANT_FROM,
    ZERO_SHOT,
    features,
)
from cbir_desktop.engine.search.text import rank_by_text, text_query_vector
from cbir_desktop.engine.storage.catalogue import FEATURES, WORDS
from cbir_desktop.engine.vectors.neighbours import AUGMENTED

K = 60  # results per search in the window, all of them shown today
POOL = 200  # the candidates a z-score is taken against (image search re-ranks 200)
MIN_SPREAD = 0.01  # a z-score's spread at least this: near-equal scores would blow it up
IMAGES_PER_CLASS = 10
SMALLER = (3000, 1000, 250)  # photos in the smaller libraries
SEED = 0
KINDS = (ZERO_SHOT, BLEND, OWN_TERM, IMAGE, EXPANDED)
FEATURE_SETS = {"score": [0], "score + gap": [0, 1], "score + z": [0, 2], "score + gap + z": [0, 1, 2]}
SHIPPED = "score + gap"  # what relevance.py computes (see the feature-set table)
CUT_OFFS = (0.3, 0.4, 0.5, 0.6, 0.7)
# Other words for the classes' subjects (synonyms, plurals' singulars, wider words), with
# every class that answers them: a library that learned "airplanes" is asked "aircraft".
OTHER_PHRASES = {
    "aeroplane": "airplanes", "aircraft": "airplanes helicopter", "jet": "airplanes",
    "motorcycle": "Motorbikes", "person": "Faces", "portrait": "Faces", "automobile": "car_side",
    "flower": "sunflower lotus water_lilly", "boat": "ketch schooner ferry", "sailboat": "ketch schooner",
    "ship": "ferry schooner ketch", "piano": "grand_piano", "guitar": "electric_guitar",
    "phone": "cellphone", "mobile phone": "cellphone", "smartphone": "cellphone", "computer": "laptop",
    "notebook computer": "laptop", "headphones": "headphone", "binoculars": "binocular",
    "pistol": "revolver", "handgun": "revolver", "spanner": "wrench", "fan": "ceiling_fan",
    "dinosaur": "brontosaurus stegosaurus", "big cat": "Leopards cougar_body cougar_face wild_cat",
    "insect": "ant butterfly dragonfly mayfly", "bird": "emu flamingo flamingo_head ibis pigeon rooster",
    "sea turtle": "hawksbill", "turtle": "hawksbill", "chicken": "rooster", "dove": "pigeon",
    "seahorse": "sea_horse", "football": "soccer_ball", "banknote": "dollar_bill", "money": "dollar_bill",
    "rollerblade": "inline_skate", "mosque": "minaret", "alligator": "crocodile crocodile_head",
    "jug": "ewer", "pitcher": "ewer", "mug": "cup", "teacup": "cup", "tuba": "euphonium",
    "wristwatch": "watch", "antelope": "gerenuk", "rhinoceros": "rhino", "alpaca": "llama",
    "crawfish": "crayfish", "seashell": "nautilus", "sea star": "starfish", "fossil": "trilobite",
    "tree": "bonsai joshua_tree", "phonograph": "gramophone", "candelabra": "menorah", "bear": "panda",
    "traffic sign": "stop_sign", "cask": "barrel", "artillery": "cannon", "concertina": "accordion",
    "sax": "saxophone", "porpoise": "dolphin", "wallaby": "kangaroo",
}



@dataclass
class Query:
    kind: str
    half: bool  # which half of the classes it belongs to
    scores: np.ndarray  # the hits' scores, best first (at least K + 1)
    relevant: np.ndarray  # bool per score
    reference: np.ndarray  # the top POOL candidates' scores (the query photo's left out), for z
    labels: set[str]  # the classes that answer it
    text: str = ""
    photo: int | None = None  # the query photo (image queries)
    own: int | None = None  # its position in the scores, when there

    def top(self) -> tuple[np.ndarray, np.ndarray]:
        """Features (score, gap, z) and relevance of the top K hits, the query photo left out."""
        spread = max(float(self.reference.std()), MIN_SPREAD)
        z = (self.scores - float(self.reference.mean())) / spread
        x, y = np.column_stack([features(self.scores, self.own), z]), self.relevant
        if self.own is not None:
            x, y = np.delete(x, self.own, axis=0), np.delete(y, self.own)
        return x[:K], y[:K].astype(float)


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-3, steps: int = 50) -> np.ndarray:
    """Weights (bias first) of a logistic regression by IRLS (Newton), with a tiny ridge."""
    X = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-X @ w))
        gradient = X.T @ (p - y) + ridge * w
        hessian = (X * (p * (1 - p))[:, None]).T @ X + ridge * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


def fit_monotonic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(bias, score, gap) weights whose relevance never rises down a query's ranking: along
    it the logit moves by score - gap per unit of score, so that must not be negative. When
    the free fit breaks it, score and gap are refitted as one weight on the query's best."""
    w = fit_logistic(x, y)
    if w[1] - w[2] < 0:
        bias, best = fit_logistic(x[:, :1] + x[:, 1:2], y)
        w = np.array([bias, best, best])
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Relevance of one query's hits best first, as the app computes it."""
    return np.minimum.accumulate(1.0 / (1.0 + np.exp(-(w[0] + x @ w[1:]))))


def calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |mean predicted - share relevant| per bin, weighted by size."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(p[which == b].mean() - y[which == b].mean()) * np.sum(which == b)
                     for b in range(bins) if np.any(which == b)) / len(p))


def half_weights(queries: list[Query], columns: list[int], fit: Callable[[np.ndarray, np.ndarray], np.ndarray],
                 ) -> dict[bool, np.ndarray]:
    """For each half, the weights fitted on the other half's queries."""
    weights = {}
    for half in (True, False):
        train = [q.top() for q in queries if q.half != half]
        weights[half] = fit(np.concatenate([x for x, _ in train])[:, columns], np.concatenate([y for _, y in train]))
    return weights


def held_out(queries: list[Query], weights: dict[bool, np.ndarray], columns: list[int],
             ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(relevance, relevant) of each query's top K, by the weights of the half it is not in."""
    return [(predict(weights[q.half], x[:, columns]), y) for q in queries for x, y in [q.top()]]


def measure(answers: list[tuple[np.ndarray, np.ndarray]], cut: float) -> dict[str, float]:
    """The figures of one kind's queries at cut-off `cut`."""
    shown = relevant_shown = relevant_top = empty = 0
    for p, y in answers:
        keep = p >= cut
        shown += int(keep.sum())
        relevant_shown += int(y[keep].sum())
        relevant_top += int(y.sum())
        empty += not keep.any()
    p, y = np.concatenate([p for p, _ in answers]), np.concatenate([y for _, y in answers])
    precision = relevant_shown / shown if shown else 0.0
    recall = relevant_shown / relevant_top if relevant_top else 0.0
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "shown": shown / len(answers), "empty": empty / len(answers), "padded precision": float(y.mean()),
            "ece": calibration_error(p, y),
            "log loss": float(-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))}


def text_queries(library: Library, label_of: dict[int, str | None], phrases: list[tuple[str, set[str]]],
                 fit_classes: set[str], only: tuple[str, ...]) -> list[Query]:
    """The (phrase, classes answering it) through the engine's text ranking, with the library's
    current learned state; a query is in the fitting half when its first class is."""
    embedder = library.embedder()
    space = library.word_space()
    learned = library.learner.state(embedder, space)
    zero = library.vector_index(embedder.id, space.kind, space.words.dim)
    mine = library.vector_index(embedder.id, learned.kind, space.words.dim) if learned else None
    out = []
    for text, labels in phrases:
        try:
            ranking = rank_by_text(library.catalogue, embedder.id, space, text, K, zero, learned, mine)
        except UnknownWord:
            continue  # answered with spelling suggestions, no results
        if ranking.kind in only:
            pool = rank_by_text(library.catalogue, embedder.id, space, text, POOL, zero, learned, mine)
            out.append(Query(ranking.kind, sorted(labels)[0] in fit_classes, np.array([s for _, s in ranking.scored]),
                             np.array([label_of.get(pid) in labels for pid, _ in ranking.scored]),
                             np.array([s for _, s in pool.scored]), labels, text))
    return out


def image_queries(library: Library, label_of: dict[int, str | None], by_class: dict[str, list[str]],
                  fit_classes: set[str], rng: np.random.Generator) -> list[Query]:
    """IMAGES_PER_CLASS library photos of each class, through the engine's image ranking."""
    embedder = library.embedder()
    index = library.vector_index(embedder.id, FEATURES, embedder.spec.feature_dim)
    augmented = library.vector_index(embedder.id, AUGMENTED, embedder.spec.feature_dim)
    out = []
    for label, paths in sorted(by_class.items()):
        for path in rng.choice(paths, min(IMAGES_PER_CLASS, len(paths)), replace=False):
            query = embed_file(library.catalogue, embedder, str(path))
            scored = rank_by_image(library.catalogue, index, query, POOL)  # its first K + 1 are those of k = K + 1
            out.append(_query(IMAGE, label in fit_classes, scored, label_of, {label}, photo=query.photo_id))
            scored = rank_expanded(library.catalogue, index, augmented, query, POOL)
            out.append(_query(EXPANDED, label in fit_classes, scored, label_of, {label}, photo=query.photo_id))
    return out


def _query(kind: str, half: bool, scored: list[tuple[int, float]], label_of: dict[int, str | None],
           labels: set[str], text: str = "", photo: int | None = None) -> Query:
    """A query whose hits are its POOL candidates (image search, exact search)."""
    ids = [pid for pid, _ in scored]
    scores = np.array([s for _, s in scored])
    own = ids.index(photo) if photo in ids else None
    reference = np.delete(scores, own) if own is not None else scores
    return Query(kind, half, scores, np.array([label_of.get(pid) in labels for pid in ids]), reference, labels,
                 text, photo, own)


def smaller_library(library: Library, label_of: dict[int, str | None], queries: list[Query], size: int,
                    rng: np.random.Generator) -> list[Query]:
    """The zero-shot text and image queries again over `size` random photos, searched exactly
    (the query photo itself may be one of them)."""
    cat, model = library.catalogue, library.model_id
    keep = [int(pid) for pid in rng.choice(sorted(label_of), size, replace=False)]
    features_of, words_of, colours_of = (cat.vectors_of(keep, model, FEATURES), cat.vectors_of(keep, model, WORDS),
                                         cat.colours_of(keep))
    augmented_of = cat.vectors_of(keep, model, AUGMENTED)
    ids = [pid for pid in keep if all(pid in found for found in (features_of, words_of, colours_of, augmented_of))]
    F, W, C, A = (np.stack([found[pid] for pid in ids]) for found in (features_of, words_of, colours_of, augmented_of))
    out = []
    for q in queries:
        if q.kind == ZERO_SHOT:
            scores = W @ text_query_vector(library.words(), q.text)
        elif q.kind == IMAGE and q.photo is not None:
            f, c = cat.vectors_of([q.photo], model, FEATURES)[q.photo], cat.colours_of([q.photo])[q.photo]
            scores = np.minimum(fuse_scores(F @ f, C @ c), 1.0)
        elif q.kind == EXPANDED and q.photo is not None:
            # As rank_expanded over these photos alone; their augmented vectors keep the
            # neighbours found in the whole library.
            f, c = cat.vectors_of([q.photo], model, FEATURES)[q.photo], cat.colours_of([q.photo])[q.photo]
            unit = f / max(float(np.linalg.norm(f)), 1e-12)
            first = np.argsort(-(A @ unit), kind="stable")[:EXPAND_K]
            expanded = expand(unit, A[first], (A @ unit)[first].astype(np.float32))
            raw = (F @ unit) / np.maximum(np.linalg.norm(F, axis=1), 1e-12)
            scores = np.minimum(A @ expanded + fuse_scores(raw, C @ c) - raw, 1.0)
        else:
            continue
        order = np.argsort(-scores, kind="stable")[:POOL]
        out.append(_query(q.kind, q.half, [(ids[i], float(scores[i])) for i in order], label_of, q.labels,
                          q.text, q.photo))
    return out


def train(library: Library, ids: set[int], what: str) -> None:
    report = library.train_words(only_photos=ids)
    print(f"learned from {what}: {report.photos} photos, {len(report.terms)} terms in {report.seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", default=str(OUT / "caltech-lib"))
    args = parser.parse_args()
    root = DATASET / "101_ObjectCategories"
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    with open_library(args.library) as library:
        indexed = library.index([root], text=False)  # nothing to do when bench/quality.py indexed these very files
        print(f"indexed: {indexed.indexed} new or changed, {indexed.unchanged} unchanged")
        rows = library.catalogue.photos_under(str(root))
        label_of: dict[int, str | None] = {}
        by_class: dict[str, list[str]] = {}
        for path, row in rows.items():
            label = path[len(str(root)) + 1:].split("/")[0]
            label = {"Faces_easy": "Faces", "BACKGROUND_Google": None}.get(label, label)
            label_of[row.id] = label
            if label is not None and "/Faces_easy/" not in path:
                by_class.setdefault(label, []).append(path)
        phrases = [(q["query"], {q["label"]}) for q in read_csv("text_queries.csv")]
        others = [(text, set(labels.split())) for text, labels in OTHER_PHRASES.items()]
        classes = sorted(label for _, (label,) in phrases)
        fit_classes = set(rng.permutation(classes)[: len(classes) // 2])
        train_split = {rows[str(root / line)].id for line in (DATASET / "splits" / "train.txt").read_text().split()
                       if str(root / line) in rows}

        def train_ids(half: set[str] | None) -> set[int]:
            return {pid for pid in train_split if half is None or label_of[pid] in half}

        shutil.rmtree(library.root / "learned", ignore_errors=True)  # zero-shot first
        queries = text_queries(library, label_of, phrases + others, fit_classes, (ZERO_SHOT,))
        train(library, train_ids(None), "the folder names of the train split")
        queries += text_queries(library, label_of, phrases + others, fit_classes, (OWN_TERM, BLEND))
        # Blended, a subject the library has not learned: learned from one half's folder names,
        # queried with the other half's phrases.
        measure_classes = set(classes) - fit_classes
        for learned_from, asked in ((measure_classes, fit_classes), (fit_classes, measure_classes)):
            train(library, train_ids(learned_from), f"the folder names of {len(learned_from)} classes")
            queries += text_queries(library, label_of, [(t, ls) for t, ls in phrases if ls <= asked],
                                    fit_classes, (BLEND,))
        shutil.rmtree(library.root / "learned", ignore_errors=True)  # as quality.py expects it
        queries += image_queries(library, label_of, by_class, fit_classes, rng)
        smaller = {size: smaller_library(library, label_of, queries, size, rng) for size in SMALLER}
    print(f"{len(queries)} queries ranked in {time.perf_counter() - start:.0f} s")
    report(queries, smaller)


def report(queries: list[Query], smaller: dict[int, list[Query]]) -> None:
    constants = []
    summary, choice_rows, cut_rows, bins_rows, size_rows = [], [], [], [], []
    shipped = FEATURE_SETS[SHIPPED]
    for kind in KINDS:
        mine = [q for q in queries if q.kind == kind]
        halves = (sum(q.half for q in mine), sum(not q.half for q in mine))
        if min(halves) < 5:
            print(f"{kind}: {halves[0]} and {halves[1]} queries in the two halves: not fitted")
            continue
        elsewhere = {size: [q for q in others if q.kind == kind] for size, others in smaller.items()}
        every_size = mine + [q for again in elsewhere.values() for q in again]
        for name, columns in FEATURE_SETS.items():
            weights = half_weights(every_size, columns, fit_logistic)
            m = measure(held_out(mine, weights, columns), RELEVANT_FROM)
            eces = [measure(held_out(again, weights, columns), RELEVANT_FROM)["ece"] if again else ""
                    for again in elsewhere.values()]
            choice_rows.append((kind, name, m["log loss"], m["ece"], m["precision"], m["recall"], m["f1"], *eces))
        weights = half_weights(every_size, shipped, fit_monotonic)
        answers = held_out(mine, weights, shipped)
        for cut in CUT_OFFS:
            m = measure(answers, cut)
            cut_rows.append((kind, cut, m["precision"], m["recall"], m["f1"], m["shown"], m["empty"]))
        m = measure(answers, RELEVANT_FROM)
        summary.append((kind, f"{halves[0]} + {halves[1]}", m["precision"], m["recall"], m["f1"], m["shown"],
                        m["padded precision"], m["empty"], m["ece"]))
        for size, again in elsewhere.items():
            for cut in sorted({RELEVANT_FROM, 0.5}) if again else ():
                m = measure(held_out(again, weights, shipped), cut)
                size_rows.append((kind, size, len(again), cut, m["precision"], m["recall"], m["f1"], m["shown"],
                                  m["padded precision"], m["empty"], m["ece"]))
        p, r = np.concatenate([p for p, _ in answers]), np.concatenate([y for _, y in answers])
        for low in (0.0, 0.2, 0.4, 0.6, 0.8):
            inside = (p >= low) & ((p < low + 0.2) | (low == 0.8))
            if inside.any():
                bins_rows.append((kind, f"{low:.1f}-{low + 0.2:.1f}", int(inside.sum()), float(p[inside].mean()),
                                  float(r[inside].mean())))
        everything = [q.top() for q in every_size]
        w = fit_monotonic(np.concatenate([x for x, _ in everything])[:, shipped],
                          np.concatenate([y for _, y in everything]))
        constants.append(f"    {_name(kind)}: Calibration(bias={w[0]:.3f}, score={w[1]:.3f}, gap={w[2]:.3f}),")
    table(f"Feature sets, free fit (each half scored by the fit on the other; cut-off {RELEVANT_FROM}), all "
          "9,144 photos; ECE also in the smaller libraries",
          ["kind", "features", "log loss", "ECE", "precision", "recall", "F1", *(f"ECE {size}" for size in SMALLER)],
          choice_rows)
    table(f"Cut-offs ({SHIPPED}, held out as above)",
          ["kind", "cut-off", "precision", "recall", "F1", "shown/query", "empty"], cut_rows)
    table(f"Calibration (held out, top {K} of each query)",
          ["kind", "relevance", "hits", "mean relevance", "share relevant"], bins_rows)
    table("Smaller libraries (random photos, exact search), held out as above",
          ["kind", "photos", "queries", "cut-off", "precision shown", f"recall in top {K}", "F1", "shown/query",
           f"precision of all {K}", "empty", "ECE"], size_rows)
    table(f"Relevance cut-off {RELEVANT_FROM}, classes held out, all 9,144 photos (top {K} of each query)",
          ["kind", "queries (halves)", "precision shown", f"recall in top {K}", "F1", "shown/query",
           f"precision of all {K} (today)", "empty", "ECE"], summary)
    print(f"\n# Fitted on both halves (all queries) by bench/relevance.py, {datetime.date.today().isoformat()}:\n"
          "CALIBRATIONS: dict[str, Calibration] = {")
    print("\n".join(constants) + "\n}")


def _name(kind: str) -> str:
    return {ZERO_SHOT: "ZERO_SHOT", BLEND: "BLEND", OWN_TERM: "OWN_TERM", IMAGE: "IMAGE", EXPANDED: "EXPANDED"}[kind]


if __name__ == "__main__":
    main()
