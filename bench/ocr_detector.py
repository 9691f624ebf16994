"""The OCR detector pass: the shipped int8 detection model (models/build_ocr_detector.py) against
RapidOCR's float model it was quantized from, in the same run, interleaved (other work shares the
2 cores; the 1-minute load is printed beside the figures).

- speed: the models alone in onnxruntime, on 224x288 and 480x640 inputs, 1 and 2 threads
  (median ms a run, and the float / int8 ratio);
- agreement: `TextDetector.has_text` with each model on the photos of ../shared/datasets/ocr
  (by folder) and on bench/ocr.py's fixed sample of Caltech photos: how many each finds text in,
  which photos differ (+: only int8 finds text; -: only float), and the seconds each spent.

Usage: python bench/ocr_detector.py [--caltech 400] [--speed-only | --agreement-only]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from common import table
from ocr import OCR, caltech_sample

from cbir_desktop.engine.ocr.detector import SIDE, TextDetector, detector_model
from cbir_desktop.engine.ocr.models import DET_MODEL, shipped_model
from cbir_desktop.engine.photos.decode import display_image

FOLDERS = ("sroie", "wildreceipt", "icdar2015", "easyocr", "immich_text_noGT", "words_clovaai", "words_mmocr")


def models() -> dict[str, Path]:
    return {"float": shipped_model(DET_MODEL), "int8": detector_model()}


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def speed() -> None:
    import onnxruntime as ort

    rows = []
    for threads in (1, 2):
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        sessions = {name: ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                    for name, path in models().items()}
        for height, width in ((224, 288), (480, 640)):
            x = np.random.default_rng(0).uniform(-1, 1, (1, 3, height, width)).astype(np.float32)
            times: dict[str, list[float]] = {name: [] for name in sessions}
            before = load()
            for run in range(13 if height < 300 else 7):
                for name, session in sessions.items():  # interleaved: the load falls on both alike
                    start = time.perf_counter()
                    session.run(None, {"x": x})
                    if run:  # the first run of each is a warm-up
                        times[name].append(time.perf_counter() - start)
            ms = {name: 1000 * float(np.median(t)) for name, t in times.items()}
            rows.append((threads, f"{height}x{width}", f"{ms['float']:.0f}", f"{ms['int8']:.0f}",
                         f"{ms['float'] / ms['int8']:.2f}x", f"{before}-{load()}"))
    table("Detection model alone (onnxruntime, median ms a run)",
          ["threads", "input", "float ms", "int8 ms", "speed-up", "load"], rows)


def agreement(caltech: int) -> None:
    detectors = {name: TextDetector(1, path) for name, path in models().items()}
    groups = {name: sorted(p for p in (OCR / name).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
              for name in FOLDERS}
    groups[f"Caltech ({caltech}, bench/ocr.py's sample)"] = caltech_sample(caltech)
    rows, seconds, before = [], dict.fromkeys(detectors, 0.0), load()
    for group, photos in groups.items():
        found, differ = dict.fromkeys(detectors, 0), []
        for photo in photos:
            bgr = np.ascontiguousarray(np.asarray(display_image(str(photo), SIDE).convert("RGB"))[:, :, ::-1])
            answers = {}
            for name, detector in detectors.items():
                start = time.perf_counter()
                answers[name] = detector.has_text(bgr)
                seconds[name] += time.perf_counter() - start
                found[name] += answers[name]
            if answers["int8"] != answers["float"]:
                differ.append(("+" if answers["int8"] else "-") + f"{photo.parent.name}/{photo.name}")
        rows.append((group, len(photos), found["float"], found["int8"], " ".join(differ) or "-"))
        print(rows[-1], flush=True)
    table(f"Text found (TextDetector.has_text at {SIDE} px, 1 thread); seconds in the detector: float "
          f"{seconds['float']:.1f}, int8 {seconds['int8']:.1f} (load {before}-{load()})",
          ["photos", "n", "float", "int8", "differ (+ int8 only, - float only)"], rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--caltech", type=int, default=400)
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--agreement-only", action="store_true")
    args = parser.parse_args()
    if not args.agreement_only:
        speed()
    if not args.speed_only:
        agreement(args.caltech)


if __name__ == "__main__":
    main()
