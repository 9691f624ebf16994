"""Text search with the WordNet hierarchy and phrases read as a conjunction, on real
Caltech-101 photos with the shipped model (../shared/datasets/caltech101)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import CALTECH, caltech_copy
from PIL import Image

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.search.text import text_query_vector
from cbir_desktop.engine.storage.catalogue import WORDS

pytestmark = [pytest.mark.e2e]

PHOTOS = {
    "dog1": "dalmatian/image_0001.jpg", "dog2": "dalmatian/image_0002.jpg",
    "piano": "grand_piano/image_0001.jpg", "flower": "sunflower/image_0001.jpg",
    "plane": "airplanes/image_0001.jpg", "strawberry": "strawberry/image_0001.jpg",
    "chair": "chair/image_0001.jpg", "lamp": "lamp/image_0001.jpg", "car": "car_side/image_0001.jpg",
}


def _half(source: str) -> Image.Image:
    """The middle of a Caltech photo as a 150 x 300 strip."""
    image = Image.open(CALTECH / source).convert("RGB")
    width, height = image.size
    strip = min(width, height // 2)
    return image.crop(((width - strip) // 2, 0, (width + strip) // 2, height)).resize((150, 300))


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, dict[int, str]]]:
    """Nine single-subject photos and one of a dalmatian beside a grand piano (two real photos
    side by side), indexed with the shipped model; photo names by id."""
    if not (CALTECH / PHOTOS["dog1"]).is_file():
        pytest.fail(f"needs the Caltech-101 photos in {CALTECH}", pytrace=False)
    root = tmp_path_factory.mktemp("phrases")
    photos = root / "photos"
    for name, source in PHOTOS.items():
        caltech_copy(photos / f"{name}.jpg", source)
    both = Image.new("RGB", (300, 300))
    both.paste(_half("dalmatian/image_0004.jpg"), (0, 0))
    both.paste(_half("grand_piano/image_0003.jpg"), (150, 0))
    both.save(photos / "dog_and_piano.jpg", quality=92)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CBIR_MODELS_DIR", raising=False)
        with open_library(root / "lib") as lib:
            lib.index([photos])
            names = {row.id: Path(row.path).stem for row in lib.catalogue.photos_under(str(photos)).values()}
            yield lib, names


def _names(lib: Library, text: str, k: int = 3) -> list[str]:
    return [Path(hit.path).stem for hit in lib.search_text(text, k)]


def test_dog_finds_the_dalmatians_first(library: tuple[Library, dict[int, str]]) -> None:
    lib, _ = library
    assert lib.word_hierarchy() is not None  # the shipped model has the ImageNet head
    assert set(_names(lib, "dog", 2)) == {"dog1", "dog2"}
    assert _names(lib, "dogs", 2) == _names(lib, "dog", 2)


def test_a_phrase_needs_both_of_its_words(library: tuple[Library, dict[int, str]]) -> None:
    """The mean vector of "dalmatian and grand piano" is nearest the piano alone; read as a
    conjunction the phrase finds the photo that shows both."""
    lib, names = library
    query = text_query_vector(lib.words(), "dalmatian and grand piano")
    index = lib.vector_index(lib.model_id, WORDS, lib.words().dim)
    by_mean = [names[pid] for pid, _ in index.search(lib.catalogue, query, 3)]
    assert by_mean[0] == "piano"
    assert _names(lib, "dalmatian and grand piano")[0] == "dog_and_piano"
    assert _names(lib, "dog with a piano")[0] == "dog_and_piano"
    singles = _names(lib, "dalmatian and grand piano", 10)
    assert singles.index("piano") < singles.index("plane")  # one word of two beats none
