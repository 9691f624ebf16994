"""`--self-test`: prove an installed or bundled app works, with no network and no GUI.

Loads the shipped models, indexes a tiny folder of generated photos, runs an image
search and a word search, and checks the answers; checks that the app icon and the
desktop entry came along (a bundle or a wheel that dropped `resources/` fails here),
and that a photo's metadata is read and placed (a bundle without the gazetteer fails).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from .engine.api import open_library
from .ui.desktop import ICON_SIZES, icon_files, resource_problems, resources_dir


def _photo(path: Path, colour: tuple[int, int, int], shape: str, exif: Image.Exif | None = None) -> None:
    image = Image.new("RGB", (320, 240), (235, 235, 235))
    draw = ImageDraw.Draw(image)
    if shape == "circle":
        draw.ellipse((80, 40, 240, 200), fill=colour)
    else:
        draw.rectangle((60, 60, 260, 180), fill=colour)
    image.save(path, quality=92, exif=exif if exif is not None else Image.Exif())


def _eiffel_tower() -> Image.Exif:
    """EXIF of a photo taken at the Eiffel Tower on 14 July 2019 at 18:03:21."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "FUJIFILM", "X100V"
    exif[0x8769] = {0x9003: "2019:07:14 18:03:21", 0x9011: "+02:00"}
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    return exif


def _resources_ok(log: Callable[[str], object]) -> bool:
    """The icon PNGs decode at their sizes and the desktop entry names them."""
    root = resources_dir()
    problems = resource_problems(root)
    for side, path in icon_files(root).items():
        try:
            with Image.open(path) as image:
                if image.size != (side, side):
                    problems.append(f"{path.name} is {image.size[0]}x{image.size[1]}, not {side}x{side}")
        except OSError as exc:
            problems.append(f"{path.name} does not open: {exc}")
    if problems:
        log(f"FAIL: resources in {root}: {'; '.join(problems)}")
        return False
    log(f"resources: {len(ICON_SIZES)} icon sizes and the desktop entry in {root}")
    return True


def run_self_test(log: Callable[[str], object] = print) -> int:
    """Return 0 when every step works; log each step with its time."""
    start = time.perf_counter()
    if not _resources_ok(log):
        return 1
    with tempfile.TemporaryDirectory(prefix="cbir-selftest-") as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        shapes = [((200, 30, 30), "circle"), ((30, 160, 40), "box"), ((30, 60, 200), "circle"),
                  ((220, 200, 40), "box")]
        for i, (colour, shape) in enumerate(shapes):
            _photo(photos / f"photo{i}.jpg", colour, shape, _eiffel_tower() if i == 0 else None)
        with open_library(Path(tmp) / "library") as library:
            report = library.index([photos])
            log(f"indexed {report.added} photos with {library.model_id} "
                f"on {library.embedder().runner.provider}")
            if report.added != len(shapes) or report.failed:
                log(f"FAIL: expected {len(shapes)} photos indexed, got {report}")
                return 1
            hits = library.search_image(photos / "photo0.jpg", k=2)
            if not hits or Path(hits[0].path).name != "photo0.jpg":
                log(f"FAIL: image search did not find the photo itself first: {hits}")
                return 1
            log(f"image search: {len(hits)} hits, best {Path(hits[0].path).name} ({hits[0].score:.2f})")
            words = library.search_text("ball", k=2)
            similar = library.similar_words("beach", 3)
            if not words or not similar:
                log("FAIL: word search or similar words returned nothing")
                return 1
            log(f"word search: {len(words)} hits; words like 'beach': {', '.join(w.word for w in similar)}")
            meta = library.metadata(photos / "photo0.jpg")
            if (meta.make, meta.taken_local, meta.city, meta.country_code) != (
                    "Fujifilm", "2019-07-14T18:03:21", "Paris", "FR"):
                log(f"FAIL: photo metadata or its place name (the gazetteer) is wrong: {meta}")
                return 1
            log(f"metadata: {meta.make} {meta.model}, {meta.taken_local}, {meta.city}, {meta.country}")
    log(f"self-test passed in {time.perf_counter() - start:.1f} s")
    return 0
