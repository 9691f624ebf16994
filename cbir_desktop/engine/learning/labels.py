"""Words a photo's folders give it: "Birds/Herons/IMG_0412.jpg" -> heron, bird.

Real folder names are noisy: dates, numbers, camera folders ("DCIM", "100CANON"),
separators, plurals, and catch-all names ("Photos", "Export"). Only words the word
vectors know survive, singularised when the singular is known too. The folder
nearest the photo comes first: it is the most specific label.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

# Folder names that say nothing about what a photo shows.
NOISE_WORDS = frozenset(
    "dcim camera cameras photo photos picture pictures pics pic image images img imgs jpg jpeg raw "
    "export exports exported edit edits edited new folder folders misc various other others stuff "
    "backup backups copy copies upload uploads download downloads desktop documents home users user "
    "library libraries album albums roll rolls iphone android phone mobile screenshots screenshot "
    "the and of in at on for with from to a an my our".split()
)
# Camera and software folder patterns: 100CANON, 101_PANA, 100MSDCF, 100APPLE, DSC, IMG_1234.
_CAMERA = re.compile(r"^(\d{3}[a-z_]*|dsc\w*|img\w*|p\d+|mvi\w*|gopr\w*)$")
_SEPARATORS = re.compile(r"[\s_\-\.,;+&()\[\]{}]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# One lower-case letter then a capital is a brand, not two words: eBay, iPhone, iPad, eBook.
_BRAND = re.compile(r"^[a-z][A-Z][a-z]")


def folder_words(path: str, root: str, known: Callable[[str], bool]) -> list[str]:
    """Label words from the folders between `root` and the photo, nearest folder first."""
    relative = os.path.relpath(os.path.dirname(path), root)
    if relative in (".", "") or relative.startswith(".."):
        return []
    words: list[str] = []
    for folder in reversed(relative.split(os.sep)):
        for word in name_words(folder, known):
            if word not in words:
                words.append(word)
    return words


def name_words(name: str, known: Callable[[str], bool]) -> list[str]:
    """The meaningful known words of one folder name ("2019-06 Lisbon" -> ["lisbon"])."""
    out: list[str] = []
    for token in name_tokens(name, known):
        word = singular(token, known)
        if known(word) and word not in out:
            out.append(word)
    return out


def name_tokens(name: str, known: Callable[[str], bool] | None = None) -> list[str]:
    """A folder name's candidate words: no dates, numbers, camera folders or filler.

    Mixed case splits words ("HeronHeads" -> heron, heads) except in a brand-like name
    ("eBay", "iPhone") or one the vocabulary knows whole ("YouTube" when `known` says so),
    which stays one word: "eBay listings" is about eBay, not a bay.
    """
    if _CAMERA.match(name.strip().lower()):  # "101_PANA", "100_FUJI": split, "pana" would pass
        return []
    out = []
    for piece in _SEPARATORS.split(name):
        whole = _BRAND.match(piece) is not None or (known is not None and known(piece.lower()))
        for token in [piece] if whole else _CAMEL.split(piece):
            word = token.lower()
            if not word or any(ch.isdigit() for ch in word) or len(word) < 3:
                continue
            if word in NOISE_WORDS or _CAMERA.match(word):
                continue
            out.append(word)
    return out


# Plurals no suffix rule gets right. The vocabulary holds junk stems too ("fac", "nam",
# "hous"), so "known" alone cannot choose between "-s" and "-es": the rules below do.
_IRREGULAR = {
    "children": "child", "people": "person", "men": "man", "women": "woman", "mice": "mouse",
    "geese": "goose", "teeth": "tooth", "feet": "foot", "oxen": "ox", "dice": "die",
    "wolves": "wolf", "knives": "knife", "leaves": "leaf", "lives": "life", "wives": "wife",
    "halves": "half", "shelves": "shelf", "calves": "calf", "loaves": "loaf", "thieves": "thief",
    "elves": "elf", "scarves": "scarf", "hooves": "hoof",
    "buses": "bus", "lenses": "lens", "gases": "gas", "canvases": "canvas", "campuses": "campus",
    "viruses": "virus", "circuses": "circus", "cactuses": "cactus", "octopuses": "octopus",
    "atlases": "atlas", "bonuses": "bonus", "walruses": "walrus", "irises": "iris",
}
_INVARIANT = frozenset("species series news means glasses scissors trousers jeans shorts pants "
                       "physics mathematics athletics gymnastics".split())
_SIBILANT_ES = ("sses", "shes", "ches", "xes", "zes")


def singular(word: str, known: Callable[[str], bool]) -> str:
    """'herons' -> 'heron', 'faces' -> 'face', 'boxes' -> 'box', 'butterflies' -> 'butterfly',
    'wolves' -> 'wolf', when the singular is a known word; other words unchanged."""
    if word in _INVARIANT or len(word) <= 3:
        return word
    candidates = [_IRREGULAR[word]] if word in _IRREGULAR else []
    if word.endswith("ies") and len(word) > 4:
        candidates.append(word[:-3] + "y")
    elif word.endswith(_SIBILANT_ES):
        candidates.append(word[:-2])
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        candidates.append(word[:-1])
    for candidate in candidates:
        if known(candidate):
            return candidate
    return word
