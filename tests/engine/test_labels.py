"""Folder names as labels: the noise of real folder names is dropped."""

from __future__ import annotations

import pytest
from helpers import REPO

from cbir_desktop.engine.learning.labels import folder_words, name_tokens, name_words, singular
from cbir_desktop.engine.learning.learned import photo_terms, term_key
from cbir_desktop.engine.words.vectors import WordVectors

KNOWN = {"heron", "bird", "lisbon", "butterfly", "car", "side", "beach", "sunset", "garden", "grandma",
         "ebay", "bay", "listing", "ipad", "pad", "youtube", "tube", "head"}


def known(word: str) -> bool:
    return word in KNOWN


@pytest.mark.parametrize(
    "name, words",
    [
        ("Herons", ["heron"]),
        ("2019-06 Lisbon", ["lisbon"]),
        ("100CANON", []),
        ("DCIM", []),
        ("car_side", ["car", "side"]),
        ("Butterflies", ["butterfly"]),
        ("Beach-Sunset 2", ["beach", "sunset"]),
        ("Grandma's garden", ["grandma", "garden"]),
        ("New Folder (3)", []),
        ("eBay listings", ["ebay", "listing"]),
        ("iPad", ["ipad"]),
        ("YouTube", ["youtube"]),  # known whole: one word
        ("HeronHeads", ["heron", "head"]),  # not known whole: two words
        ("102_PANA", []),  # a camera folder, even split at "_"
        ("101_PANA", []),
    ],
)
def test_name_words(name: str, words: list[str]) -> None:
    assert name_words(name.replace("'s", ""), known) == words


def test_nearest_folder_first_and_root_ignored() -> None:
    path = "/photos/Birds/Herons/IMG_0412.jpg"
    assert folder_words(path, "/photos", known) == ["heron", "bird"]
    assert folder_words("/photos/IMG_1.jpg", "/photos", known) == []
    assert folder_words("/photos/DCIM/100CANON/IMG_1.jpg", "/photos", known) == []


def test_plural_folder_names_become_real_singular_words() -> None:
    """The vocabulary holds junk stems ("fac", "nam", "hous"): suffix rules, not membership, choose."""
    words = WordVectors.load(REPO / "models" / "word_vectors.npz")
    known = words.__contains__
    assert all(known(junk) for junk in ("fac", "nam", "hous"))  # why membership alone is not enough
    expected = {"faces": "face", "names": "name", "houses": "house", "horses": "horse", "boxes": "box",
                "buses": "bus", "dishes": "dish", "butterflies": "butterfly", "wolves": "wolf",
                "children": "child", "herons": "heron", "lenses": "lens", "news": "news", "species": "species",
                "ibis": "ibis", "cactus": "cactus"}
    assert {plural: singular(plural, known) for plural in expected} == expected


def test_brand_folder_names_stay_one_word_never_the_word_inside() -> None:
    """"eBay listings" is about eBay: the term is "ebay listing" and the word "ebay", never "bay"."""
    assert photo_terms("/photos/eBay listings/IMG_1.jpg", "/photos", known) == ["ebay listing"]
    assert folder_words("/photos/eBay listings/IMG_1.jpg", "/photos", known) == ["ebay", "listing"]
    assert term_key("ebay listings", known) == "ebay listing"  # what a user types finds the term
    # Brand-like names are kept whole even when the vocabulary lacks them ...
    assert name_tokens("eBook drafts") == ["ebook", "drafts"]
    # ... and "iPhone" is one word, which is filler (a phone's camera folder), not "phone".
    assert name_tokens("iPhone") == [] and name_tokens("iPhone", known) == []
