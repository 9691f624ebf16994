"""Decode throughput per photo format: what indexing pays per photo, against decode-only baselines.

Each row times the engine's decode for the model (`decode_photo(min_side=224)` then
`to_model_input`, one thread, as one of the indexer's loader threads does) and a
decode-only baseline of the same file: Pillow's full decode of a JPEG (no DCT scaling),
pillow-heif's decode of a HEIC alone (no orientation, no conversion), LibRaw's full-size
demosaic of a RAW (`rawpy.postprocess()`, what a viewer without our preview rule does).

Inputs (written once to bench/out/decode/): 12-MP JPEGs made from Caltech-101 photos like
bench/speed.py's; 12-MP DNGs of the same pixels written by `cbir_desktop.sample_photos`,
with a 1616x1212 embedded JPEG preview (Nikon and Sony RAWs carry about that much) and
without one; the 12-MP iPhone HEICs and the two real RAWs from ../shared/datasets/formats.
One calling thread: libheif decodes tiles on up to 4 threads of its own, LibRaw demosaics
with OpenMP on every core, in the engine and the baselines alike.

Usage: python bench/decode.py [--photos N] [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from common import OUT, REPO, table
from PIL import Image

from cbir_desktop.engine.photos.decode import decode_photo
from cbir_desktop.engine.photos.preprocess import to_model_input
from cbir_desktop.sample_photos import write_dng

FORMATS = Path(os.environ.get("CBIR_FORMATS", REPO.parent / "shared" / "datasets" / "formats"))
WORK = OUT / "decode"
SIZE = 224
PREVIEW_SIDE = 1616  # long side of the embedded preview, as in Nikon and Sony RAWs


def big_jpegs(count: int) -> list[Path]:
    from speed import make_big_jpegs

    return make_big_jpegs(WORK / "jpeg", count)


def dngs(jpegs: list[Path], with_preview: bool) -> list[Path]:
    folder = WORK / ("dng_preview" if with_preview else "dng_mosaic")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for jpeg in jpegs:
        path = folder / f"{jpeg.stem}.dng"
        if not path.exists():
            with Image.open(jpeg) as image:
                rgb = image.convert("RGB")
            preview = None
            if with_preview:
                preview = rgb.copy()
                preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            write_dng(path, rgb, preview=preview)
        out.append(path)
    return out


def real_heics(count: int) -> list[Path]:
    """The 12-MP (4032x3024) phone HEICs of the formats dataset."""
    import pillow_heif

    found = []
    for path in sorted((FORMATS / "heic").glob("*.hei*")):
        heif = pillow_heif.open_heif(path)
        if sorted(heif.size) == [3024, 4032]:
            found.append(path)
    return found[:count]


def per_photo(paths: list[Path], work: Callable[[Path], object], repeat: int) -> float:
    """Median seconds per photo over `repeat` passes (the first pass warms caches and is dropped)."""
    for path in paths[:1]:
        work(path)
    passes = []
    for _ in range(repeat):
        start = time.perf_counter()
        for path in paths:
            work(path)
        passes.append((time.perf_counter() - start) / len(paths))
    return statistics.median(passes)


def engine(path: Path) -> object:
    return to_model_input(decode_photo(str(path), min_side=SIZE).image, SIZE)


def pillow_full(path: Path) -> object:
    with Image.open(path) as image:
        return image.convert("RGB")


def heif_alone(path: Path) -> object:
    import pillow_heif

    return pillow_heif.open_heif(path).to_pillow()


def libraw_full(path: Path) -> object:
    import rawpy

    with rawpy.imread(io.BytesIO(path.read_bytes())) as raw:
        return raw.postprocess(use_camera_wb=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=4, help="12-MP photos per generated format")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    jpegs = big_jpegs(args.photos)
    sets: list[tuple[str, list[Path], str, Callable[[Path], object]]] = [
        ("12-MP JPEG", jpegs, "Pillow full decode", pillow_full),
        ("12-MP HEIC (iPhone)", real_heics(args.photos), "pillow-heif decode alone", heif_alone),
        ("12-MP DNG, 1616x1212 preview", dngs(jpegs, True), "LibRaw full demosaic", libraw_full),
        ("12-MP DNG, no preview", dngs(jpegs, False), "LibRaw full demosaic", libraw_full),
    ]
    raw_dir = FORMATS / "raw"
    if raw_dir.is_dir():
        sets += [
            ("Canon 6D DNG 1224x816, preview", [raw_dir / "photoprism_canon_eos_6d.dng"], "LibRaw full demosaic",
             libraw_full),
            ("Kodak KDC 768x512, 96x64 thumb", [raw_dir / "rawpy_RAW_KODAK_DC50.KDC"], "LibRaw full demosaic",
             libraw_full),
        ]
    rows = []
    for name, paths, baseline_name, baseline in sets:
        if not paths:
            continue
        mb = statistics.mean(p.stat().st_size for p in paths) / 1e6
        ours = per_photo(paths, engine, args.repeat)
        theirs = per_photo(paths, baseline, args.repeat)
        rows.append((f"{name} ({mb:.1f} MB) x{len(paths)}", 1 / ours, f"{ours * 1000:.0f}", baseline_name,
                     1 / theirs, f"{theirs * 1000:.0f}", theirs / ours))
    table(f"Decoding for the model, one thread ({os.cpu_count()} cores): photos per second",
          ["file", "engine", "ms", "baseline", "baseline", "ms", "speed-up"], rows)


if __name__ == "__main__":
    main()
