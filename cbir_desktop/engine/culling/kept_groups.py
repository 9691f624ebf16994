"""The "same" level's groups kept between calls, rebuilt only where photos changed.

Built whole from the pairs found the same (byte copies and the checks' verdicts), the
members' facts and sharpness; updated from what changed since: the pairs that no longer hold
(a photo new, gone or with new content), the pairs found now, and the photos whose facts or
sharpness changed. Only the groups those touch are connected again and get their keeper
again: at 100,000 photos (6,000 groups) an update after 1,000 new photos rebuilds about a
thousand, where building all took 1-2 s. The groups equal those built whole from the same
pairs, facts and sharpness: a group is a connected component, so a pair that changed touches
only the groups of its two photos, and each member's reason (`why`) is the first of its
pairs in one fixed order (byte copies first, then by photo ids).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from ..storage.culling_rows import CopyFacts
from ..types import DuplicateGroup
from .groups import connected

Pair = tuple[int, int]
SAME_BYTES = "same bytes"
# (level, members, each member's reason, sharpness): a group as the person sees it (finder._group)
Shown = Callable[[str, list[CopyFacts], dict[int, str], dict[int, float]], DuplicateGroup]
ReadFacts = Callable[[list[int]], dict[int, CopyFacts]]
ReadSharpness = Callable[[list[int]], dict[int, float]]


@dataclass(frozen=True)
class KeptGroup:
    """One group: its members (sorted), the byte copies and the verdicts found the same among
    them (a < b), and how it is shown."""

    ids: tuple[int, ...]
    same_bytes: frozenset[Pair]
    same: Mapping[Pair, str]
    shown: DuplicateGroup


@dataclass
class KeptGroups:
    """The last groups of the "same" level for one model, with what they were built from:
    every byte-copy pair, and each member's facts and sharpness."""

    model_id: str
    same_bytes: frozenset[Pair] = frozenset()
    groups: dict[int, KeptGroup] = field(default_factory=dict)  # by first member
    group_of: dict[int, int] = field(default_factory=dict)
    facts: dict[int, CopyFacts] = field(default_factory=dict)  # of the members
    sharpness: dict[int, float] = field(default_factory=dict)  # of the members that have one

    def result(self) -> list[DuplicateGroup]:
        """The groups, largest first (as groups.connected orders them)."""
        return [self.groups[key].shown for key in sorted(self.groups, key=lambda k: (-len(self.groups[k].ids), k))]


@dataclass(frozen=True)
class Changes:
    """What changed since the groups were built. `dropped`: photos whose kept verdicts no
    longer count (searched again, gone, new content); `same`: the verdicts found the same now,
    each touching a dropped photo; `same_bytes`: every byte-copy pair now; `stale_facts`:
    photos whose facts changed or are gone; `fresh_sharpness`: photos whose signature was read
    now (None: unreadable)."""

    dropped: frozenset[int]
    same: Mapping[Pair, str]
    same_bytes: frozenset[Pair]
    stale_facts: frozenset[int]
    fresh_sharpness: Mapping[int, float | None]


def build(kept: KeptGroups, level: str, same_bytes: Iterable[Pair], same: Mapping[Pair, str],
          facts: Mapping[int, CopyFacts], sharpness: ReadSharpness, fresh: Mapping[int, float | None],
          shown: Shown) -> None:
    """Build `kept` whole: the groups of `same_bytes` and `same`, their members' `facts`, the
    `fresh` sharpness of signatures just read and the kept one (`sharpness`) of the rest."""
    kept.same_bytes = frozenset(same_bytes)
    kept.groups, kept.group_of, kept.facts, kept.sharpness = {}, {}, {}, {}
    _regroup(kept, level, kept.same_bytes, dict(same), lambda ids: {p: facts[p] for p in ids if p in facts},
             sharpness, fresh, shown)


def update(kept: KeptGroups, level: str, changes: Changes, read_facts: ReadFacts, sharpness: ReadSharpness,
           shown: Shown) -> tuple[set[int], list[CopyFacts]]:
    """Rebuild the groups `changes` touch; the rest stay as they are. Returns the photos that
    left the groups and the facts read (what the caller's snapshot of members' facts must
    forget and learn)."""
    moved_bytes = kept.same_bytes ^ changes.same_bytes
    touched = set(changes.dropped) | set(changes.stale_facts)
    touched.update(p for p, s in changes.fresh_sharpness.items() if p in kept.group_of and kept.sharpness.get(p) != s)
    touched.update(p for pair in (*moved_bytes, *changes.same) for p in pair)
    keys = {kept.group_of[p] for p in touched if p in kept.group_of}
    before = {p for key in keys for p in kept.groups[key].ids}
    same = {pair: verdict for key in keys for pair, verdict in kept.groups[key].same.items()
            if pair[0] not in changes.dropped and pair[1] not in changes.dropped}
    same.update(changes.same)
    around = before | {p for pair in (*changes.same, *moved_bytes) for p in pair}
    same_bytes = [pair for pair in changes.same_bytes if pair[0] in around or pair[1] in around]
    still = {p: kept.facts[p] for p in before if p not in changes.stale_facts}
    cached = {p: kept.sharpness[p] for p in before if p in kept.sharpness and p not in changes.stale_facts}
    for key in keys:
        del kept.groups[key]
    for p in before:
        del kept.group_of[p]
        del kept.facts[p]
        kept.sharpness.pop(p, None)
    read: list[CopyFacts] = []

    def facts_of(ids: list[int]) -> dict[int, CopyFacts]:
        found = read_facts([p for p in ids if p not in still])
        read.extend(found.values())
        return {**{p: still[p] for p in ids if p in still}, **found}

    def sharpness_of(ids: list[int]) -> dict[int, float]:
        return {**{p: cached[p] for p in ids if p in cached}, **sharpness([p for p in ids if p not in cached])}

    kept.same_bytes = changes.same_bytes
    _regroup(kept, level, same_bytes, same, facts_of, sharpness_of, changes.fresh_sharpness, shown)
    return {p for p in before if p not in kept.group_of}, read


def _regroup(kept: KeptGroups, level: str, same_bytes: Collection[Pair], same: Mapping[Pair, str],
             facts_of: ReadFacts, sharpness: ReadSharpness, fresh: Mapping[int, float | None], shown: Shown) -> None:
    why = {pair: SAME_BYTES for pair in same_bytes}
    why.update((pair, verdict) for pair, verdict in same.items() if pair not in why)
    components = connected(why)
    if not components:
        return
    component_of = {p: n for n, ids in enumerate(components) for p in ids}
    members = [p for ids in components for p in ids]
    facts = facts_of(members)
    stored = sharpness([p for p in members if p not in fresh])
    values = {p: s for p, s in fresh.items() if s is not None and p in component_of}
    values.update(stored)
    byte_pairs: list[set[Pair]] = [set() for _ in components]
    verdicts: list[dict[Pair, str]] = [{} for _ in components]
    for pair in same_bytes:
        byte_pairs[component_of[pair[0]]].add(pair)
    for pair, verdict in same.items():
        verdicts[component_of[pair[0]]][pair] = verdict
    for n, ids in enumerate(components):
        reasons = _reasons(byte_pairs[n], verdicts[n])
        group = shown(level, [facts[p] for p in ids], reasons, {p: values[p] for p in ids if p in values})
        kept.groups[ids[0]] = KeptGroup(tuple(ids), frozenset(byte_pairs[n]), verdicts[n], group)
        for p in ids:
            kept.group_of[p] = ids[0]
            kept.facts[p] = facts[p]
            if p in values:
                kept.sharpness[p] = values[p]


def _reasons(same_bytes: Collection[Pair], same: Mapping[Pair, str]) -> dict[int, str]:
    """Each member's reason: its first pair's, byte copies first, then by photo ids."""
    reasons: dict[int, str] = {}
    for a, b in sorted(same_bytes):
        reasons.setdefault(a, SAME_BYTES)
        reasons.setdefault(b, SAME_BYTES)
    for (a, b) in sorted(pair for pair in same if pair not in same_bytes):
        reasons.setdefault(a, same[(a, b)])
        reasons.setdefault(b, same[(a, b)])
    return reasons
