"""The faces step: detector-size trade-off (recall vs time), throughput on Caltech-size and 12-MP
photos, peak memory, and the image-model indexing rate with and without the faces step.

Recall: LFW (../shared/datasets/faces_lfw12, 96 photos of one main face each): photos with a
face found; groups (../shared/datasets/faces_groups): faces found in the three group photos
(6 people in all) and in the 9 single reference photos. Throughput runs the faces step
(`find_faces_step`: decode upright at the copy size, HOG, landmarks, descriptor, store) on
photos already indexed, on 2 threads as indexing does. 12-MP photos are bench/speed.py's
(real Caltech photos upscaled to 4000x3000 with noise, written once to bench/out/decode/jpeg).

Usage: python bench/faces.py [--caltech N] [--big N] [--sizes 600,800,1000,1200,1600]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

from common import DATASET, OUT, REPO, table

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.faces.reader import DETECT_SIDE, read_faces
from cbir_desktop.engine.indexing.faces_step import find_faces_step

SHARED = REPO.parent / "shared" / "datasets"
LFW = sorted((SHARED / "faces_lfw12" / "people").glob("*/*.jpg"))
GROUPS = sorted((SHARED / "faces_groups").glob("*.jpg"))
SINGLES = sorted((SHARED / "faces_groups" / "train_singles").glob("*/*"))
GROUP_PEOPLE = 6  # two people in each of the three group photos


def trade_off(sizes: list[int]) -> list[list[object]]:
    rows: list[list[object]] = []
    for side in sizes:
        for upsample in (0, 1):
            start = time.perf_counter()
            lfw = sum(1 for p in LFW if read_faces(str(p), side, upsample))
            lfw_ms = (time.perf_counter() - start) * 1000 / len(LFW)
            start = time.perf_counter()
            groups = sum(min(len(read_faces(str(p), side, upsample)), 2) for p in GROUPS)
            singles = sum(1 for p in SINGLES if read_faces(str(p), side, upsample))
            group_ms = (time.perf_counter() - start) * 1000 / (len(GROUPS) + len(SINGLES))
            rows.append([side, upsample, f"{lfw}/{len(LFW)}", f"{lfw_ms:.0f}", f"{groups}/{GROUP_PEOPLE}",
                         f"{singles}/{len(SINGLES)}", f"{group_ms:.0f}"])
    return rows


def step_rate(photos: list[Path], work: Path) -> tuple[float, float, int]:
    """(photos/s, faces/s, photos) of the faces step alone, over photos already indexed."""
    folder = work / "photos"
    folder.mkdir(parents=True)
    for i, path in enumerate(photos):
        shutil.copy(path, folder / f"{i:05d}{path.suffix}")
    with open_library(work / "library") as library:
        library.index([folder], faces=False)
        start = time.perf_counter()
        gen = find_faces_step(library.catalogue, [str(folder)], library._handles.face_index(), threading.Event())
        try:
            while True:
                next(gen)
        except StopIteration as stop:
            report = stop.value
        seconds = time.perf_counter() - start
    return report.photos / seconds, report.faces / seconds, report.photos


def indexing_ratio(photos: list[Path], work: Path) -> tuple[float, float, float]:
    """Image-model photos/s of a run without and with the faces step, and the faces step's s."""
    rates = []
    for faces in (False, True):
        folder = work / f"run_{faces}"
        folder.mkdir(parents=True)
        for i, path in enumerate(photos):
            shutil.copy(path, folder / f"{i:05d}{path.suffix}")
        with open_library(work / f"library_{faces}") as library:
            indexing = face_time = 0.0
            last = time.perf_counter()
            for progress in library.iter_index([folder], faces=faces):
                now = time.perf_counter()
                if progress.phase == "finding faces":
                    face_time += now - last
                elif progress.phase == "indexing":
                    indexing = progress.rate or indexing
                last = now
        rates.append((indexing, face_time))
    return rates[0][0], rates[1][0], rates[1][1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--caltech", type=int, default=200)
    parser.add_argument("--big", type=int, default=20)
    parser.add_argument("--sizes", default="600,800,1000,1200,1600")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    table("Detector copy size and HOG upsampling (one thread)",
                ["long side", "upsample", "LFW photos with a face", "ms/photo", "group people found",
                 "singles with a face", "ms/photo (groups+singles)"], trade_off(sizes))
    caltech = sorted((DATASET / "101_ObjectCategories").glob("*/*.jpg"))[:: max(1, 9144 // args.caltech)]
    caltech = caltech[: args.caltech]
    from speed import make_big_jpegs

    big = make_big_jpegs(OUT / "decode" / "jpeg", args.big)
    rows = []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for name, photos in (("Caltech-101 (~300x240)", caltech), ("12-MP JPEG (4000x3000)", big)):
            photos_s, faces_s, count = step_rate(photos, Path(tmp) / name[:4])
            rows.append([name, count, f"{photos_s:.2f}", f"{faces_s:.2f}"])
        table(f"Faces step, 2 threads, copy {DETECT_SIDE} px", ["photos", "n", "photos/s", "faces/s"], rows)
        without, with_faces, face_s = indexing_ratio(caltech, Path(tmp) / "ratio")
        print(f"image-model indexing rate without / with the faces step: {without:.1f} / {with_faces:.1f} photos/s "
              f"(ratio {with_faces / max(without, 1e-9):.2f}); the faces step then took {face_s:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the benchmark process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
