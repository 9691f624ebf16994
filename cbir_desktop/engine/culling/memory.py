"""What an open library keeps of its last searches for duplicates, so that asking again costs
what changed since, not the whole library (the window keeps one library open and asks again
after each indexing run).

Per (level, model, series window, version of the checks): the groups found and the
catalogue's change marker after them (`Catalogue.change_marker`: another connection's commit
or this one's write changes it); asked again while the marker is the same, the groups are
those. XMP rejects are not part of them: the caller reads the sidecars on every call. For the "same" level
also the groups with what they were built from (kept_groups.py), which the finder updates
where photos changed. A marker is kept only when no other connection committed during the
search (what it committed may not be in the groups); otherwise the marker from before, so
that the next call looks again.
"""

from __future__ import annotations

import threading
import weakref

from ..storage.catalogue import Catalogue
from ..types import DuplicateGroup
from .kept_groups import KeptGroups

Key = tuple[str, str, float | None, int]  # level, model, series window (None for the other levels), checks' version


class DuplicatesMemory:
    """The last groups of each kind of search on one library; `lock` is held through a search."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._catalogue: weakref.ref[Catalogue] | None = None  # the connection all this was read from
        self._last: dict[Key, tuple[tuple[int, int], list[DuplicateGroup]]] = {}
        self._same: KeptGroups | None = None

    def on(self, catalogue: Catalogue) -> None:
        """Forget everything read from another connection than `catalogue` (a catalogue reopened)."""
        if self._catalogue is None or self._catalogue() is not catalogue:
            self._catalogue = weakref.ref(catalogue)
            self._last.clear()
            self._same = None

    def unchanged(self, catalogue: Catalogue, key: Key) -> list[DuplicateGroup] | None:
        """The groups found last for `key` if nothing was written to the catalogue since."""
        self.on(catalogue)
        last = self._last.get(key)
        if last is None or last[0] != catalogue.change_marker():
            return None
        return list(last[1])

    def remember(self, catalogue: Catalogue, key: Key, groups: list[DuplicateGroup],
                 before: tuple[int, int]) -> None:
        """Keep `groups` for `key`, found from the catalogue as it was at marker `before`."""
        self.on(catalogue)
        after = catalogue.change_marker()
        self._last[key] = (after if after[0] == before[0] else before, list(groups))

    def same_groups(self, catalogue: Catalogue, model_id: str) -> KeptGroups | None:
        """The "same" level's groups built last on this connection for `model_id`, if any."""
        self.on(catalogue)
        kept = self._same
        return kept if kept is not None and kept.model_id == model_id else None

    def keep_same_groups(self, kept: KeptGroups | None) -> None:
        self._same = kept
