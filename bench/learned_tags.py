"""Learned tags in a library like a real user's: some subjects filed, most in camera dumps.

Twelve Caltech-101 subjects. Six are filed in named folders (under their own word,
"Butterflies", "Birds/Flamingos", or under names that are not the subject at all:
"Garden" holds sunflowers, "Pets" dalmatians, "eBay listings" watches, "Sailing trip"
ketches); every subject, filed or not, also has 25 photos in camera-dump folders
(`DCIM/101CANON` ...) that teach nothing. The photos' vectors are the real ones of the
library `bench/quality.py` indexed (no re-embedding). After learning from the folder
names, over the 300 camera-dump photos:
- wrong: share of dump photos showing a learned tag that is not their subject's
  folder term (every learned tag is wrong on a subject with no named folder); target < 3%;
- coverage: share of dump photos of a filed subject showing its folder term; target >= 80%;
- text P@10: each subject's query (`text_queries.csv`), first 10 dump photos found by
  `search_text`; and the folder names as queries ("garden" should find the sunflowers).

Usage: python bench/learned_tags.py   (after bench/quality.py has indexed Caltech-101)
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from common import DATASET, OUT, read_csv, table

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.learning.learned import photo_terms
from cbir_desktop.engine.storage.catalogue import FEATURES, WORDS, PhotoVectors

# Folder -> the Caltech-101 class filed there (a folder name need not be the subject).
NAMED = {"Garden": "sunflower", "Pets": "dalmatian", "eBay listings": "watch", "Sailing trip": "ketch",
         "Butterflies": "butterfly", "Birds/Flamingos": "flamingo"}
DUMP_ONLY = ("grand_piano", "chair", "airplanes", "Motorbikes", "laptop", "elephant")
DUMPS = ("DCIM/100CANON", "DCIM/101CANON", "DCIM/102CANON", "Camera Uploads/2023-07")
IN_DUMPS = 25  # photos of every subject in the camera dumps
IN_FOLDER = 60  # at most, per named folder
# The folder names as a user would type them, and the subject they should find.
TERM_QUERIES = {"garden": "sunflower", "pets": "dalmatian", "ebay": "watch", "ebay listings": "watch",
                "sailing trip": "ketch", "butterflies": "butterfly", "birds": "flamingo"}


def build(source: Path, library: Path, tree: Path) -> dict[str, tuple[str, bool]]:
    """The user's library; returns each photo path's (subject, in a camera dump)."""
    root = DATASET / "101_ObjectCategories"
    rng = np.random.default_rng(11)
    placed: dict[str, tuple[str, bool]] = {}
    with open_library(source) as src:
        model = src.model_id
        rows = src.catalogue.photos_under(str(root))
        by_class: dict[str, list[int]] = {}
        for path, row in sorted(rows.items()):
            by_class.setdefault(Path(path).parent.name, []).append(row.id)
        wanted = {*NAMED.values(), *DUMP_ONLY}
        ids = sorted(pid for c in wanted for pid in by_class[c])
        feats = src.catalogue.vectors_of(ids, model, FEATURES)
        words = src.catalogue.vectors_of(ids, model, WORDS)
        tags = src.catalogue.tags_of(ids, model)
        colours = src.catalogue.colours_of(ids)
    plan: list[tuple[str, str, int, bool]] = []  # folder, subject, source photo, in a dump
    dump_plan = []
    for subject in sorted(wanted):
        chosen = list(rng.permutation(by_class[subject]))
        dump_plan += [(subject, pid) for pid in chosen[:IN_DUMPS]]
        folder = next((f for f, s in NAMED.items() if s == subject), None)
        if folder is not None:
            plan += [(folder, subject, pid, False) for pid in chosen[IN_DUMPS : IN_DUMPS + IN_FOLDER]]
    for n, i in enumerate(rng.permutation(len(dump_plan))):  # shot in a mixed order, split over dumps
        subject, pid = dump_plan[i]
        plan.append((DUMPS[n * len(DUMPS) // len(dump_plan)], subject, pid, True))
    with open_library(library) as lib:
        cat = lib.catalogue
        cat.add_folder(str(tree))
        with cat.transaction():
            for n, (folder, subject, pid, dump) in enumerate(plan):
                path = tree / folder / f"IMG_{n:04d}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"x" * (100 + n))
                st = path.stat()
                new_id = cat.upsert_photo(str(path), st.st_size, st.st_mtime_ns, os.urandom(16), 300, 200,
                                          colours.get(pid))
                cat.store_vectors(new_id, model, PhotoVectors(feats[pid], words[pid], tags.get(pid, [])))
                placed[str(path)] = (subject, dump)
        for kind, dim in ((FEATURES, feats[ids[0]].shape[0]), (WORDS, words[ids[0]].shape[0])):
            lib.vector_index(model, kind, dim).rebuild(cat)
    return placed


def measure(library: Path, tree: Path, placed: dict[str, tuple[str, bool]], label: str) -> list[list[object]]:
    queries = {q["label"]: q["query"] for q in read_csv("text_queries.csv")}
    with open_library(library) as lib:
        start = time.perf_counter()
        report = lib.train_words()
        seconds = time.perf_counter() - start
        print(f"[{label}] learned {len(report.words)} words and terms {report.terms} from "
              f"{report.photos} photos in {seconds:.2f} s")
        known = lib.words().__contains__
        right = {s: set(photo_terms(str(tree / f / "x.jpg"), str(tree), known)) for f, s in NAMED.items()}
        paths = dict(lib.catalogue.indexed_paths(lib.model_id))
        ids = sorted(paths)
        learned = lib.learner.tags(lib.embedder(), ids)
        wrong = covered = filed_dump = kept = filed = 0
        spread: dict[tuple[str, str], int] = {}
        dump_ids = set()
        for pid in ids:
            subject, dump = placed[paths[pid]]
            shown = {t.tag for t in learned.get(pid, [])}
            good = right.get(subject, set())
            if not dump:
                filed += 1
                kept += bool(shown & good)
                continue
            dump_ids.add(pid)
            bad = shown - good
            wrong += bool(bad)
            for tag in bad:
                spread[(tag, subject)] = spread.get((tag, subject), 0) + 1
            if good:
                filed_dump += 1
                covered += bool(shown & good)
        worst = sorted(spread.items(), key=lambda kv: -kv[1])[:6]
        print(f"[{label}] most frequent wrong tags on dump photos: "
              + ", ".join(f'"{t}" on {n}/{IN_DUMPS} {s}' for (t, s), n in worst))

        def dump_p10(query: str, subject: str) -> float:
            hits = [h for h in lib.search_text(query, k=len(ids)) if h.photo_id in dump_ids][:10]
            return float(np.mean([placed[h.path][0] == subject for h in hits])) if hits else 0.0

        subject_p10 = float(np.mean([dump_p10(queries[s], s) for s in sorted({*NAMED.values(), *DUMP_ONLY})]))
        filed_p10 = float(np.mean([dump_p10(queries[s], s) for s in NAMED.values()]))
        term_p10 = float(np.mean([dump_p10(q, s) for q, s in TERM_QUERIES.items()]))
        ebay = lib.search_text("ebay", k=10)
        ebay_watch = float(np.mean([placed[h.path][0] == "watch" for h in ebay]))
    n_dump = len(dump_ids)
    return [
        [label, "wrong learned tag on dump photos", wrong / n_dump, "< 0.03"],
        [label, "dump photos of filed subjects with their folder term", covered / max(filed_dump, 1), ">= 0.80"],
        [label, "filed photos keeping their folder term", kept / max(filed, 1), ""],
        [label, "text P@10 over dumps, 12 subject queries", subject_p10, "within 0.02"],
        [label, "text P@10 over dumps, the 6 filed subjects' queries", filed_p10, ""],
        [label, f"text P@10 over dumps, folder names as queries ({len(TERM_QUERIES)})", term_p10, ""],
        [label, '"ebay" (whole library): share of first 10 that are watches', ebay_watch, ""],
        [label, "learning time (s)", seconds, ""],
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default=str(OUT / "caltech-lib"))
    parser.add_argument("--label", default="this code")
    parser.add_argument("--keep", action="store_true", help="keep the built library")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cbir-learned-tags-"))
    try:
        library, tree = work / "lib", work / "photos"
        placed = build(Path(args.source), library, tree)
        dumps = sum(d for _, d in placed.values())
        print(f"built {len(placed)} photos: {len(placed) - dumps} in named folders, {dumps} in camera dumps")
        rows = measure(library, tree, placed, args.label)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    table("Learned tags and text search over camera dumps (Caltech-101, 12 subjects)",
          ["code", "measure", "value", "target"], rows)


if __name__ == "__main__":
    main()
