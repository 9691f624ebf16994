"""Colour words (issue 15): a colour benchmark built from Caltech-101, and the colour pass's cost.

Ground truth, by a rule independent of the engine's colour description (photos/colour_terms.py
works in CIELAB with centre weights over a 48-px copy; this works in Pillow's HSV over the middle
of a 128-px copy, uniform weights, other thresholds):

- "black and white": the file holds no colour (a greyscale JPEG, or every pixel's channels within
  8 of each other); Caltech has 411 such photos.
- otherwise a pixel of the middle half (width and height) is chromatic when its saturation is
  >= 0.45 and its value >= 0.35 (skin is less saturated: at 0.3 most faces were "red"), named by
  hue: red < 15 or >= 340, orange < 40 (brown when its value is < 0.6), yellow < 70 (none when
  its value is < 0.6: olive), green < 170, blue < 260, purple < 300, pink < 340 (degrees); the
  middle is white when >= 50% of it has value >= 0.8 and saturation < 0.15, black when >= 50% has
  value < 0.2.
- a photo's colour is the chromatic name holding >= 30% of the middle, or white / black holding
  >= 50% of it; none otherwise.

Queries: for each object (a Caltech class's query word from text_queries.csv, and "flower" for
sunflower + lotus + water lily) and each colour with >= 10 photos of it that are not nearly all
of the object's photos (< 80%), the query "<colour> <object>"; relevant = the object's classes
AND that colour. P@10 of the same relevance for: the object's words alone (zero-shot word
projection, as the engine ranks a word with nothing learned), and colour + object (the engine's
`rank_coloured` over the object's best `COLOUR_POOL` photos); for reference, the whole phrase's
word vector (its words' vectors averaged: what the engine did before colour words). Colour alone: "<colour>" ranked by
`rank_by_colour`, relevant = photos of that colour (any class). The photos searched are the
8,677 evaluation photos (labels_eval.csv), as if the library held only them.

Also times the colour pass (indexing/colours_step.py, its own small decode) over the whole
library copy, photos/s on `--threads` threads, and what describing adds to indexing: the
description alone on the copy indexing already decoded (224 px), ms per photo.

Usage: python bench/colours.py [--library bench/out/caltech-colours-lib] [--threads 2] [--sheet]
(the library: a copy of bench/out/caltech-lib, which the colour pass writes to).
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import DATASET, OUT, read_csv, table
from PIL import Image

from cbir_desktop.engine.api import COLOUR_POOL
from cbir_desktop.engine.indexing.colours_step import describe_colours_step
from cbir_desktop.engine.models.manifest import load_manifest
from cbir_desktop.engine.photos.colour_terms import DESCRIPTION_SIZE, describe_colours
from cbir_desktop.engine.photos.decode import decode_photo
from cbir_desktop.engine.search import colour_words
from cbir_desktop.engine.search.colour_words import BLACK_AND_WHITE, rank_by_colour, rank_coloured
from cbir_desktop.engine.search.relevance import ZERO_SHOT, scored_relevance
from cbir_desktop.engine.search.text import text_query_vector
from cbir_desktop.engine.storage.catalogue import WORDS, Catalogue
from cbir_desktop.engine.storage.colour_rows import colour_descriptions
from cbir_desktop.engine.words.vectors import WordVectors

HUES = ((15, "red"), (40, "orange"), (70, "yellow"), (170, "green"), (260, "blue"), (300, "purple"),
        (340, "pink"), (361, "red"))
OBJECT_GROUPS = {"flower": ("sunflower", "lotus", "water_lilly")}
MIN_RELEVANT, MAX_SHARE = 10, 0.8


def truth_colour(path: Path) -> str:
    """The photo's colour by the benchmark's own rule (module docstring), or ""."""
    with Image.open(path) as image:
        grey_file = image.mode in ("L", "1", "LA", "I", "I;16")
        image.draft("RGB", (256, 256))
        rgb = image.convert("RGB")
    rgb.thumbnail((128, 128))
    array = np.asarray(rgb, np.int16)
    if grey_file or int(np.abs(np.diff(array, axis=2)).max()) <= 8:
        return BLACK_AND_WHITE
    h, w = array.shape[:2]
    middle = rgb.crop((w // 4, h // 4, w - w // 4, h - h // 4))
    hsv = np.asarray(middle.convert("HSV"), np.float32).reshape(-1, 3) / 255.0
    hue, sat, val = hsv[:, 0] * 360.0, hsv[:, 1], hsv[:, 2]
    chromatic = (sat >= 0.45) & (val >= 0.35)
    names = Counter()
    for (low, _), (high, name) in zip(((0, ""), *HUES[:-1]), HUES, strict=True):
        inside = chromatic & (hue >= low) & (hue < high)
        if name in ("orange", "yellow"):  # dark orange is brown, dark yellow olive (neither named here)
            names["brown" if name == "orange" else ""] += int(np.sum(inside & (val < 0.6)))
            inside &= val >= 0.6
        names[name] += int(np.sum(inside))
    names.pop("", None)
    name, count = names.most_common(1)[0]
    if count >= 0.3 * len(hsv):
        return name
    if np.mean((val >= 0.8) & (sat < 0.15)) >= 0.5:
        return "white"
    if np.mean(val < 0.2) >= 0.5:
        return "black"
    return ""


def colour_pass(catalogue: Catalogue, threads: int) -> tuple[int, float, object]:
    """Describe every photo of the library without a colour description (indexing/colours_step.py):
    how many, in how many seconds, and the pass's last progress report."""
    start, last = time.perf_counter(), None
    step = describe_colours_step(catalogue, [], threading.Event(), threads=threads)
    try:
        while True:
            last = next(step)
    except StopIteration as stop:
        described = stop.value.photos
    return described, time.perf_counter() - start, last


def main() -> None:  # noqa: C901 - one benchmark read top to bottom
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", default=str(OUT / "caltech-colours-lib"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sheet", action="store_true", help="write contact sheets of the truth per colour")
    parser.add_argument("--colour-scale", type=float, default=colour_words.COLOUR_SCALE,
                        help="try another COLOUR_SCALE (search/colour_words.py)")
    args = parser.parse_args()
    colour_words.COLOUR_SCALE = args.colour_scale
    catalogue = Catalogue(Path(args.library) / "catalogue.sqlite")
    rows = catalogue.photos_under(str(DATASET / "101_ObjectCategories"))
    print(f"{len(rows)} photos in {args.library}")

    # The colour pass over every photo without a description (all of them, the first time).
    described, pass_s, last = colour_pass(catalogue, args.threads)
    if described:
        print(f"colour pass: {described} photos in {pass_s:.1f} s = {described / pass_s:.0f} photos/s "
              f"on {args.threads} threads ({last})")

    # What describing adds to indexing: the description of the copy indexing decodes anyway.
    sample = random.Random(0).sample(sorted(rows), 300)
    images = [decode_photo(p, min_side=224).image for p in sample]
    start = time.perf_counter()
    for image in images:
        describe_colours(image)
    describe_ms = (time.perf_counter() - start) / len(images) * 1000
    print(f"describing at indexing: {describe_ms:.2f} ms per photo (one thread, 224-px decoded copy)")

    evaluation = read_csv("labels_eval.csv")
    label_of = {str(DATASET / r["path"]): r["label"] for r in evaluation}
    start = time.perf_counter()
    truth = {path: truth_colour(Path(path)) for path in label_of}
    print(f"ground truth for {len(truth)} photos in {time.perf_counter() - start:.0f} s: "
          f"{dict(Counter(truth.values()).most_common())}")
    if args.sheet:
        _sheets(truth)

    searched = load_searched(catalogue, rows, label_of)
    results, object_p, phrase_p, combined_p = [], [], [], []
    for query in colour_object_queries(label_of, truth):
        ranked = searched.object_ranking(query.thing)
        plain = searched.precision([pid for pid, _ in ranked], query.relevant)
        phrase = searched.precision([pid for pid, _ in searched.object_ranking(query.text)], query.relevant)
        coloured = coloured_precision(searched, ranked, query)
        results.append((query.text, f"{len(query.relevant)}/{query.photos}", plain, phrase, coloured))
        object_p.append(plain)
        phrase_p.append(phrase)
        combined_p.append(coloured)
    results.append((f"mean over {len(object_p)} queries", "", float(np.mean(object_p)), float(np.mean(phrase_p)),
                    float(np.mean(combined_p))))
    table(f"Colour + object queries on Caltech-101: P@10, relevant = the object's class(es) AND the colour "
          f"(COLOUR_SCALE {colour_words.COLOUR_SCALE})",
          ["query", "relevant / object's photos", "object words alone", "whole phrase's word vector",
           "colour + object"], results)

    colour_rows = []
    for colour in sorted({c for c in truth.values() if c}):
        relevant = {p for p, c in truth.items() if c == colour}
        found = [pid for pid, _ in rank_by_colour(searched.ids, searched.descriptions, (colour,), 10)]
        colour_rows.append((colour, len(relevant), searched.precision(found, relevant)))
    colour_rows.append(("mean", "", float(np.mean([r[2] for r in colour_rows]))))
    table("Colour words alone on Caltech-101: P@10, relevant = photos of that colour (any class)",
          ["query", "relevant photos", "P@10"], colour_rows)
    catalogue.close()


@dataclass(frozen=True)
class Searched:
    """The photos searched (the evaluation photos, as if the library held only them): their
    colour descriptions and word vectors, and what scores a ranking of them."""

    path_of: dict[int, str]
    ids: np.ndarray
    descriptions: np.ndarray
    vector_ids: list[int]
    matrix: np.ndarray
    words: WordVectors

    def object_ranking(self, text: str) -> list[tuple[int, float]]:
        """The zero-shot word projection's ranking of every photo for `text` (search/text.py)."""
        scores = self.matrix @ text_query_vector(self.words, text)
        order = np.argsort(-scores, kind="stable")
        return [(self.vector_ids[i], float(scores[i])) for i in order]

    def precision(self, found: list[int], relevant: set[str]) -> float:
        return sum(self.path_of[pid] in relevant for pid in found[:10]) / 10


def load_searched(catalogue: Catalogue, rows: dict, label_of: dict[str, str]) -> Searched:
    """The evaluation photos' descriptions and word vectors from the library's catalogue."""
    path_of = {row.id: path for path, row in rows.items()}
    evaluated = [rows[path].id for path in label_of]
    ids, descriptions = colour_descriptions(catalogue, DESCRIPTION_SIZE, evaluated)
    manifest = load_manifest()
    assert manifest.word_vectors_path is not None
    vector_ids, vectors = [], []
    for _, photo_id, vector in catalogue.iter_vectors(manifest.default_model, WORDS):
        if path_of.get(photo_id) in label_of:
            vector_ids.append(photo_id)
            vectors.append(vector)
    return Searched(path_of, ids, descriptions, vector_ids, np.stack(vectors),
                    WordVectors.load(manifest.word_vectors_path))


@dataclass(frozen=True)
class ColourObjectQuery:
    """"<colour> <thing>": the thing's Caltech classes, and the photos relevant to the query
    (of those classes AND that colour) among the thing's `photos`."""

    colour: str
    thing: str
    classes: tuple[str, ...]
    relevant: set[str]
    photos: int

    @property
    def text(self) -> str:
        return f"{self.colour} {self.thing}"


def colour_object_queries(label_of: dict[str, str], truth: dict[str, str]) -> list[ColourObjectQuery]:
    """The benchmark's queries (module docstring), by thing then colour."""
    queries = {q["label"]: q["query"] for q in read_csv("text_queries.csv")}
    things = {text: (label,) for label, text in queries.items()} | OBJECT_GROUPS
    found = []
    for thing, classes in sorted(things.items()):
        photos = [p for p, label in label_of.items() if label in classes]
        counts = Counter(truth[p] for p in photos)
        for colour, count in sorted(counts.items()):
            if colour and MIN_RELEVANT <= count < MAX_SHARE * len(photos):
                relevant = {p for p in photos if truth[p] == colour}
                found.append(ColourObjectQuery(colour, thing, classes, relevant, len(photos)))
    return found


def coloured_precision(searched: Searched, ranked: list[tuple[int, float]], query: ColourObjectQuery) -> float:
    """P@10 of colour + object as the engine ranks it: `rank_coloured` over the thing's best
    `COLOUR_POOL` photos of `ranked` (its object ranking), at the current COLOUR_SCALE."""
    pool = ranked[:COLOUR_POOL]
    both, _ = rank_coloured(pool, scored_relevance(ZERO_SHOT, pool), searched.ids, searched.descriptions,
                            (query.colour,), 10)
    return searched.precision([pid for pid, _ in both], query.relevant)


def _sheets(truth: dict[str, str]) -> None:
    """Contact sheets (bench/out/colour-truth-<colour>.jpg): 24 random photos of each colour, to judge
    the rule by eye."""
    rng = random.Random(1)
    for colour in sorted({c for c in truth.values() if c}):
        members = sorted(p for p, c in truth.items() if c == colour)
        chosen = rng.sample(members, min(24, len(members)))
        sheet = Image.new("RGB", (6 * 120, 4 * 96), "white")
        for i, path in enumerate(chosen):
            with Image.open(path) as image:
                thumb = image.convert("RGB")
                thumb.thumbnail((116, 92))
            sheet.paste(thumb, ((i % 6) * 120 + 2, (i // 6) * 96 + 2))
        sheet.save(OUT / f"colour-truth-{colour.replace(' ', '-')}.jpg", quality=85)


if __name__ == "__main__":
    main()
