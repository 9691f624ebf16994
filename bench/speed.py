"""Indexing speed: end to end against the model alone, and 12-MP JPEGs against decoding.

1. Caltech-101 photos: `Library.index` on a fresh library (scan, decode, embed, store,
   build the index) against the model alone on the same photos already decoded and
   preprocessed, batch 16, in the same run. Target ratio >= 0.7.
2. 200 generated photo-like 12-megapixel JPEGs (about 4 MB each): end-to-end photos/s
   and the ratio to decoding alone (draft-mode decode + preprocess, same threads).

Usage: python bench/speed.py [--photos N] [--big N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from common import DATASET, OUT, read_csv, table
from PIL import Image

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.photos.decode import decode_photo
from cbir_desktop.engine.photos.preprocess import to_model_input


def photo_sample(count: int) -> list[Path]:
    rows = read_csv("labels.csv")
    rng = np.random.default_rng(1)
    picks = rng.choice(len(rows), min(count, len(rows)), replace=False)
    return [DATASET / rows[i]["path"] for i in sorted(picks)]


def make_big_jpegs(folder: Path, count: int) -> list[Path]:
    """Photo-like 12-MP JPEGs: real photos upscaled to 4000x3000 with sensor-like noise."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = photo_sample(count)
    out = []
    rng = np.random.default_rng(2)
    for i, source in enumerate(sources):
        path = folder / f"big_{i:03d}.jpg"
        if not path.exists():
            image = Image.open(source).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
            array = np.asarray(image, dtype=np.int16)
            noise = rng.normal(0, 6, size=(3000, 4000, 1)).astype(np.int16)
            noisy = np.clip(array + noise, 0, 255).astype(np.uint8)
            Image.fromarray(noisy).save(path, quality=92)
        out.append(path)
    return out


def copy_tree(paths: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True)
    for i, path in enumerate(paths):
        shutil.copy(path, folder / f"{i:05d}_{path.name}")


def end_to_end(photos: Path, library: Path) -> tuple[float, int]:
    with open_library(library) as lib:
        start = time.perf_counter()
        report = lib.index([photos], text=False)  # the OCR step (idle priority, after): bench/ocr.py
        return time.perf_counter() - start, report.indexed


def decode_only(paths: list[Path], size: int, threads: int) -> float:
    def work(path: Path) -> np.ndarray:
        return to_model_input(decode_photo(str(path), min_side=size).image, size)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, paths))
    return time.perf_counter() - start


def model_only(paths: list[Path], batch: int = 16) -> float:
    with open_library(tempfile.mkdtemp()) as lib:
        embedder = lib.embedder()
        size = embedder.spec.input_size
        tensors = [to_model_input(decode_photo(str(p), min_side=size).image, size, embedder.spec.resize)
                   for p in paths]
        embedder.embed(np.stack(tensors[:batch]))  # warm-up: session load and first run
        start = time.perf_counter()
        for i in range(0, len(tensors), batch):
            embedded = embedder.embed(np.stack(tensors[i:i + batch]))
            if embedded.logits is not None:  # tags are part of the work, as when indexing
                for row in embedded.logits:
                    embedder.tags(row, 10)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=1500)
    parser.add_argument("--big", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cbir-speed-"))
    rows = []
    try:
        sample = photo_sample(args.photos)
        copy_tree(sample, work / "caltech")
        model_s = model_only(sample)
        e2e_s, n = end_to_end(work / "caltech", work / "lib1")
        assert n == len(sample), (n, len(sample))
        rows.append((f"Caltech-101, {n} photos", n / e2e_s, n / model_s, "model alone",
                     (n / e2e_s) / (n / model_s), ">= 0.7"))

        big = make_big_jpegs(OUT / "big12mp", args.big)
        size_mb = np.mean([p.stat().st_size for p in big]) / 1e6
        copy_tree(big, work / "big")
        threads = max(1, min(4, os.cpu_count() or 1))
        dec_s = decode_only(big, 224, threads)
        e2e_big, n_big = end_to_end(work / "big", work / "lib2")
        rows.append((f"12-MP JPEGs ({size_mb:.1f} MB), {n_big}", n_big / e2e_big, n_big / dec_s,
                     "decode alone", (n_big / e2e_big) / (n_big / dec_s), ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table(f"Indexing speed on {os.cpu_count()} cores (photos per second)",
          ["set", "end to end", "baseline", "baseline is", "ratio", "target"], rows)


if __name__ == "__main__":
    main()
