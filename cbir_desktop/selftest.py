"""`--self-test`: prove an installed or bundled app works, with no network and no GUI.

Loads the shipped models, indexes a tiny folder of generated photos (a HEIC and a camera
RAW among them, so a bundle that dropped pillow-heif's libheif or rawpy's LibRaw fails),
runs an image search and a word search, and checks the answers; checks that the app icon
and the desktop entry came along (a bundle or a wheel that dropped `resources/` fails here),
and that a photo's metadata is read and placed (a bundle without the gazetteer fails).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from .engine.api import open_library, photo_pixels
from .engine.errors import ImageUnreadable
from .sample_photos import write_dng, write_heic
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


def _formats_ok(photos: Path, log: Callable[[str], object]) -> list[Path]:
    """Write a HEIC and a DNG (stored turned: EXIF orientation 6) into `photos` and check that
    both decode upright at their size; the written files, or [] after logging the failure."""
    picture = Image.new("RGB", (320, 240), (235, 235, 235))
    ImageDraw.Draw(picture).polygon([(160, 30), (290, 210), (30, 210)], fill=(120, 40, 160))
    try:
        heic = write_heic(photos / "photo_heic.heic", picture)
        dng = write_dng(photos / "photo_raw.dng", picture.transpose(Image.Transpose.ROTATE_90), orientation=6)
    except Exception as exc:  # noqa: BLE001 - any failure to write them is the answer
        log(f"FAIL: cannot write a HEIC and a DNG: {type(exc).__name__}: {exc}")
        return []
    for path in (heic, dng):
        try:
            pixels = photo_pixels(path)
        except ImageUnreadable as exc:
            log(f"FAIL: {exc}")
            return []
        base, above = (int(v) for v in pixels[200, 60]), (int(v) for v in pixels[40, 60])
        if pixels.shape != (240, 320, 3) or not _purple(*base) or _purple(*above):
            log(f"FAIL: {path.name} decoded as {pixels.shape[1]}x{pixels.shape[0]}, not 320x240 with its "
                "triangle pointing up")
            return []
    log("formats: a HEIC (pillow-heif) and a turned DNG (rawpy/LibRaw) decode upright")
    return [heic, dng]


def _purple(red: int, green: int, blue: int) -> bool:
    return blue > green + 60 and red > green + 30


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
        others = _formats_ok(photos, log)
        if not others:
            return 1
        expected = len(shapes) + len(others)
        with open_library(Path(tmp) / "library") as library:
            report = library.index([photos])
            log(f"indexed {report.added} photos with {library.model_id} "
                f"on {library.embedder().runner.provider}")
            if report.added != expected or report.failed:
                log(f"FAIL: expected {expected} photos indexed, got {report}")
                return 1
            for query in (photos / "photo0.jpg", *others):
                hits = library.search_image(query, k=2)
                if not hits or Path(hits[0].path).name != query.name:
                    log(f"FAIL: image search did not find {query.name} itself first: {hits}")
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
