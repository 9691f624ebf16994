"""Builders for test data: tiny ONNX models and small image files."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
EXIF = REPO.parent / "shared" / "datasets" / "formats" / "exif"  # 50 real camera JPEGs, tags.csv their truth

# Class names of the tiny classifier; a solid colour image is classified by hue.
TINY_CLASSES = ["red", "green", "blue", "grey"]
COLOURS = {
    "red": (220, 20, 20),
    "green": (20, 200, 30),
    "blue": (25, 30, 210),
    "grey": (128, 128, 128),
    "yellow": (230, 220, 20),
    "purple": (150, 20, 200),
}


def _image_model(path: Path, dim: int, seed: int) -> None:
    """image [N,3,H,W] in [0,1] -> features [N,dim] (mean colour, projected), logits [N,4]."""
    rng = np.random.default_rng(seed)
    centre = numpy_helper.from_array(np.full((1, 3), 0.5, np.float32), "centre")
    project = numpy_helper.from_array(rng.normal(size=(3, dim)).astype(np.float32), "project")
    # Logits: how red / green / blue the mean colour is, and how grey (low saturation).
    classify = numpy_helper.from_array(
        np.array([[8, -4, -4, 0], [-4, 8, -4, 0], [-4, -4, 8, 0]], np.float32), "classify"
    )
    grey_bias = numpy_helper.from_array(np.array([0, 0, 0, 1.5], np.float32), "grey_bias")
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["mean"], axes=[2, 3], keepdims=0),
        helper.make_node("Sub", ["mean", "centre"], ["centred"]),
        helper.make_node("MatMul", ["centred", "project"], ["features"]),
        helper.make_node("MatMul", ["centred", "classify"], ["raw_logits"]),
        helper.make_node("Add", ["raw_logits", "grey_bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 224, 224])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", dim]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4])],
        [centre, project, classify, grey_bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def _projection(path: Path, class_vectors: np.ndarray) -> None:
    """logits [N,4] -> embedding [N,D]: softmax-weighted class word vectors (ConSE, T=all)."""
    table = numpy_helper.from_array(class_vectors.astype(np.float32), "class_vectors")
    nodes = [
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", "class_vectors"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_conse",
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", class_vectors.shape[1]])],
        [table],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_tiny_models(folder: Path) -> Path:
    """Write two tiny models, labels, a projection and a manifest into `folder`."""
    from cbir_desktop.engine.words.vectors import WordVectors

    shipped = json.loads((REPO / "models" / "manifest.json").read_text())
    vectors_entry = shipped["word_vectors"][shipped["word_vectors"]["default"]]
    vectors_path = REPO / "models" / vectors_entry["file"]
    words = WordVectors.load(vectors_path)
    class_vectors = np.stack([words.vector("gray" if c == "grey" else c) for c in TINY_CLASSES])

    _image_model(folder / "tiny8.onnx", 8, seed=1)
    _image_model(folder / "tiny16.onnx", 16, seed=2)
    _projection(folder / "tiny_conse.onnx", class_vectors)
    (folder / "tiny_classes.json").write_text(json.dumps(
        [{"index": i, "name": name, "synonyms": [name]} for i, name in enumerate(TINY_CLASSES)]
    ))

    def model_entry(file: str, dim: int) -> dict[str, object]:
        return {
            "name": f"Tiny {dim}-d test model", "file": file, "sha256": _sha(folder / file),
            "input": {"name": "image", "size": 224, "resize": "center_crop"},
            "outputs": {"features": {"name": "features", "dim": dim},
                        "logits": {"name": "logits", "dim": 4}},
            "label_set": "tiny", "projection": "tiny-conse", "licence": "test", "source": "tests",
        }

    manifest = {
        "schema": 1,
        "default_model": "tiny8",
        "models": {"tiny8": model_entry("tiny8.onnx", 8), "tiny16": model_entry("tiny16.onnx", 16)},
        "label_sets": {"tiny": {"file": "tiny_classes.json"}},
        "projections": {"tiny-conse": {
            "file": "tiny_conse.onnx", "sha256": _sha(folder / "tiny_conse.onnx"),
            "input": {"name": "logits", "dim": 4},
            "output": {"name": "embedding", "dim": int(class_vectors.shape[1])},
        }},
        "word_vectors": {"default": "shipped", "shipped": {"file": str(vectors_path), "dim": 300}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    # The OCR step's detector lives with the models, as in the shipped folder (models/build_ocr_detector.py).
    shutil.copyfile(REPO / "models" / "ocr_detector_int8.onnx", folder / "ocr_detector_int8.onnx")
    return folder


def solid(path: Path, colour: str | tuple[int, int, int], size: tuple[int, int] = (64, 48),
          fmt: str | None = None, **save: object) -> Path:
    """Write a solid-colour photo (distinct colours embed far apart under the tiny model)."""
    rgb = COLOURS[colour] if isinstance(colour, str) else colour
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, rgb).save(path, format=fmt, **save)
    return path


LISBON, PORTO, PARIS = (38.72222, -9.13917), (41.15778, -8.62917), (48.85667, 2.35222)  # latitude, longitude


def exif_photo(path: Path, colour: str, taken: str, where: tuple[float, float] | None = None,
               camera: tuple[str, str] | None = None, lens: str | None = None) -> Path:
    """`camera_photo` with the camera as one (make, model) pair."""
    make, model = camera or (None, None)
    return camera_photo(path, colour, taken, make, model, lens, position=where)


def shaded_folder(folder: Path, base: tuple[int, int, int], count: int, seed: int) -> list[Path]:
    """`count` photos in shades around `base` (one subject, photographed a few times)."""
    rng = np.random.default_rng(seed)
    return [solid(folder / f"IMG_{i:04d}.jpg",
                  tuple(int(np.clip(c + rng.integers(-25, 25), 0, 255)) for c in base))
            for i in range(count)]


def png_header(width: int, height: int) -> bytes:
    """A PNG declaring width x height pixels with almost no data (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))
            + chunk(b"IEND", b""))


def require_tool(command: str, package: str) -> str:
    """The path of `command`, which the test cannot do without: missing, the test fails
    (never skips) with the Debian package to install (.ci/run installs them all)."""
    import shutil

    import pytest

    path = shutil.which(command)
    if path is None:
        pytest.fail(f"needs {command}: install the Debian package {package} (.ci/run lists them)", pytrace=False)
    return path


def run_cbir(*args: object, library: Path, models: Path, env: dict[str, str] | None = None,
             wrap: list[str] | None = None, timeout: float = 120):  # -> subprocess.CompletedProcess[str]
    """Run `cbir ARGS` in a subprocess on `library` with the tiny models (never raises on failure).

    `env` adds variables (CBIR_FAULT, CBIR_ANNOY_MIN_ITEMS...); `wrap` is a command the
    cbir command line is appended to (e.g. an `unshare ... sh -c '...' sh` prefix).
    """
    import os
    import subprocess
    import sys

    full_env = {**os.environ, "CBIR_LIBRARY": str(library), "CBIR_MODELS_DIR": str(models)}
    for key in ("CBIR_FAULT", "CBIR_WORD_VECTORS", "CBIR_ANNOY_MIN_ITEMS"):
        full_env.pop(key, None)
    full_env.update(env or {})
    command = [sys.executable, "-m", "cbir_desktop.cli", *map(str, args)]
    return subprocess.run([*(wrap or []), *command], env=full_env, capture_output=True, text=True,
                          errors="surrogateescape", timeout=timeout, cwd=REPO)


def search_everything(window: Any, qtbot: Any, text: str) -> list[Any]:
    """Search `text` and show every hit, past the relevance cut-off as "Show more" does: the
    tiny test models' scores mean nothing to the calibration, so the cut-off is not tested here."""
    with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
        window.search_text(text)
    if window._held_back:
        with qtbot.waitSignal(window.search_finished, timeout=10000) as searched:
            window.show_more()
    hits: list[Any] = searched.args[0]
    return hits


# -- photos stored turned, as cameras store them ---------------------------------------------
# EXIF orientation -> the transpose that shows a stored image upright (Pillow's exif_transpose),
# and the one that stores an upright image so that orientation shows it upright again.
SHOW = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90}
STORE = {**SHOW, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def corner_picture(size: tuple[int, int] = (240, 160)) -> Image.Image:
    """An upright picture whose four corners differ (red, green / blue, yellow) on grey, so any
    wrong turn or mirror shows; big blocks survive lossy codecs and Bayer mosaics."""
    width, height = size
    image = Image.new("RGB", size, COLOURS["grey"])
    w, h = width // 3, height // 3
    for colour, (x, y) in {"red": (0, 0), "green": (width - w, 0), "blue": (0, height - h),
                           "yellow": (width - w, height - h)}.items():
        image.paste(COLOURS[colour], (x, y, x + w, y + h))
    return image


def stored_turned(image: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera stores, with EXIF `orientation`, for `image` to show upright."""
    return image if orientation == 1 else image.transpose(STORE[orientation])


def corner_colours(image: Image.Image) -> tuple[str, str, str, str]:
    """Nearest named colour at each corner: top-left, top-right, bottom-left, bottom-right."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    points = [(width // 8, height // 8), (width - 1 - width // 8, height // 8),
              (width // 8, height - 1 - height // 8), (width - 1 - width // 8, height - 1 - height // 8)]

    def nearest(pixel: tuple[int, ...]) -> str:
        names = ["red", "green", "blue", "yellow", "grey"]
        return min(names, key=lambda n: sum((a - b) ** 2 for a, b in zip(COLOURS[n], pixel[:3], strict=True)))

    tl, tr, bl, br = (nearest(rgb.getpixel(p)) for p in points)
    return tl, tr, bl, br


UPRIGHT_CORNERS = ("red", "green", "blue", "yellow")


def cbir_with_shipped_models(*args: str, library: Path, check: bool = True):  # -> CompletedProcess[str]
    """Run `cbir ARGS` on `library` with the shipped models; raises when it fails and `check`."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "CBIR_LIBRARY": str(library)}
    env.pop("CBIR_MODELS_DIR", None)
    result = subprocess.run([sys.executable, "-m", "cbir_desktop.cli", *args], env=env,
                            capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"cbir {' '.join(args)} failed: {result.stderr}")
    return result


# -- camera photos: a date, a camera, a lens and a position, as a camera writes them in EXIF -----
def camera_photo(path: Path, colour: str | tuple[int, int, int], taken: str, make: str | None = None,
                 model: str | None = None, lens: str | None = None,
                 position: tuple[float, float] | None = None, fmt: str | None = None) -> Path:
    """A small photo whose EXIF says when (`taken`: "2019:07:14 18:03:21"), with what camera and
    lens, and where (`position`: latitude, longitude in degrees), written by Pillow."""
    rgb = COLOURS[colour] if isinstance(colour, str) else colour
    path.parent.mkdir(parents=True, exist_ok=True)
    block = Image.Exif()
    block.update({k: v for k, v in ((0x010F, make), (0x0110, model)) if v})
    block[0x8769] = {0x9003: taken, **({0xA434: lens} if lens else {})}  # DateTimeOriginal, LensModel
    if position is not None:
        lat, lon = position
        block[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(abs(lat)), 3: "E" if lon >= 0 else "W",
                         4: _dms(abs(lon))}
    Image.new("RGB", (64, 48), rgb).save(path, format=fmt, exif=block)
    return path


def _dms(degrees: float) -> tuple[float, float, float]:
    whole = int(degrees)
    minutes = (degrees - whole) * 60
    return float(whole), float(int(minutes)), round((minutes - int(minutes)) * 60, 4)


# -- bursts: real photos shot a second apart by one camera -----------------------------------------
CALTECH = REPO.parent / "shared" / "datasets" / "caltech101" / "101_ObjectCategories"


def burst_photos(folder: Path, count: int, start_second: int = 0, source: str = "sunflower/image_0001.jpg",
                 sharpest: int = 1, make: str = "Fujifilm", model: str = "X100V",
                 prefix: str = "DSCF") -> list[Path]:
    """`count` shots of one Caltech-101 photo as a burst: each a few pixels further along and a
    little brighter, a second after the one before (from 10:00:`start_second` on 1 May 2021),
    with `make` and `model` in EXIF; all but shot `sharpest` (0-based) slightly blurred, as
    the shots of a hand-held burst are."""
    from PIL import ImageEnhance, ImageFilter

    folder.mkdir(parents=True, exist_ok=True)
    original = Image.open(CALTECH / source).convert("RGB")
    width, height = original.size
    paths = []
    for n in range(count):
        shot = original.crop((2 * n, n, width - 2 * (count - n), height - (count - n)))
        shot = ImageEnhance.Brightness(shot).enhance(1.0 + 0.02 * n)
        if n != sharpest:
            shot = shot.filter(ImageFilter.GaussianBlur(1.2))
        block = Image.Exif()
        block.update({0x010F: make, 0x0110: model})
        block[0x8769] = {0x9003: f"2021:05:01 10:00:{start_second + n:02d}"}  # DateTimeOriginal
        path = folder / f"{prefix}{start_second + n:04d}.jpg"
        shot.save(path, quality=92, exif=block)
        paths.append(path)
    return paths


def caltech_copy(path: Path, source: str) -> Path:
    """A Caltech-101 photo copied to `path` (no camera in its metadata: never a burst)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((CALTECH / source).read_bytes())
    return path


# -- text in photos: a sign rendered with a real font, for the OCR step ---------------------------
SIGN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def text_sign(path: Path, lines: list[str], size: tuple[int, int] = (900, 600)) -> Path:
    """A photo of a sign: dark words, large, on a light board in a grey-green scene."""
    import pytest
    from PIL import ImageDraw, ImageFont

    if not SIGN_FONT.is_file():
        pytest.fail("needs DejaVu Sans: install the Debian package fonts-dejavu-core", pytrace=False)
    image = Image.new("RGB", size, (96, 120, 96))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, size[0] - 40, size[1] - 60), fill=(240, 236, 220))
    font = ImageFont.truetype(str(SIGN_FONT), 64)
    for n, line in enumerate(lines):
        draw.text((80, 110 + n * 110), line, fill=(20, 20, 30), font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=92)
    return path
