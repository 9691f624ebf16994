"""Finding duplicate groups at one level, each its own switch:

- "exact": the same content: byte-identical files (`photos.content_hash`), or the same upright
  pixels in another container (photos whose vectors are at least `EXACT_COSINE` alike, then
  their pixel hashes);
- "same": the same shot in another size, compression, format, orientation, crop, colour edit
  or black-and-white: byte copies, and photos whose vectors are at least `SAME_COSINE` alike
  (neighbours.py; for new photos only when the rest were searched before: incremental.py)
  that the pixel checks confirm (confirm.py; verdicts kept between runs: verdicts.py);
- "series": consecutive shots of one scene by one camera (series.py).

Pairs found become groups of connected photos (groups.py); each group gets a suggested keeper
with its reasons and, per member, what differs from it (keeper.py). An open library keeps its
last groups (memory.py): asked again, "same" rebuilds only the groups of photos that changed
(kept_groups.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from functools import partial

from ..storage.catalogue import Catalogue
from ..storage.culling_rows import CopyFacts, StoredSignature, copy_facts, same_content, sharpness_of
from ..storage.facts_snapshot import changed_since, keep_snapshot
from ..types import DUPLICATE_LEVELS, DuplicateGroup, DuplicateMember
from .cache import signatures_for
from .confirm import SAME_PIXELS, same_pixels, same_shot
from .face_sharpness import face_sharpness
from .groups import connected
from .incremental import Candidates, IndexFor, same_candidates
from .keeper import SERIES, choose_keeper, differences, file_format, taken
from .kept_groups import SAME_BYTES, Changes, KeptGroups, Pair, build, update
from .memory import DuplicatesMemory
from .neighbours import close_pairs, library_vectors
from .series import DEFAULT_WINDOW_S, series_pairs
from .verdicts import check_and_keep, checks_version, reusable

EXACT_COSINE = 0.95
SAME_COSINE = 0.70  # neardup/'s rotated and greyscale variants: 0.62-0.83 to one another, joined through the rest
THREADS = max(1, min(4, os.cpu_count() or 1))
REGISTER_NEAREST = 2
REGISTER_COSINE = 0.78  # neardup/'s crop and rotations: 0.80-0.84
SAME_SERIES = "same series"

Progress = Callable[[int, int], None]


def find_duplicates(catalogue: Catalogue, model_id: str, level: str = "same", window_s: float = DEFAULT_WINDOW_S,
                    keep_signatures: bool = True, progress: Progress | None = None,
                    index_for: IndexFor | None = None, memory: DuplicatesMemory | None = None
                    ) -> list[DuplicateGroup]:
    """The groups of `level`, largest first. Reads the pixels of candidate photos it has not
    read before (`progress(done, total)` counts them) and keeps what it read, the verdicts and
    which photos were searched unless `keep_signatures` is False (a read-only library). With
    the library's image index (`index_for(dims)`), "same" searches only new photos when it can.
    With the open library's `memory` of its last searches, a search after no change costs
    nothing and "same" rebuilds only the groups of the photos that changed (memory.py)."""
    if level not in DUPLICATE_LEVELS:
        raise ValueError(f"unknown level {level!r}: one of {', '.join(DUPLICATE_LEVELS)}")
    if memory is None:
        return _find(catalogue, model_id, level, window_s, keep_signatures, progress, index_for, None)
    key = (level, model_id, window_s if level == SERIES else None, checks_version())  # new checks: found again
    with memory.lock:
        before = catalogue.change_marker()
        again = memory.unchanged(catalogue, key)
        if again is not None:
            return again
        groups = _find(catalogue, model_id, level, window_s, keep_signatures, progress, index_for, memory)
        memory.remember(catalogue, key, groups, before)
        return groups


def _find(catalogue: Catalogue, model_id: str, level: str, window_s: float, keep_signatures: bool,
          progress: Progress | None, index_for: IndexFor | None, memory: DuplicatesMemory | None
          ) -> list[DuplicateGroup]:
    if level == "same":
        return _same_level(catalogue, model_id, keep_signatures, progress, index_for, memory)
    facts = copy_facts(catalogue)
    why: dict[tuple[int, int], str] = {}
    signatures: dict[int, StoredSignature] = {}
    if level == "exact":
        for copies in same_content(catalogue):
            why.update({(copies[0], other): SAME_BYTES for other in copies[1:]})
    if level == "series":
        ids, matrix = library_vectors(catalogue, model_id)
        why.update({(a, b): SAME_SERIES for a, b, _ in series_pairs(facts, ids, matrix, window_s)})
    else:
        ids, matrix = library_vectors(catalogue, model_id)
        candidates = close_pairs(ids, matrix, EXACT_COSINE)
        del matrix
        known = {frozenset(pair) for pair in why}
        candidates = [(a, b, c) for a, b, c in candidates if frozenset((a, b)) not in known]
        signatures = signatures_for(catalogue, facts, {p for a, b, _ in candidates for p in (a, b)},
                                    keep_signatures, progress)
        why.update(_confirmed(candidates, signatures))
    groups = connected(why)
    members = {pid for group in groups for pid in group}
    if level == SERIES:
        signatures = signatures_for(catalogue, facts, members, keep_signatures)
    sharpness = {pid: s.sharpness for pid, s in signatures.items() if s.readable}
    if level != SERIES:  # copies: sharpness only where the pixels were read before
        sharpness.update(sharpness_of(catalogue, [pid for pid in members if pid not in signatures]))
    faces = face_sharpness(catalogue, facts, groups) if level == SERIES else {}
    joined: dict[int, str] = {}  # how each photo was found the same as another
    for (a, b), reason in why.items():
        joined.setdefault(a, reason)
        joined.setdefault(b, reason)
    return [_group(level, [facts[pid] for pid in group], joined, sharpness, faces) for group in groups]


def _same_level(catalogue: Catalogue, model_id: str, keep: bool, progress: Progress | None,
                index_for: IndexFor | None, memory: DuplicatesMemory | None) -> list[DuplicateGroup]:
    """The "same" level: byte copies, and the candidate pairs the pixel checks find the same
    shot (the kept verdicts that still hold reused, the new ones kept: verdicts.py; candidates
    searched again only for new photos when the record allows: incremental.py). With the groups
    kept from the last call (`memory`), only those of photos that changed are rebuilt."""
    kept = memory.same_groups(catalogue, model_id) if memory is not None else None
    if memory is not None:  # taken out until this call ends well: one cut short may have written verdicts
        memory.keep_same_groups(None)
    stale = changed_since(catalogue, len(kept.facts)) if kept is not None else None
    found = same_candidates(catalogue, model_id, SAME_COSINE, index_for, keep, settle=stale is None)
    same_bytes = frozenset((copies[0], other) for copies in same_content(catalogue) for other in copies[1:])
    if memory is not None and kept is not None and stale is not None and found.incremental:
        return _same_updated(catalogue, kept, found, same_bytes, stale, keep, progress, memory)
    facts = copy_facts(catalogue)
    same, signatures = _same_shots(catalogue, found, facts, same_bytes, keep, progress)
    kept = KeptGroups(model_id)
    build(kept, "same", same_bytes, {**found.settled, **same}, facts, partial(sharpness_of, catalogue),
          _fresh(signatures), _group)
    if memory is not None:
        remembered = keep_snapshot(catalogue, kept.facts.values(), replace_all=True)
        memory.keep_same_groups(kept if remembered else None)
    return kept.result()


def _same_updated(catalogue: Catalogue, kept: KeptGroups, found: Candidates, same_bytes: frozenset[Pair],
                  stale: set[int], keep: bool, progress: Progress | None,
                  memory: DuplicatesMemory) -> list[DuplicateGroup]:
    """The kept groups with those of changed photos rebuilt: the facts read only of the
    candidates, of the photos that changed and of new members; the kept verdicts found the same
    taken from the groups, less those of photos searched again, gone or with new content."""
    facts = copy_facts(catalogue, sorted({p for a, b, _ in found.pairs for p in (a, b)}))
    same, signatures = _same_shots(catalogue, found, facts, same_bytes, keep, progress)
    now = copy_facts(catalogue, sorted(stale))
    new_content = {p for p in stale if p not in now or p not in kept.facts
                   or now[p].content_hash != kept.facts[p].content_hash}
    changes = Changes(frozenset(found.renewed | new_content), same, same_bytes, frozenset(stale), _fresh(signatures))
    left, read = update(kept, "same", changes, partial(copy_facts, catalogue), partial(sharpness_of, catalogue),
                        _group)
    if keep_snapshot(catalogue, read, forget=left):
        memory.keep_same_groups(kept)
    return kept.result()


def _same_shots(catalogue: Catalogue, found: Candidates, facts: dict[int, CopyFacts],
                same_bytes: frozenset[Pair], keep: bool, progress: Progress | None
                ) -> tuple[dict[Pair, str], dict[int, StoredSignature]]:
    """The candidate pairs (byte copies aside) the pixel checks find the same shot, with how,
    and the signatures read."""
    candidates = [(a, b, c) for a, b, c in found.pairs if (a, b) not in same_bytes]
    register = _registered(candidates + [(a, b, c) for a, b, c in found.counted if (a, b) not in same_bytes],
                           found.by_colour)
    verdicts, unsure = reusable(candidates, register, found.kept, facts)
    signatures = signatures_for(catalogue, facts, {p for a, b, _ in unsure for p in (a, b)}, keep, progress)

    def check(pair: tuple[int, int, float], allowed: bool) -> str:
        sa, sb = signatures.get(pair[0]), signatures.get(pair[1])
        return "" if sa is None or sb is None else same_shot(sa, sb, allowed)

    verdicts.update(check_and_keep(catalogue, facts, unsure, register, check, keep, THREADS))
    return {pair: verdict for pair, verdict in verdicts.items() if verdict}, signatures


def _fresh(signatures: dict[int, StoredSignature]) -> dict[int, float | None]:
    """The sharpness of the signatures read in this call (None: unreadable)."""
    return {pid: s.sharpness if s.readable else None for pid, s in signatures.items()}


def _registered(candidates: list[tuple[int, int, float]], by_colour: Collection[tuple[int, int]] = ()
                ) -> set[tuple[int, int]]:
    """The pairs the check for crops and rotations (30 ms a pair) may run on: a photo and its
    `REGISTER_NEAREST` nearest candidates by vector, if at least `REGISTER_COSINE` alike, and
    its nearest by colour (`by_colour`, colour_pairs.py). An edit is among the nearest of its
    original, and on Caltech-101 the check runs 6,000 times, not 25,000."""
    nearest: dict[int, int] = {}
    register: set[tuple[int, int]] = set(by_colour)
    for a, b, cosine in sorted(candidates, key=lambda pair: (-pair[2], pair[0], pair[1])):
        if cosine >= REGISTER_COSINE and (nearest.get(a, 0) < REGISTER_NEAREST or nearest.get(b, 0) < REGISTER_NEAREST):
            register.add((a, b))
        nearest[a], nearest[b] = nearest.get(a, 0) + 1, nearest.get(b, 0) + 1
    return register


def _confirmed(candidates: list[tuple[int, int, float]], signatures: dict[int, StoredSignature]
               ) -> dict[tuple[int, int], str]:
    """The candidate pairs ("exact" level) whose upright pixels are the same."""

    def check(pair: tuple[int, int, float]) -> str:
        sa, sb = signatures.get(pair[0]), signatures.get(pair[1])
        return SAME_PIXELS if sa is not None and sb is not None and same_pixels(sa, sb) else ""

    verdicts = [check(pair) for pair in candidates]
    return {(a, b): found for (a, b, _), found in zip(candidates, verdicts, strict=True) if found}


def _group(level: str, members: list[CopyFacts], joined: dict[int, str],
           sharpness: dict[int, float], faces: dict[int, float] | None = None) -> DuplicateGroup:
    keeper, reasons = choose_keeper(members, sharpness, level, faces)
    ordered = [keeper, *sorted((m for m in members if m.id != keeper.id), key=lambda m: m.path)]
    return DuplicateGroup(level, tuple(
        DuplicateMember(m.path, m.width, m.height, m.size, file_format(m), taken(m), sharpness.get(m.id),
                        m.id == keeper.id, () if m.id == keeper.id else differences(m, keeper, sharpness),
                        joined.get(m.id, ""))
        for m in ordered), reasons)
