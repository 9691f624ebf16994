"""Respelling a query no word vector knows: the nearest known spellings, and whether one
of them is clearly meant ("sunflwer" -> "sunflower") so it can be searched at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .vectors import WordVectors, _edit_distance

CANDIDATES = 5  # spellings looked at per unknown word


@dataclass(frozen=True)
class Respelling:
    """Whole queries with their unknown words respelt, best first; `best` is the one to
    search at once, set only when every unknown word has a single closest spelling."""

    suggestions: list[str]
    best: str | None


def respell(words: WordVectors, text: str, k: int = 3, names: Sequence[str] = ()) -> Respelling:
    """Respell the words of `text` the vocabulary does not know, keeping the known ones.

    The first unknown word's closest `k` spellings make the suggestions (the others take
    their best); a word with two spellings equally close ("cst": cat, cut) is ambiguous,
    and a word with none leaves nothing to suggest. `names` (the library's place and camera
    names) are spellings too, ahead of a vocabulary word as close ("kelsterbah": Kelsterbach).
    """
    tokens = text.split()
    choices: list[list[tuple[int, str]]] = []
    for token in tokens:
        if words.vector(token) is not None:
            choices.append([(0, token)])
            continue
        found = _closest(words, token, names)
        if not found:
            return Respelling([], None)
        choices.append(found)
    varied = next((i for i, c in enumerate(choices) if c[0][0] > 0), None)
    if varied is None:  # every word is known on its own: nothing to respell
        return Respelling([], None)
    suggestions = []
    for _, spelling in choices[varied][:k]:
        words_out = [c[0][1] for c in choices]
        words_out[varied] = spelling
        suggestions.append(" ".join(words_out))
    clear = all(len(c) == 1 or c[0][0] < c[1][0] for c in choices)
    return Respelling(suggestions, suggestions[0] if clear else None)


def _closest(words: WordVectors, token: str, names: Sequence[str]) -> list[tuple[int, str]]:
    """(edit distance, spelling) of the vocabulary's and `names`' spellings closest to
    `token`, best first; a name before a word as close."""
    found = words.spelling_candidates(token, CANDIDATES)
    if not names:
        return found
    low = token.lower()
    cap = 1 if len(low) <= 4 else 2
    close = [(d, name) for name in names if name != low and (d := _edit_distance(low, name, cap)) <= cap]
    ranked = sorted([(d, 0, name) for d, name in close] + [(d, 1, w) for d, w in found if w not in names])
    return [(d, spelling) for d, _, spelling in ranked[:CANDIDATES]]
