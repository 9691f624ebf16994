"""People's names as search words: "Anna" finds her photos newest first, "Anna beach" ranks them by
"beach", "Anna Bob" finds the photos with both. The names are the library's people (any case,
accents folded, a name of several words as one); how the named photos and the look-alikes share
the results is `rank_named`'s rule, as for places and cameras (search/metadata_words.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..storage.catalogue import Catalogue
from ..storage.held_names import newest_taken
from ..storage.people_rows import people_named, person_photos
from .metadata_words import Name, NamedQuery, fold

__all__ = ["PeoplePhotos", "find_people"]

LONGEST_NAME = 4  # words in a person's name looked for
_EDGE = re.compile(r"^[\"'“”‘’(\[,;:.!?]+|[\"'“”‘’)\],;:.!?]+$")  # quotes and stops around a typed word


def find_people(catalogue: Catalogue, text: str) -> NamedQuery | None:
    """The people `text` names (longest names first, left to right), or None when it names none."""
    names = {fold(" ".join(name.split())): (pid, name) for pid, name in people_named(catalogue).items()}
    if not names:
        return None
    typed = text.split()
    tokens = [fold(_EDGE.sub("", t)) for t in typed]
    groups: list[tuple[Name, ...]] = []
    spans: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + LONGEST_NAME), i, -1):
            found = names.get(" ".join(tokens[i:j]))
            if found is not None:
                groups.append((Name(("person", (str(found[0]),)), found[1]),))
                spans.append(" ".join(typed[i:j]))
                i = j
                break
        else:
            rest.append(typed[i])
            i += 1
    return NamedQuery(tuple(groups), tuple(spans), " ".join(rest)) if groups else None


class PeoplePhotos:
    """The photos with every person a `NamedQuery` from `find_people` names (a `SelectedPhotos`)."""

    def __init__(self, catalogue: Catalogue, query: NamedQuery) -> None:
        self._catalogue = catalogue
        self._people = [(int(str(group[0].key[1][0])), group[0].label) for group in query.groups]
        self._ids: set[int] | None = None

    @property
    def ids(self) -> set[int]:
        if self._ids is None:
            found = [person_photos(self._catalogue, pid) for pid, _ in self._people]
            self._ids = set.intersection(*found) if found else set()
        return self._ids

    def within(self, allowed: set[int] | None) -> set[int]:
        return self.ids if allowed is None else self.ids & allowed

    def any_within(self, allowed: set[int] | None) -> bool:
        return bool(self.within(allowed))

    def newest(self, k: int, allowed: set[int] | None) -> list[int]:
        return newest_taken(self._catalogue, self.within(allowed), k)

    def reasons(self, ids: Sequence[int]) -> dict[int, str]:
        said = "with " + " and ".join(name for _, name in self._people)
        return dict.fromkeys(ids, said)
