"""Text in photos (issue 15): the OCR step on ../shared/datasets/ocr mixed into Caltech photos.

Builds one folder under bench/out (links, never committed): N Caltech photos (a fixed random
sample) and every photo of the OCR set (SROIE receipts, WildReceipt, ICDAR 2015 scenes, EasyOCR
signs, Immich's text photos). Prints:

- the detector pass alone (engine/ocr/detector.py) on the Caltech photos and on the photos with
  text: seconds per photo and how many it passes on to recognition (on the OCR set, what it misses);
- OCR-step throughput (decode, detector, recognition where it found text, store), photos/s on
  the Caltech photos and on the receipts, with the reader's threads (default 2 = the 2 cores);
- indexing rate (photos/s over the whole `Library.index`) with the OCR step on and off, on the
  Caltech photos alone (the library most people have);
- search: each SROIE receipt by its company name and by its total (recall@1: the receipt is the
  first hit), and the ICDAR 2015 photos with transcripts by each of their words (3+ letters).

Usage: python bench/ocr.py [--caltech 1000] [--threads 2] [--sample 200] [--rate-photos 300] [--skip-rate]
                          [--skip-throughput]
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
from cbir_desktop.engine.ocr.detector import SIDE
from cbir_desktop.engine.ocr.reader import TextReader
from cbir_desktop.engine.photos.decode import display_image

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
        passed += reader.detector.has_text(bgr)
    return (time.perf_counter() - start) / max(1, len(photos)), passed


def step_rate(reader: TextReader, photos: list[Path]) -> float:
    start = time.perf_counter()
    for photo in photos:
        reader.read(str(photo))
    return len(photos) / (time.perf_counter() - start)


def index_rate(folder: Path, library_dir: Path, text_on: bool) -> float:
    shutil.rmtree(library_dir, ignore_errors=True)
    with open_library(library_dir) as library:
        library.set_text_reading(text_on)
        start = time.perf_counter()
        report = library.index([folder], faces=False)
        return report.indexed / (time.perf_counter() - start)


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
    parser.add_argument("--skip-rate", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--sample", type=int, default=200, help="Caltech photos the throughput figures use")
    parser.add_argument("--rate-photos", type=int, default=300, help="Caltech photos the on/off indexing rate uses")
    args = parser.parse_args()
    root = OUT / "ocr"
    caltech = linked(caltech_sample(args.caltech), root / "caltech", "c")
    receipts = linked(RECEIPTS, root / "text", "r")
    others = linked(OTHER_TEXT, root / "text", "t")
    reader = TextReader(args.threads)

    sample = caltech[:args.sample]
    if not args.skip_throughput:
        throughput(reader, sample, receipts, others, args.threads)
    if not args.skip_rate:
        rate_folder = linked(caltech_sample(args.rate_photos), root / "rate", "c")[0].parent
        on = index_rate(rate_folder, root / "library_rate", True)
        off = index_rate(rate_folder, root / "library_rate", False)
        shutil.rmtree(root / "library_rate", ignore_errors=True)
        table(f"Indexing rate, {args.rate_photos} Caltech photos (image model + OCR step, no faces)",
              ["OCR step", "photos/s"], [("on", f"{on:.2f}"), ("off", f"{off:.2f}"), ("ratio", f"{on / off:.2f}")])
    search_quality(root, caltech, receipts, others)


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



def search_quality(root: Path, caltech: list[Path], receipts: list[Path], others: list[Path]) -> None:
    library_dir = root / "library"
    with open_library(library_dir) as library:
        start = time.perf_counter()
        library.index([root / "caltech", root / "text"], faces=False)
        print(f"\nindexed {len(caltech) + len(receipts) + len(others)} photos with OCR in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
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
