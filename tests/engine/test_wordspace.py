"""Text search in a user's GloVe space: the same ONNX projection, re-projected from tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import REPO, solid

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.errors import EngineError, ModelLoadError
from cbir_desktop.engine.storage.catalogue import WORDS
from cbir_desktop.engine.words.vectors import WordVectors

COLOUR_WORDS = ["red", "green", "blue", "gray", "grey", "crimson", "scarlet", "azure", "emerald"]


def _rotated_glove(path: Path, dim_keep: int | None = None) -> np.ndarray:
    """A GloVe text file of real words whose vectors are the shipped ones rotated:
    a genuinely different space in which the same words keep the same neighbours."""
    shipped = WordVectors.load(REPO / "models" / "word_vectors.npz")
    words = list(dict.fromkeys(COLOUR_WORDS + shipped.most_common(3000)))
    rng = np.random.default_rng(7)
    rotation, _ = np.linalg.qr(rng.normal(size=(300, 300)))
    with open(path, "w") as handle:
        for word in words:
            vector = shipped.vector(word)
            if vector is None:
                continue
            rotated = (rotation @ vector)[:dim_keep]
            handle.write(word + " " + " ".join(f"{x:.6f}" for x in rotated) + "\n")
    return rotation


def test_glove_space_search_matches_the_shipped_space(tiny_models: Path, tmp_path: Path) -> None:
    glove = tmp_path / "glove.test.300d.txt"
    rotation = _rotated_glove(glove)
    root = tmp_path / "photos"
    for colour in ("red", "green", "blue", "yellow"):
        solid(root / f"{colour}.jpg", colour)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        shipped_vec = library.catalogue.vector_of(1, "tiny8", WORDS)
    with open_library(tmp_path / "lib", word_vectors=glove) as library:
        space = library.word_space()
        assert not space.shipped and space.kind.startswith("words:glove.test.300d")
        # Searching never writes: photos enter a new word space in the indexing step.
        # (Colour words need no word space: "blue" is answered by colour, "house" needs the space.)
        with pytest.raises(EngineError, match="not in the word space"):
            library.search_text("house", k=1)
        library.index()
        assert Path(library.search_text("blue", k=1)[0].path).name == "blue.jpg"
        assert Path(library.search_text("red", k=1)[0].path).name == "red.jpg"
        assert Path(library.search_text("blood", k=1)[0].path).name == "red.jpg"  # through the GloVe space
        assert [w.word for w in library.similar_words("green", 3)]  # from the GloVe vocabulary
        # Photos were re-projected from their stored tags into the new space (the tiny
        # model's "grey" class used the word "gray", hence not exactly equal).
        glove_vec = library.catalogue.vector_of(1, "tiny8", space.kind)
        assert glove_vec is not None and shipped_vec is not None
        assert float(glove_vec @ (rotation @ shipped_vec)) > 0.999
        # New photos are projected too, when they are indexed.
        solid(root / "purple.jpg", "blue")
        library.index()
        assert {Path(h.path).name for h in library.search_text("blue", k=2)} == {"blue.jpg", "purple.jpg"}
        new = library.catalogue.photo_by_path(str(root / "purple.jpg"))
        assert new is not None and library.catalogue.vector_of(new.id, "tiny8", space.kind) is not None
    assert list((tmp_path / "lib" / "word_vectors").glob("glove.test.300d-*.npz"))  # cached


def test_glove_file_of_the_wrong_dimension_is_a_clear_error(tiny_models: Path, tmp_path: Path) -> None:
    glove = tmp_path / "glove.6B.50d.txt"
    _rotated_glove(glove, dim_keep=50)
    solid(tmp_path / "photos" / "red.jpg", "red")
    with open_library(tmp_path / "lib", word_vectors=glove) as library:
        # Indexing projects photos into the word space: there the mismatch is a sentence,
        # and the photos it indexed before saying so stay indexed.
        with pytest.raises(ModelLoadError, match="needs 300"):
            library.index([tmp_path / "photos"])
        assert library.status().indexed == {"tiny8": 1}
