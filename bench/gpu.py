"""Throughput of Lite0, ResNet50 and VGG16 on the best device (CUDA when present).

For each model and batch size (1, 32, 128): photos per second for the model alone on
already-preprocessed batches, fp32 and, on CUDA, fp16; then end to end (`Library.index`
on Caltech-101 photos: decode + model + store). ResNet50 and VGG16 come from
`models/export.py --random-weights` (speed does not depend on the weights).

Usage: python bench/gpu.py [--photos N] [--export-python .venv-export/bin/python]
       [--batches 1,32,128] [--seconds S]
Without a GPU it runs on the CPU and says so; fp16 needs `pip install onnxconverter-common`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from common import DATASET, OUT, REPO, read_csv, table

MODELS = {  # id -> (file, export id)
    "efficientnet-lite0": ("efficientnet_lite0.onnx", None),
    "resnet50": ("resnet50.onnx", "resnet50"),
    "vgg16": ("vgg16.onnx", "vgg16"),
}


def prepare_models(folder: Path, export_python: str) -> None:
    """A models folder with all three models and the shipped word assets."""
    folder.mkdir(parents=True, exist_ok=True)
    shipped = json.loads((REPO / "models" / "manifest.json").read_text())
    manifest = {k: v for k, v in shipped.items() if k != "models"}
    for key in ("label_sets", "projections"):
        for entry in manifest.get(key, {}).values():
            entry["file"] = str(REPO / "models" / entry["file"])
    vectors = manifest["word_vectors"]
    for entry in vectors.values():
        if isinstance(entry, dict):
            entry["file"] = str(REPO / "models" / entry["file"])
    manifest["models"] = {}
    lite = dict(shipped["models"]["efficientnet-lite0"])
    lite["file"] = str(REPO / "models" / lite["file"])
    manifest["models"]["efficientnet-lite0"] = lite
    for model_id, (file, export_id) in MODELS.items():
        if export_id is None:
            continue
        target = folder / file
        if not target.exists():
            subprocess.run([export_python, str(REPO / "models" / "export.py"), export_id, "--random-weights",
                            "--out", str(target)], check=True)
        written = json.loads((folder / "manifest.json").read_text())["models"][model_id]
        manifest["models"][model_id] = {**written, "file": str(target)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))


def fp16_copy(path: Path) -> Path | None:
    try:
        import onnx
        from onnxconverter_common import float16
    except ImportError:
        return None
    target = path.with_name(path.stem + ".fp16.onnx")
    if not target.exists():
        model = float16.convert_float_to_float16(onnx.load(str(path)), keep_io_types=True)
        onnx.save(model, str(target))
    return target


def model_only(path: Path, input_name: str, size: int, batch: int, seconds: float) -> tuple[float, str]:
    from cbir_desktop.engine.models.runner import OnnxRunner

    runner = OnnxRunner(path)
    x = np.random.default_rng(0).random((batch, 3, size, size), dtype=np.float32)
    outputs = [o for o in ("features", "logits")]
    runner.run(outputs, {input_name: x})  # warm-up (and CUDA kernel selection)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or done == 0:
        runner.run(outputs, {input_name: x})
        done += batch
    return done / (time.perf_counter() - start), runner.provider


def end_to_end(model_id: str, photos: Path, batch: int) -> float:
    from cbir_desktop.engine.api import open_library

    with tempfile.TemporaryDirectory() as tmp, open_library(tmp) as lib:
        start = time.perf_counter()
        report = lib.index([photos], model_id=model_id, batch_size=batch, text=False)
        return report.indexed / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=256)
    parser.add_argument("--export-python", default=str(REPO / ".venv-export" / "bin" / "python"))
    parser.add_argument("--batches", default="1,32,128")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    folder = OUT / "gpu-models"
    prepare_models(folder, args.export_python)
    os.environ["CBIR_MODELS_DIR"] = str(folder)
    from cbir_desktop.engine.models.manifest import load_manifest

    manifest = load_manifest()
    rows = read_csv("labels.csv")[:: max(1, 9144 // args.photos)][: args.photos]
    work = Path(tempfile.mkdtemp(prefix="cbir-gpu-"))
    for i, row in enumerate(rows):
        shutil.copy(DATASET / row["path"], work / f"{i:05d}.jpg")
    results = []
    try:
        for model_id in args.models.split(","):
            spec = manifest.model(model_id)
            for batch in (int(b) for b in args.batches.split(",")):
                rate, provider = model_only(spec.path, spec.input_name, spec.input_size, batch, args.seconds)
                results.append((model_id, batch, "fp32", "model only", rate, provider))
                half = fp16_copy(spec.path) if provider == "CUDA" else None
                if half is not None:
                    rate16, _ = model_only(half, spec.input_name, spec.input_size, batch, args.seconds)
                    results.append((model_id, batch, "fp16", "model only", rate16, provider))
                e2e = end_to_end(model_id, work, batch)
                results.append((model_id, batch, "fp32", f"end to end ({len(rows)} photos)", e2e, provider))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    device = results[0][5] if results else "?"
    note = "" if device == "CUDA" else " -- no GPU here: CPU figures; GPU figures still to be measured"
    table(f"Throughput (photos per second) on {device}, {os.cpu_count()} cores{note}",
          ["model", "batch", "precision", "measure", "photos/s", "provider"], results)


if __name__ == "__main__":
    main()
