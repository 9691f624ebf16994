"""Text in photos (issue 15): the OCR step on ../shared/datasets/ocr mixed into Caltech photos.

Builds folders under bench/out/ocr (links, never committed): N Caltech photos (a fixed random
sample), the SROIE receipts, and the other photos of the OCR set (WildReceipt, ICDAR 2015
scenes, EasyOCR signs, Immich's text photos). Prints, with the 1-minute load average beside each
figure (other work shares the 2 cores):

- indexing rate on the Caltech photos into fresh libraries with the OCR step off, on, off again,
  back to back (image model, no faces): photos/s until every photo is searchable (the OCR step
  starts only then) and over the whole `Library.index`; the "on" run also gives the OCR step's own
  throughput on them (photos/s in its phase) and how many photos its detector passed on to
  recognition;
- the receipts, then the other photos with text, added to that library: the OCR step's
  throughput on them;
- search: each SROIE receipt by its company name (as the dataset's key gives it) and by its
  total (recall@1: the receipt is the first hit; and, where several receipts share the company
  or the total, whether one of them is first), and the ICDAR 2015 photos with transcripts by
  each of their words (3+ letters);
- with --detector-pass, the detector pass and the reader alone, outside indexing;
  (the detector pass runs the int8 model; bench/ocr_detector.py compares it with the float one);
- with --first-pass, the OCR step's first pass (class mass from the stored features) on
  `--sample` Caltech photos and on the photos with text: its cost a photo, the share of Caltech
  photos it passes on, and its recall on the photos with text where the 960-px detector finds
  text (the ground truth), with the mass of each photo with text it turns away.

Usage: python bench/ocr.py [--caltech 1000] [--threads 2] [--detector-pass] [--first-pass] [--sample 200]
                           [--photos DIR] [--rate-only | --search-only]
(--photos: the indexing rates on that folder of ordinary photos instead of the Caltech sample)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time
from pathlib import Path

from common import DATASET, OUT, REPO, table

from cbir_desktop.engine.api import TEXT_SOURCE, open_library
from cbir_desktop.engine.indexing.ocr_step import PHASE, first_pass_for
from cbir_desktop.engine.ocr.detector import SIDE
from cbir_desktop.engine.ocr.first_pass import MIN_MASS
from cbir_desktop.engine.ocr.reader import READER, TextReader
from cbir_desktop.engine.photos.decode import display_image
from cbir_desktop.engine.storage.catalogue import FEATURES
from cbir_desktop.engine.storage.text_rows import count_text_read

OCR = REPO.parent / "shared" / "datasets" / "ocr"
RECEIPTS = sorted((OCR / "sroie").glob("*.jpg"))
OTHER_TEXT = sorted(p for sub in ("wildreceipt", "icdar2015", "easyocr", "immich_text_noGT")
                    for p in (OCR / sub).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def caltech_sample(count: int) -> list[Path]:
    rows = (DATASET / "labels_eval.csv").read_text().splitlines()[1:]
    random.Random(15).shuffle(rows)
    return [DATASET / row.split(",")[0] for row in rows[:count]]


def linked(sources: list[Path], folder: Path, prefix: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, source in enumerate(sources):
        target = folder / f"{prefix}{n:04d}_{source.parent.name}_{source.name}"
        if not target.exists():
            try:
                os.link(source, target)
            except OSError:
                shutil.copy(source, target)
        out.append(target)
    return out


def detector_pass(reader: TextReader, photos: list[Path]) -> tuple[float, int]:
    """(seconds per photo of decode + detector, photos it passes on)."""
    start, passed = time.perf_counter(), 0
    for photo in photos:
        bgr = __import__("numpy").asarray(display_image(str(photo), SIDE))[:, :, ::-1].copy()
        passed += reader.has_text(bgr)
    return (time.perf_counter() - start) / max(1, len(photos)), passed


def step_rate(reader: TextReader, photos: list[Path]) -> float:
    start = time.perf_counter()
    for photo in photos:
        reader.read(str(photo))
    return len(photos) / (time.perf_counter() - start)


def load() -> str:
    """The 1-minute load average, noted beside each figure (other work shares the 2 cores)."""
    return f"{os.getloadavg()[0]:.1f}"


def timed_index(library_dir: Path, folders: list[Path], text_on: bool, fresh: bool = True
                ) -> tuple[int, float, float, int, str, float]:
    """Index `folders` into the library at `library_dir` (removed first when `fresh`): (photos
    indexed, seconds in all, seconds of them in the OCR step, photos the step read, load before/after,
    CPU seconds of this process in the OCR step: its cost whatever the load, as it runs at idle
    priority). The seconds before the OCR step are those until every photo is searchable."""
    if fresh:
        shutil.rmtree(library_dir, ignore_errors=True)
    before = load()
    with open_library(library_dir) as library:
        library.set_text_reading(text_on)
        start, ocr_start, ocr_cpu = time.perf_counter(), None, 0.0
        gen = library.iter_index(folders, faces=False)
        while True:
            try:
                progress = next(gen)
            except StopIteration as stop:
                report = stop.value
                break
            if progress.phase == PHASE and ocr_start is None:
                ocr_start, ocr_cpu = time.perf_counter(), time.process_time()
        end = time.perf_counter()
        ocr_cpu = time.process_time() - ocr_cpu if ocr_start else 0.0
    return (report.indexed, end - start, end - ocr_start if ocr_start else 0.0, report.text_photos,
            f"{before}-{load()}", ocr_cpu)


def rank_of(library, query: str, target: Path, same: set[str] = frozenset()) -> int | None:  # noqa: ANN001
    """The rank of `target` (or, with `same`, of the first of those file names) among the
    text-in-photo hits for `query`; None when not in the first 10."""
    try:
        hits = library.search_text(query, k=10)
    except Exception:  # noqa: BLE001 - an unknown word and no text match: not found
        return None
    for n, hit in enumerate(hits, 1):
        if Path(hit.path).name == target.name or Path(hit.path).name in same:
            return n if hit.source == TEXT_SOURCE else None
    return None


def _norm(company: str) -> str:
    return "".join(c for c in company.upper() if c.isalnum()).replace("TED", "TEO")  # SROIE's own typo in 026


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--caltech", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--detector-pass", action="store_true",
                        help="also time the detector pass and the reader alone, outside indexing")
    parser.add_argument("--first-pass", action="store_true",
                        help="also measure the first pass: cost, Caltech share passed on, recall on text")
    parser.add_argument("--sample", type=int, default=200, help="Caltech photos --detector-pass and --first-pass use")
    parser.add_argument("--photos", type=Path, default=None,
                        help="index this folder of ordinary photos (e.g. camera JPEGs) for the rates instead")
    parser.add_argument("--rate-only", action="store_true", help="only the indexing rates, off / on / off")
    parser.add_argument("--search-only", action="store_true",
                        help="only the search figures, on the library a previous run left in bench/out/ocr")
    args = parser.parse_args()
    root = OUT / "ocr"
    caltech = linked(caltech_sample(args.caltech), root / f"caltech{args.caltech}", "c")
    receipts = linked(RECEIPTS, root / "receipts", "r")
    others = linked(OTHER_TEXT, root / "scenes", "t")
    library_dir = root / "library"
    if args.detector_pass:
        throughput(TextReader(args.threads), caltech[:args.sample], receipts, others, args.threads)
    if args.first_pass:
        first_pass_figures(root, caltech[:args.sample], receipts + others, args.threads)
    if not args.search_only:
        indexing_rates(root, library_dir, args.photos or caltech[0].parent)
        if args.rate_only:
            return
        rows = []
        for name, folder in (("SROIE receipts", root / "receipts"), ("other photos with text", root / "scenes")):
            n, total, ocr, read, loads, _cpu = timed_index(library_dir, [folder], True, fresh=False)
            rows.append((name, n, f"{total:.1f}", f"{ocr:.1f}", f"{read / ocr:.3f}", loads))
        table("OCR step on the photos with text, added to the same library (text on)",
              ["photos", "n", "indexing s", "OCR step s", "OCR photos/s", "load"], rows)
    search_quality(library_dir, receipts, others)


def indexing_rates(root: Path, library_dir: Path, folder: Path) -> None:
    """The Caltech photos indexed into fresh libraries with the OCR step off, on, off again (same
    photos, back to back, so the load is alike); the "on" library is the one searched after."""
    rows = []
    for text_on in (False, True, False):
        target = library_dir if text_on else root / "library_off"
        n, total, ocr, read, loads, ocr_cpu = timed_index(target, [folder], text_on)
        searchable = total - ocr
        rows.append(("on" if text_on else "off", n, f"{searchable:.1f}", f"{n / searchable:.2f}", f"{total:.1f}",
                     f"{n / total:.2f}", f"{ocr:.1f}" if text_on else "-",
                     f"{read / ocr:.2f}" if text_on and ocr else "-", f"{ocr_cpu:.1f}" if text_on else "-", loads))
        print(rows[-1], flush=True)
    shutil.rmtree(root / "library_off", ignore_errors=True)
    with open_library(library_dir) as library:
        read, detected = count_text_read(library.catalogue, READER)
    table(f"Indexing {folder.name} into a fresh library, OCR step off / on / off "
          f"(image model, no faces); the detector passed {detected} of {read} on to recognition",
          ["OCR step", "photos", "searchable after s", "photos/s", "whole run s", "photos/s",
           "of which OCR s", "OCR photos/s (idle priority)", "OCR CPU s", "load"], rows)


def throughput(reader: TextReader, sample: list[Path], receipts: list[Path], others: list[Path],
               threads: int) -> None:
    caltech_cost, caltech_passed = detector_pass(reader, sample)
    text_cost, text_passed = detector_pass(reader, receipts + others)
    table(f"Detector pass (decode + detection at {SIDE} px)", ["photos", "n", "s/photo", "passed on"], [
        ("Caltech", len(sample), f"{caltech_cost:.3f}", f"{caltech_passed} ({caltech_passed / len(sample):.0%})"),
        ("with text", len(receipts + others), f"{text_cost:.3f}",
         f"{text_passed} (missed {len(receipts + others) - text_passed})")])

    table(f"OCR step throughput ({threads} threads)", ["photos", "n", "photos/s"], [
        ("Caltech", len(sample), f"{step_rate(reader, sample):.2f}"),
        ("SROIE receipts", len(receipts), f"{step_rate(reader, receipts):.2f}")])



def first_pass_figures(root: Path, sample: list[Path], with_text: list[Path], threads: int) -> None:
    """The first pass against the 960-px detector: photos indexed (text off) into a fresh
    library, then the first pass on their stored features, 16 photos a call as the step does."""
    folder = root / "first_pass"
    shutil.rmtree(folder, ignore_errors=True)
    kinds = {}
    for photos, kind in ((sample, "caltech"), (with_text, "text")):
        for n, photo in enumerate(photos):
            target = folder / f"{kind}_{n:04d}_{photo.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(photo, target)
            kinds[str(target)] = (kind, photo)
    library_dir = root / "library_first_pass"
    shutil.rmtree(library_dir, ignore_errors=True)
    detector = TextReader(threads)
    with open_library(library_dir) as library:
        library.set_text_reading(False)
        library.index([folder], faces=False, text=False)
        embedder = library.embedder()
        rule = first_pass_for(library._handles, embedder)  # noqa: SLF001 - a bench looks inside
        assert rule is not None, "the first pass needs the shipped model"
        paths = {photo_id: path for photo_id, path in library.catalogue.indexed_paths(embedder.id)}
        ids = sorted(paths)
        before, start, mass = load(), time.perf_counter(), {}
        for n in range(0, len(ids), 16):
            chunk = ids[n:n + 16]
            stored = library.catalogue.vectors_of(chunk, rule.model_id, FEATURES)
            found = rule.text_mass(__import__("numpy").stack([stored[i] for i in chunk]))
            mass.update(zip(chunk, found.tolist(), strict=True))
        cost = (time.perf_counter() - start) / len(ids)
    shutil.rmtree(library_dir, ignore_errors=True)
    rows, turned_away = {"caltech": [0, 0, 0, 0], "text": [0, 0, 0, 0]}, []
    for photo_id, path in paths.items():
        kind, source = kinds[path]
        detected = detector.has_text(__import__("numpy").asarray(display_image(path, SIDE))[:, :, ::-1].copy())
        passed = mass[photo_id] >= MIN_MASS
        counts = rows[kind]  # photos, passed on, detector finds text, both
        counts[0] += 1
        counts[1] += passed
        counts[2] += detected
        counts[3] += passed and detected
        if kind == "text" and detected and not passed:
            turned_away.append(f"{source.parent.name}/{source.name} ({mass[photo_id]:.3f})")
    shutil.rmtree(folder, ignore_errors=True)
    table(f"First pass: text-class mass >= {MIN_MASS} from the stored features ({cost * 1000:.2f} ms a photo, "
          f"load {before}-{load()})", ["photos", "n", "passed on", "detector finds text", "of those passed on"],
          [(kind, c[0], f"{c[1]} ({c[1] / c[0]:.1%})", c[2], f"{c[3]} ({c[3] / max(1, c[2]):.2f})")
           for kind, c in rows.items()])
    print("photos with text (detector) turned away:", ", ".join(turned_away) or "none")


def search_quality(library_dir: Path, receipts: list[Path], others: list[Path]) -> None:
    with open_library(library_dir) as library:
        print(f"\nsearching {library.catalogue.count_photos_under('/')} photos", flush=True)
        keys = [json.loads(source.with_suffix(".key.json").read_text()) for source in RECEIPTS]
        rows, by_name, by_total, name_first, total_first = [], 0, 0, 0, 0
        for receipt, source, key in zip(receipts, RECEIPTS, keys, strict=True):
            # Receipts from the same shop (5 from TEO HENG), or with the same total, cannot all be
            # first: also counted, whether the first hit is one with that company / total.
            same_name = {r.name for r, k in zip(receipts, keys, strict=True)
                         if _norm(k["company"]) == _norm(key["company"])}
            same_total = {r.name for r, k in zip(receipts, keys, strict=True) if k["total"] == key["total"]}
            name_rank, total_rank = rank_of(library, key["company"], receipt), rank_of(library, key["total"], receipt)
            by_name += name_rank == 1
            by_total += total_rank == 1
            name_first += rank_of(library, key["company"], receipt, same_name) == 1
            total_first += rank_of(library, key["total"], receipt, same_total) == 1
            rows.append((source.stem, key["company"][:40], name_rank or "-", len(same_name), key["total"],
                         total_rank or "-", len(same_total)))
        table("SROIE receipts: rank of the receipt (and how many receipts share its company / total)",
              ["id", "company", "rank", "same", "total", "rank", "same"], rows)
        n = len(receipts)
        print(f"recall@1 by company name {by_name / n:.2f} (a receipt of that company first {name_first / n:.2f}), "
              f"by total {by_total / n:.2f} (a receipt with that total first {total_first / n:.2f})")

        rows = []
        for gt in sorted((OCR / "icdar2015").glob("*.gt.txt")):
            photo = next(p for p in others if p.name.endswith("_" + gt.name.replace(".gt.txt", ".jpg")))
            words = sorted({line.rsplit(",", 1)[-1].strip() for line in gt.read_text().splitlines()})
            words = [w for w in words if w != "###" and sum(c.isalpha() for c in w) >= 3]
            first = [w for w in words if rank_of(library, w, photo) == 1]
            rows.append((gt.name.split(".")[0], len(words), len(first), ", ".join(first) or "-"))
        table("ICDAR 2015 scenes: transcript words (3+ letters) that find the photo first",
              ["photo", "words", "found first", "which"], rows)


if __name__ == "__main__":
    main()
