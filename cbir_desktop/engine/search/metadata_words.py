"""Place, camera and lens names as search words: "Lisbon" finds the photos taken there, "fuji"
the photos from Fujifilm cameras, ahead of the photos that merely look like the words.

A `NameVocabulary` holds the names a library's photos carry (towns, regions, countries, makers,
models, lenses; storage/held_names.py), folded (case and accents: "tubingen" is Tübingen), in
memory: matching a query against it takes microseconds, and `HeldNameWords` rebuilds it only
when the catalogue's photos changed. What a query word may name:

- a place, by its whole name ("lisbon", "cape town", "réunion");
- a country code ("za", "fj") only when it is not a common word: "us", "in", "de", "it" stay words;
- a maker or model by a whole word of it ("canon", "iphone", "6d" in "eos 6d") or by the start
  of one ("fuji" for Fujifilm, "x100" for X100V); a lens likewise ("macro", "24-105"). A model's
  or lens's word that is a common word ("plus", "back") or a common word as the start of a
  longer one ("can" for Canon) names nothing: only a maker's own name does ("apple", "sony").

Several words naming one thing are one name ("canon eos 6d"), the longest first; one word naming
several things ("nokia": the town and the phones) means any of them; two names of different
things ("fuji lisbon") mean both. How the named photos and the look-alikes share the results is
`rank_named`'s rule.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ..errors import UnknownWord
from ..storage.catalogue import Catalogue
from ..storage.held_names import (
    FEW,
    HeldNames,
    NameKey,
    as_held_names,
    cameras_of,
    count_named,
    named_among,
    newest_named,
    newest_taken,
    photos_named,
)
from ..storage.vocabulary import Vocabulary
from ..types import SearchHit
from ..words.spelling import respell
from ..words.vectors import WordVectors
from .relevance import RELEVANT_FROM, STRONG_FROM

__all__ = ["HeldNameWords", "Name", "NameVocabulary", "NamedPhotos", "NamedQuery", "SelectedPhotos", "fold",
           "name_respelling", "rank_named"]

# The most common words of the vocabulary (by frequency rank): a word among the first
# COMMON_WORDS is never a country code nor the start of a longer name ("can", "pan", "de");
# one among the first VERY_COMMON_WORDS is not even a model's or lens's whole word ("plus",
# "back", "camera"), though "iphone" (rank ~3,950) and "desire" (~2,390) still are.
COMMON_WORDS = 10_000
VERY_COMMON_WORDS = 2_000
LONGEST_NAME = 5  # words in a name looked for ("Santa Cruz de la Sierra")
_EDGE = re.compile(r"^[\"'“”‘’(\[,;:.!?]+|[\"'“”‘’)\],;:.!?]+$")
_PARTS = re.compile(r"[-/_.]+")


def fold(text: str) -> str:
    """`text` as names are compared: lower case, accents dropped ("Tübingen" -> "tubingen")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Name:
    """One name the library's photos carry: what selects them, and how to say it."""

    key: NameKey
    label: str  # as stored: "Lisbon", "Fujifilm", "Canon EOS 6D", "EF100mm f/2.8 Macro USM"

    @property
    def place(self) -> bool:
        return self.key[0] in ("city", "region", "country")


@dataclass(frozen=True)
class NamedQuery:
    """A query's words that name something, grouped (each group's names are alternatives,
    the groups all apply), the words as typed, and the query's other words."""

    groups: tuple[tuple[Name, ...], ...]
    spans: tuple[str, ...]
    rest: str

    @property
    def name_text(self) -> str:
        return " ".join(self.spans)


@dataclass
class _Entry:
    """A camera or lens as a set of words, for matching query words against."""

    name: Name
    make_words: frozenset[str]


class NameVocabulary:
    """The names of one library, folded, with the word lookups a query needs."""

    def __init__(self, held: HeldNames, common: Collection[str] = (), very_common: Collection[str] = ()) -> None:
        self._common = frozenset(common)
        self._very_common = frozenset(very_common)
        self.places: dict[str, list[Name]] = {}
        self.codes: dict[str, Name] = {}
        self._entries: list[_Entry] = []
        self._word_entries: dict[str, set[int]] = {}  # folded word -> entries it belongs to
        self._shown: dict[str, str] = {}  # folded name -> as shown (completions, spellings)
        self._add_places(held)
        for make, model in held.cameras:
            label = " ".join(part for part in (make, model) if part)
            self._add_entry(Name(("camera", (make, model)), label), make, [model] if model else [])
        for lens in held.lenses:
            self._add_entry(Name(("lens", (lens,)), lens), None, [lens])
        self._words = sorted(self._word_entries)

    def _add_places(self, held: HeldNames) -> None:
        for code, region, city in held.places:
            if city:
                self._add_place(city, Name(("city", (code, region, city)), city))
            if region:
                self._add_place(region, Name(("region", (code, region)), region))
        for code, country in held.countries.items():
            name = Name(("country", (code,)), country)
            self._add_place(country, name)
            if fold(code) not in self._common and fold(code) not in self.places:
                self.codes[fold(code)] = name

    def _add_place(self, text: str, name: Name) -> None:
        for variant in {fold(text), fold(text).replace("-", " ")}:
            found = self.places.setdefault(" ".join(variant.split()), [])
            if name not in found:
                found.append(name)
        self._shown.setdefault(fold(text), text)

    def _add_entry(self, name: Name, make: str | None, parts: list[str]) -> None:
        index = len(self._entries)
        make_words = frozenset(fold(make).split()) if make else frozenset()
        self._entries.append(_Entry(name, make_words))
        for word in make_words | {w for part in parts for w in _name_words(part)}:
            self._word_entries.setdefault(word, set()).add(index)
        if make:
            self._shown.setdefault(fold(make), make)
        if name.key[0] == "camera" and len(parts) == 1:
            self._shown.setdefault(fold(parts[0]), parts[0])

    # -- matching ---------------------------------------------------------------------------
    def find(self, text: str) -> NamedQuery | None:
        """The names in `text` (longest first, left to right), or None when it names nothing."""
        typed = text.split()
        tokens = [fold(_EDGE.sub("", t)) for t in typed]
        groups: list[tuple[Name, ...]] = []
        spans: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(tokens):
            for j in range(min(len(tokens), i + LONGEST_NAME), i, -1):
                names = self._names_of(tokens[i:j])
                if names:
                    groups.append(names)
                    spans.append(" ".join(typed[i:j]))
                    i = j
                    break
            else:
                rest.append(typed[i])
                i += 1
        return NamedQuery(tuple(groups), tuple(spans), " ".join(rest)) if groups else None

    def _names_of(self, tokens: list[str]) -> tuple[Name, ...]:
        if not all(tokens):
            return ()
        found = list(self.places.get(" ".join(tokens), []))
        if len(tokens) == 1 and tokens[0] in self.codes and self.codes[tokens[0]] not in found:
            found.append(self.codes[tokens[0]])
        found += self._things_of(tokens)
        return tuple(found)

    def _things_of(self, tokens: list[str]) -> list[Name]:
        """Cameras and lenses every one of `tokens` names a word of; a maker's whole name is
        the maker ("canon": every Canon), not each of its cameras."""
        common: set[int] | None = None
        for token in tokens:
            entries = self._entries_of(token)
            common = entries if common is None else common & entries
            if not common:
                return []
        assert common is not None
        makes: dict[str, Name] = {}
        out: list[Name] = []
        for index in sorted(common):
            entry = self._entries[index]
            if entry.make_words and all(any(w.startswith(t) for w in entry.make_words) for t in tokens):
                make = entry.name.key[1][0]
                assert make is not None
                makes.setdefault(make, Name(("make", (make,)), make))
            else:
                out.append(entry.name)
        return [*makes.values(), *out]

    def _entries_of(self, token: str) -> set[int]:
        """The cameras and lenses `token` names: by a whole word, or by the start of one."""
        found: set[int] = set()
        is_make = any(token in self._entries[i].make_words for i in self._word_entries.get(token, ()))
        if is_make or (token not in self._very_common and (len(token) >= 3 or _letters_and_digits(token))):
            found |= self._word_entries.get(token, set())
        if len(token) >= 3 and token not in self._common and not token.isdigit():
            start = bisect.bisect_left(self._words, token)
            for word in self._words[start:]:
                if not word.startswith(token):
                    break
                found |= self._word_entries[word]
        return found

    # -- completions and spellings ----------------------------------------------------------
    def completions(self, prefix: str, k: int) -> list[str]:
        """Names starting with `prefix` (folded), as the library holds them, shortest first."""
        p = " ".join(fold(prefix).split())
        if not p or k <= 0:
            return []
        found = sorted((len(key), shown) for key, shown in self._shown.items() if key.startswith(p))
        return [shown for _, shown in found[:k]]

    def spellings(self) -> list[str]:
        """The one-word names, lower case with their accents: spellings to suggest."""
        return sorted({shown.lower() for shown in self._shown.values() if len(shown.split()) == 1})


def _name_words(text: str) -> set[str]:
    """A model's or lens's words as a query may type them: "EOS 6D" -> eos, 6d, eos6d;
    "DMC-LX3" -> dmc-lx3, dmc, lx3, dmclx3; "EF24-105mm" -> ef24-105mm, 24-105mm, ef24, 105mm."""
    words: set[str] = set()
    folded = fold(text).split()
    for word in folded:
        words.add(word)
        words.update(part for part in _PARTS.split(word) if part)
        stripped = word.lstrip("abcdefghijklmnopqrstuvwxyz")
        if stripped and stripped != word and stripped[0].isdigit():
            words.add(stripped)
    if len(folded) > 1:
        words.add("".join(folded))
    words.add(_PARTS.sub("", "".join(folded)))
    return {w for w in words if w}


def _letters_and_digits(token: str) -> bool:
    return any(c.isalpha() for c in token) and any(c.isdigit() for c in token)


class HeldNameWords:
    """A library's `NameVocabulary`, rebuilt when its photos changed (any thread may ask)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vocabulary: NameVocabulary | None = None
        self._held: HeldNames | None = None
        self._source: Vocabulary | None = None
        self._words: WordVectors | None = None
        self._common: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())

    def vocabulary(self, catalogue: Catalogue, words: WordVectors) -> NameVocabulary:
        source = catalogue.vocabulary()  # this connection's, kept until the catalogue changes
        with self._lock:
            if words is not self._words:
                ranked = words.most_common(COMMON_WORDS)
                self._common = (frozenset(ranked), frozenset(ranked[:VERY_COMMON_WORDS]))
                self._words, self._vocabulary = words, None
            if self._vocabulary is None or source is not self._source:
                held = as_held_names(source)  # another connection's or a new read: the same names?
                if self._vocabulary is None or held != self._held:
                    self._vocabulary = NameVocabulary(held, *self._common)
                    self._held = held
                self._source = source
            return self._vocabulary


class SelectedPhotos(Protocol):
    """What `rank_named` needs of the photos a query's names select (places and cameras here,
    people in search/people_words.py)."""

    def within(self, allowed: set[int] | None) -> set[int]: ...

    def any_within(self, allowed: set[int] | None) -> bool: ...

    def newest(self, k: int, allowed: set[int] | None) -> list[int]: ...

    def reasons(self, ids: Sequence[int]) -> dict[int, str]: ...


class NamedPhotos:
    """The photos every group of a `NamedQuery` names (any name of a group, every group), read
    as they are needed: a query that is one group of names, unfiltered, counts them and reads
    its newest from the capture-time index (a maker of half the library costs no more than a
    town); the whole set only to rank or filter within it. Not shared between threads."""

    def __init__(self, catalogue: Catalogue, query: NamedQuery) -> None:
        self._catalogue = catalogue
        self._groups = query.groups
        self._ids: set[int] | None = None

    @property
    def ids(self) -> set[int]:
        """Every photo the names select (one indexed query per name)."""
        if self._ids is None:
            unions = []
            for group in self._groups:
                found = [photos_named(self._catalogue, name.key) for name in group]
                unions.append(found[0] if len(found) == 1 else set().union(*found))
            self._ids = set.intersection(*unions) if unions else set()
        return self._ids

    def within(self, allowed: set[int] | None) -> set[int]:
        return self.ids if allowed is None else self.ids & allowed

    def any_within(self, allowed: set[int] | None) -> bool:
        if allowed is None and len(self._groups) == 1:
            return any(count_named(self._catalogue, name.key) for name in self._groups[0])
        return bool(self.within(allowed))

    def newest(self, k: int, allowed: set[int] | None) -> list[int]:
        """The `k` taken last (of those `allowed`, when given)."""
        if allowed is None and len(self._groups) == 1 and self._ids is None:
            names = self._groups[0]
            if sum(count_named(self._catalogue, name.key) for name in names) > FEW:
                return newest_named(self._catalogue, [name.key for name in names], k)
        return newest_taken(self._catalogue, self.within(allowed), k)

    def reasons(self, ids: Sequence[int]) -> dict[int, str]:
        """Why each of `ids` (a few: those shown) matched: "taken in Lisbon", "Fujifilm X100V",
        "with EF100mm f/2.8 Macro USM"; with two names, both ("Canon EOS 6D, taken in Lisbon")."""
        shown = list(ids)
        if not shown:
            return {}
        cameras = cameras_of(self._catalogue, shown)
        said: dict[int, list[str]] = {pid: [] for pid in shown}
        for group in self._groups:
            for pid, name in self._first_names(group, shown).items():
                make, model, lens = cameras.get(pid, (None, None, None))
                said[pid].append(_reason(name, make, model, lens))
        return {pid: ", ".join(dict.fromkeys(whys)) for pid, whys in said.items()}

    def _first_names(self, group: tuple[Name, ...], ids: list[int]) -> dict[int, Name]:
        if len(group) == 1:
            return dict.fromkeys(ids, group[0])
        out: dict[int, Name] = {}
        for name in group:
            for pid in named_among(self._catalogue, name.key, ids):
                out.setdefault(pid, name)
        return out


def _reason(name: Name, make: str | None, model: str | None, lens: str | None) -> str:
    if name.place:
        return f"taken in {name.label}"
    if name.key[0] == "lens":
        return f"with {lens or name.label}"
    return " ".join(part for part in (make, model) if part) or name.label


Content = Callable[[str, int, "set[int] | None"], list[SearchHit]]
Hits = Callable[[Sequence[tuple[int, float]]], list[SearchHit]]


def rank_named(query: NamedQuery, photos: SelectedPhotos, text: str, k: int, within: set[int] | None,
               content: Content, hits: Hits) -> list[SearchHit] | None:
    """The results of a query that names places, cameras or lenses: `photos` (what the names
    select) and the content search's hits for `text`.

    The named photos come first: ranked among themselves by the content score of the query's
    other words ("beach" in "beach lisbon"), or newest taken first when the query is only the
    names (or its other words are unknown: left out, as the ordinary search leaves them). Each
    says why it matched (`SearchHit.matched`) and its relevance is "strong" (from STRONG_FROM
    up, rising with its content relevance), since the name certainly applies. Then the
    ordinary results for the whole query (the look-alikes), without repeats.

    The rule for a word that names a place and a thing ("turkey", "china", "jersey", "apple"):
    the name is the clear reading unless an ordinary search for the name's words alone finds a
    photo above the relevance cut-off (RELEVANT_FROM, below which the window shows nothing
    unasked). Then both readings are real in this library, and the named photos and the photos
    that show the word alternate one for one, the named first; the weaker look-alikes follow.
    So "turkey" in a library of turkeys and of a trip to Turkey shows both from the top, while
    "lisbon", which no photo shows, shows the photos from Lisbon.

    None when no photo the names select is `within` (the user's filters): the ordinary search
    answers. `content(text, k, within)` is the ordinary text search (raising `UnknownWord`),
    `hits` makes hits of (photo_id, score) pairs.
    """
    if not photos.any_within(within):
        return None
    named = _by_content(query, photos, k, within, content) if query.rest else None
    content_ranked = named is not None
    if named is None:  # only names, or other words no word vector knows (left out, as always)
        latest = photos.newest(k, within)
        said = photos.reasons(latest)
        named = [replace(hit, relevance=1.0, matched=said.get(hit.photo_id, ""))
                 for hit in hits([(pid, 1.0) for pid in latest])]
    followers = _look_alikes(query, text, k, within, content)
    if content_ranked:
        shown_as_word = _best_relevance(lambda: content(query.name_text, 1, within))
    else:
        shown_as_word = followers[0].relevance if followers else 0.0
    seen = {hit.photo_id for hit in named}
    followers = [hit for hit in followers if hit.photo_id not in seen]
    if shown_as_word < RELEVANT_FROM:
        return (named + followers)[:k]
    return _alternate(named, followers)[:k]


def _by_content(query: NamedQuery, photos: SelectedPhotos, k: int, within: set[int] | None,
                content: Content) -> list[SearchHit] | None:
    """The named photos ranked by the query's other words (None when no word vector knows
    them), strong: from STRONG_FROM up, rising with their content relevance."""
    allowed = photos.within(within)
    try:
        ranked = content(query.rest, min(k, len(allowed)), allowed)
    except UnknownWord:
        return None
    said = photos.reasons([hit.photo_id for hit in ranked])
    return [replace(hit, matched=said.get(hit.photo_id, ""),
                    relevance=round(STRONG_FROM + (1.0 - STRONG_FROM) * hit.relevance, 4)) for hit in ranked]


def _look_alikes(query: NamedQuery, text: str, k: int, within: set[int] | None, content: Content) -> list[SearchHit]:
    """The ordinary results for the whole query, or for its other words when no word vector
    knows the whole ("x100v beach" is searched as "beach"); none for an unknown name alone."""
    for asked in dict.fromkeys([text, query.rest]):
        if not asked:
            continue
        try:
            return content(asked, k, within)
        except UnknownWord:
            continue
    return []


def _best_relevance(search: Callable[[], list[SearchHit]]) -> float:
    try:
        found = search()
    except UnknownWord:
        return 0.0
    return found[0].relevance if found else 0.0


def _alternate(named: list[SearchHit], followers: list[SearchHit]) -> list[SearchHit]:
    """Named and relevant content hits one for one (named first), then the rest of each."""
    relevant = [hit for hit in followers if hit.relevance >= RELEVANT_FROM]
    weaker = [hit for hit in followers if hit.relevance < RELEVANT_FROM]
    out: list[SearchHit] = []
    for i in range(max(len(named), len(relevant))):
        out += named[i:i + 1] + relevant[i:i + 1]
    return out + weaker


def name_respelling(vocabulary: NameVocabulary, words: WordVectors, text: str) -> UnknownWord | None:
    """For a query no word vector knows and no name matches: its respellings, the library's
    names among them ("lisbn" -> lisbon, "reykjavk" -> reykjavik); None when none is a name,
    so the ordinary search says what it says."""
    if words.vector(text) is not None:
        return None
    names = vocabulary.spellings()
    respelt = respell(words, text, names=names)
    held = set(names)
    if not any(word in held for suggestion in respelt.suggestions for word in suggestion.split()):
        return None
    return UnknownWord(text, respelt.suggestions, respelt.best)
