"""Real HEIC, RAW and turned photos with the shipped model: each is indexed and found.

Reads `../shared/datasets/formats` (29 HEIC/HEIF from about 17 phones and cameras, a DNG
with an embedded preview, a Kodak KDC that must be demosaiced) and
`../shared/datasets/neardup` (one photo stored with each of the 8 EXIF orientations).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import stored_turned
from PIL import Image

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.errors import ImageUnreadable
from cbir_desktop.engine.photos.decode import FULL_SIZE, decode_photo

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"
FORMATS = DATASETS / "formats"
NEARDUP = DATASETS / "neardup"
TRUNCATED = "the file is truncated (incomplete download or copy)"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (FORMATS / "heic").is_dir() or not NEARDUP.is_dir(),
                       reason=f"needs the real photos in {FORMATS} and {NEARDUP}"),
]


def _real_files() -> list[Path]:
    if not FORMATS.is_dir():
        return []
    heic = sorted(p for p in (FORMATS / "heic").iterdir() if p.suffix.lower() in (".heic", ".heif", ".hif"))
    return heic + sorted((FORMATS / "raw").iterdir())


@pytest.fixture
def shipped_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CBIR_MODELS_DIR", raising=False)


@pytest.fixture
def formats_library(shipped_model: None, tmp_path: Path) -> Iterator[tuple[Library, Path]]:
    photos = tmp_path / "photos"
    photos.mkdir()
    for path in _real_files():
        shutil.copy(path, photos / path.name)
    with open_library(tmp_path / "lib") as library:
        yield library, photos


def _same_picture(a: Path, b: Path) -> bool:
    """Two files holding the same pixels (a HEIC re-packaged under another brand or name)."""
    pixels = [np.asarray(decode_photo(str(p), min_side=FULL_SIZE).image) for p in (a, b)]
    return pixels[0].shape == pixels[1].shape and bool(np.array_equal(pixels[0], pixels[1]))


def test_every_heic_and_raw_is_indexed_and_finds_itself_first(formats_library: tuple[Library, Path]) -> None:
    library, photos = formats_library
    files = _real_files()
    assert len(files) == 31  # 29 HEIC/HEIF, a DNG, a KDC
    report = library.index([photos])
    assert (report.added, report.failed) == (31, [])
    for original in files:
        copy = photos / original.name
        # By the library's own file (stored vectors) and by the original outside the library
        # (decoded again, as a query): both must come back to this photo first.
        for query in (copy, original):
            hits = library.search_image(query, k=3)
            first = Path(hits[0].path)
            if first != copy:  # only the same pixels in another file may tie with it first
                assert _same_picture(first, copy) and copy in [Path(h.path) for h in hits], (query.name, hits)


def test_raw_uses_the_dng_preview_and_demosaics_the_kdc() -> None:
    dng = decode_photo(str(FORMATS / "raw" / "photoprism_canon_eos_6d.dng"), min_side=224)
    assert (dng.width, dng.height) == (1224, 816)
    assert 224 <= min(dng.image.size) < 683  # the 1024x683 preview, draft-decoded; not the sensor data
    kdc = decode_photo(str(FORMATS / "raw" / "rawpy_RAW_KODAK_DC50.KDC"), min_side=224)
    assert (kdc.width, kdc.height) == (768, 512)
    assert kdc.image.size == (384, 256)  # only a 96x64 thumbnail: demosaiced at half size


@pytest.mark.parametrize("name", ["immich__IMG_2682.heic", "exiv2__Stonehenge.heic"])
def test_a_real_heic_cut_short_is_skipped_as_truncated(name: str) -> None:
    """libheif alone decodes this iPhone photo cut to a tenth as 60% black tiles, with no error."""
    data = (FORMATS / "heic" / name).read_bytes()
    for fraction in (0.1, 0.5, 0.99):
        with pytest.raises(ImageUnreadable) as info:
            decode_photo(name, data=data[: int(len(data) * fraction)])
        assert info.value.reason == TRUNCATED


def test_a_real_raw_cut_short_is_skipped_as_truncated() -> None:
    for raw in sorted((FORMATS / "raw").iterdir()):
        data = raw.read_bytes()
        with pytest.raises(ImageUnreadable) as info:
            decode_photo(raw.name, data=data[: len(data) * 2 // 3])
        assert info.value.reason == TRUNCATED, raw.name


def test_each_orientation_finds_the_upright_photo_first(shipped_model: None, tmp_path: Path) -> None:
    """The library holds the upright photo (orientation 1), the other near-duplicate groups and
    distractors, and traps: the upright photo's pixels turned each of the 7 other ways with no
    orientation tag. A query that ignored its EXIF orientation would find its trap first."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for path in sorted(NEARDUP.iterdir()):
        turned = path.name.startswith("g03_") and not path.stem.endswith("_1")
        if path.suffix.lower() not in (".md", ".csv") and not turned:
            shutil.copy(path, photos / path.name)
    for kind in ("landscape", "portrait"):
        with Image.open(NEARDUP / f"g03_orientation_{kind}__{kind}_1.jpg") as upright:
            for orientation in range(2, 9):
                stored_turned(upright.convert("RGB"), orientation).save(photos / f"trap_{kind}_{orientation}.jpg")
    with open_library(tmp_path / "lib") as library:
        report = library.index([photos])
        assert (report.added, report.failed) == (33 + 14, [])  # the folder less 14 turned copies, 14 traps
        for kind in ("landscape", "portrait"):
            upright = f"g03_orientation_{kind}__{kind}_1.jpg"
            for orientation in range(1, 9):
                query = NEARDUP / f"g03_orientation_{kind}__{kind}_{orientation}.jpg"
                hits = library.search_image(query, k=3)
                assert Path(hits[0].path).name == upright, (query.name, hits)
