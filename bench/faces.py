"""The faces step: detector-size trade-off (recall vs time), throughput on Caltech-size and 12-MP
photos in this process against worker processes, peak memory of the process tree, and the
image-model indexing rate with and without the faces step.

Recall: LFW (../shared/datasets/faces_lfw12, 96 photos of one main face each): photos with a
face found; groups (../shared/datasets/faces_groups): people found in the three group photos
(2 each) and single reference photos with a face; small faces: the group photos pasted onto a
12-MP canvas so their smallest face is 2-8% of the canvas's long side (faces found where the
full-size photo has them). ms per 12-MP photo: decode at the copy size, detect, landmarks and
descriptors of the group and single photos upscaled to 12 MP (one thread).

Throughput runs the faces step (`find_faces_step`: decode upright at the copy size, HOG,
landmarks, descriptor, store) on photos already indexed, 2 readers, on threads and on worker
processes in the same run. 12-MP photos: bench/speed.py's (Caltech photos upscaled to 4000x3000
with noise: few faces) and the faces_groups photos upscaled to 12 MP with noise (2-3 faces each),
written once under bench/out (never committed).

Usage: python bench/faces.py [--caltech N] [--big N] [--sizes 800,1000,1200,1600] [--skip-trade-off]
                            [--skip-throughput]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from common import DATASET, OUT, REPO, table
from PIL import Image

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.faces.detect import find_faces
from cbir_desktop.engine.faces.reader import DETECT_SIDE, UPSAMPLE, read_faces
from cbir_desktop.engine.indexing.faces_step import find_faces_step

SHARED = REPO.parent / "shared" / "datasets"
LFW = sorted((SHARED / "faces_lfw12" / "people").glob("*/*.jpg"))
GROUPS = sorted((SHARED / "faces_groups").glob("*.jpg"))
SINGLES = sorted((SHARED / "faces_groups" / "train_singles").glob("*/*"))
GROUP_PEOPLE = 6  # two people in each of the three group photos
SMALL_FRACTIONS = (0.02, 0.03, 0.04, 0.05, 0.065)  # smallest face / canvas long side
CANVAS = (4000, 3000)


def noisy(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    array = np.asarray(image, dtype=np.int16) + rng.normal(0, 6, (image.height, image.width, 1)).astype(np.int16)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def make_big_face_photos(folder: Path, count: int) -> list[Path]:
    """12-MP JPEGs of real faces: the group and single photos upscaled, mirrored after the first round."""
    folder.mkdir(parents=True, exist_ok=True)
    sources, rng, out = GROUPS + SINGLES, np.random.default_rng(3), []
    for i in range(count):
        path = folder / f"faces_{i:03d}.jpg"
        if not path.exists():
            image = Image.open(sources[i % len(sources)]).convert("RGB")
            if (i // len(sources)) % 2:
                image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            scale = (CANVAS[0] * CANVAS[1] / (image.width * image.height)) ** 0.5
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
            noisy(image, rng).save(path, quality=92)
        out.append(path)
    return out


def make_small_faces(folder: Path) -> list[tuple[Path, list[tuple[float, float, float, float]]]]:
    """12-MP canvases holding a group photo shrunk so its smallest face is a given fraction of the
    long side; with each, the boxes (fractions of the canvas) of the faces its full size has."""
    folder.mkdir(parents=True, exist_ok=True)
    rng, out = np.random.default_rng(4), []
    for group in GROUPS:
        photo = Image.open(group).convert("RGB")
        faces = find_faces(np.asarray(photo), 1)
        smallest = min(face.box[2] * photo.width for face in faces)
        for fraction in SMALL_FRACTIONS:
            scale = fraction * CANVAS[0] / smallest
            size = (round(photo.width * scale), round(photo.height * scale))
            left, top = (CANVAS[0] - size[0]) // 2, (CANVAS[1] - size[1]) // 2
            boxes = [((left + x * size[0]) / CANVAS[0], (top + y * size[1]) / CANVAS[1], w * size[0] / CANVAS[0],
                      h * size[1] / CANVAS[1]) for x, y, w, h in (face.box for face in faces)]
            path = folder / f"{group.stem}_{fraction:.3f}.jpg"
            if not path.exists():
                canvas = Image.new("RGB", CANVAS, (118, 120, 112))
                canvas.paste(photo.resize(size, Image.Resampling.LANCZOS), (left, top))
                noisy(canvas, rng).save(path, quality=92)
            out.append((path, boxes))
    return out


def found_in(boxes: list[tuple[float, float, float, float]], path: Path, side: int, upsample: int) -> int:
    """How many of `boxes` hold the centre of a face found in `path`."""
    centres = [(x + w / 2, y + h / 2) for x, y, w, h in (face.box for face in read_faces(str(path), side, upsample))]
    return sum(any(x <= cx <= x + w and y <= cy <= y + h for cx, cy in centres) for x, y, w, h in boxes)


def trade_off(sizes: list[int], big: list[Path], small: list[tuple[Path, list]]) -> list[list[object]]:
    rows: list[list[object]] = []
    expected = sum(len(boxes) for _, boxes in small)
    for side in sizes:
        for upsample in (0, 1):
            lfw = sum(1 for p in LFW if read_faces(str(p), side, upsample))
            groups = sum(min(len(read_faces(str(p), side, upsample)), 2) for p in GROUPS)
            singles = sum(1 for p in SINGLES if read_faces(str(p), side, upsample))
            by_fraction: dict[float, list[int]] = {}
            for (path, boxes), fraction in zip(small, SMALL_FRACTIONS * len(GROUPS), strict=True):
                by_fraction.setdefault(fraction, []).append(found_in(boxes, path, side, upsample) - len(boxes))
            complete = [f for f in SMALL_FRACTIONS if all(missed == 0 for missed in by_fraction[f])]
            found = expected + sum(sum(missed) for missed in by_fraction.values())
            start = time.perf_counter()
            big_faces = sum(len(read_faces(str(p), side, upsample)) for p in big)
            big_ms = (time.perf_counter() - start) * 1000 / len(big)
            rows.append([side, upsample, f"{lfw}/{len(LFW)}", f"{groups}/{GROUP_PEOPLE}", f"{singles}/{len(SINGLES)}",
                         f"{found}/{expected}", f"{min(complete) * 100:.1f}%" if complete else "-",
                         f"{100 * 80 / side / 2 ** upsample:.1f}%", big_faces, f"{big_ms:.0f}"])
    return rows


class TreeMemory:
    """Peak resident memory of this process and its children (the face workers), sampled."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, sum(_rss(pid) for pid in _tree(os.getpid())))


def _tree(pid: int) -> list[int]:
    pids, children = [pid], []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    for child in children:
        pids += _tree(child)
    return pids


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the workers, once closed)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def step_rate(photos: list[Path], work: Path, processes: bool) -> tuple[float, float, int, int, bool, float]:
    """(photos/s, faces/s, photos, peak tree memory, ran on processes, CPU s per photo) of the
    faces step alone, over photos already indexed."""
    folder = work / "photos"
    folder.mkdir(parents=True)
    for i, path in enumerate(photos):
        shutil.copy(path, folder / f"{i:05d}{path.suffix}")
    with open_library(work / "library") as library:
        library.index([folder], faces=False, text=False)
        with TreeMemory() as memory:
            start, cpu = time.perf_counter(), cpu_seconds()
            gen = find_faces_step(library.catalogue, [str(folder)], library._handles.face_index(),
                                  threading.Event(), processes=processes)
            try:
                while True:
                    next(gen)
            except StopIteration as stop:
                report = stop.value
            seconds = time.perf_counter() - start
    cpu = (cpu_seconds() - cpu) / report.photos
    return report.photos / seconds, report.faces / seconds, report.photos, memory.peak, report.processes, cpu


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
            for progress in library.iter_index([folder], faces=faces, text=False):
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
    parser.add_argument("--big", type=int, default=24)
    parser.add_argument("--sizes", default="800,1000,1200,1600")
    parser.add_argument("--skip-trade-off", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    big_faces = make_big_face_photos(OUT / "faces" / "big", args.big)
    if not args.skip_trade_off:
        small = make_small_faces(OUT / "faces" / "small")
        table("Detector copy size and HOG upsampling (one thread; photos under 600 px: one upsampling more)",
              ["long side", "upsample", "LFW photos with a face", "group people", "singles with a face",
               "small faces found", "all found from", "HOG's limit", "faces in 12-MP", "ms per 12-MP photo"],
              trade_off([int(s) for s in args.sizes.split(",")], big_faces[:12], small))
    if args.skip_throughput:
        return
    caltech = sorted((DATASET / "101_ObjectCategories").glob("*/*.jpg"))[:: max(1, 9144 // args.caltech)]
    caltech = caltech[: args.caltech]
    from speed import make_big_jpegs

    big_caltech = make_big_jpegs(OUT / "decode" / "jpeg", args.big)
    rows = []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for name, photos in (("Caltech-101 (~300x240)", caltech), ("12-MP JPEG from Caltech (few faces)", big_caltech),
                             ("12-MP JPEG from faces_groups (2-3 faces)", big_faces)):
            for processes in (False, True):
                work = Path(tmp) / f"{len(rows)}"
                photos_s, faces_s, count, peak, ran, cpu = step_rate(photos, work, processes)
                rows.append([name, "2 processes" if ran else "2 threads", count, f"{photos_s:.2f}", f"{faces_s:.2f}",
                             f"{cpu * 1000:.0f}", f"{peak / 2**20:.0f}", f"{os.getloadavg()[0]:.1f}"])
        table(f"Faces step, copy {DETECT_SIDE} px, upsample {UPSAMPLE}",
              ["photos", "readers", "n", "photos/s", "faces/s", "CPU ms/photo (all processes)",
               "peak MB (process tree)", "load average"], rows)
        without, with_faces, face_s = indexing_ratio(caltech, Path(tmp) / "ratio")
        print(f"image-model indexing rate without / with the faces step: {without:.1f} / {with_faces:.1f} photos/s "
              f"(ratio {with_faces / max(without, 1e-9):.2f}); the faces step then took {face_s:.1f} s")


if __name__ == "__main__":
    main()
