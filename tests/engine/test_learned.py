"""Text search learned from folder names: a folder's subject word finds its photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import solid

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.errors import UnknownWord

# Subjects the tiny colour model cannot name (its classes are red/green/blue/grey),
# each photographed in its own shade, filed in a folder named after it.
SUBJECTS = {"Herons": (200, 40, 40), "Lisbon": (40, 180, 60), "Gerenuk": (40, 60, 200)}


def _library_with_subject_folders(root: Path) -> None:
    rng = np.random.default_rng(0)
    for folder, base in SUBJECTS.items():
        for i in range(9):
            shade = tuple(int(np.clip(c + rng.integers(-25, 25), 0, 255)) for c in base)
            solid(root / "Trips" / folder / f"IMG_{i:04d}.jpg", shade)


def test_training_makes_folder_words_find_their_photos(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    _library_with_subject_folders(root)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        report = library.train_words()
        assert report.active and report.photos == 27  # "Trips" labels the gerenuk photos
        assert report.words == ["heron", "lisbon", "trip"]
        assert report.prototypes == ["gerenuk"]  # no word vector: answered from its photos
        for word, folder in (("heron", "Herons"), ("lisbon", "Lisbon"), ("gerenuk", "Gerenuk")):
            hits = library.search_text(word, k=9)
            assert {Path(h.path).parent.name for h in hits} == {folder}, word
        # A word far from every label word is still answered by the zero-shot projection.
        assert {Path(h.path).parent.name for h in library.search_text("blue", k=9)} == {"Gerenuk"}
        # New photos are projected with the learned model on the next search.
        solid(root / "Trips" / "Herons" / "IMG_0100.jpg", (205, 45, 35))
        library.index()
        assert "IMG_0100.jpg" in {Path(h.path).name for h in library.search_text("heron", k=10)}


def test_too_few_labels_keep_the_learned_projection_off(tiny_models: Path, tmp_path: Path) -> None:
    solid(tmp_path / "photos" / "Herons" / "a.jpg", "red")
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "photos"])
        report = library.train_words()
        assert not report.active and "needs at least 20 photos" in report.off_reason
        with pytest.raises(UnknownWord):
            library.search_text("gerenuk")


def test_confirmed_tags_teach_words_and_rejected_ones_unteach(tiny_models: Path, tmp_path: Path) -> None:
    """Photos in camera folders carry no folder words; the user's confirmed tags label them."""
    root = tmp_path / "photos"
    rng = np.random.default_rng(1)
    groups = {"heron": ("100CANON", (200, 40, 40)), "tram": ("101CANON", (40, 180, 60))}
    for folder, base in groups.values():
        for i in range(12):
            shade = tuple(int(np.clip(c + rng.integers(-25, 25), 0, 255)) for c in base)
            solid(root / "DCIM" / folder / f"IMG_{i:04d}.jpg", shade)
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        assert not library.train_words().active  # no labels yet: camera folders say nothing
        for word, (folder, _) in groups.items():
            library.edit_tags(sorted((root / "DCIM" / folder).glob("*.jpg")), add=[word])
        report = library.train_words()
        assert report.active and report.words == ["heron", "tram"]
        hits = library.search_text("tram", k=12)
        assert {Path(h.path).parent.name for h in hits} == {"101CANON"}
        # Rejecting the tag on every photo takes the word away again.
        library.edit_tags(sorted((root / "DCIM" / "101CANON").glob("*.jpg")), remove=["tram"])
        after = library.train_words()
        assert after.words == ["heron"] and "2+ different words" in after.off_reason
