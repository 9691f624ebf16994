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
with its reasons and, per member, what differs from it (keeper.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection

from ..storage.catalogue import Catalogue
from ..storage.culling_rows import CopyFacts, StoredSignature, copy_facts, same_content, sharpness_of
from ..types import DUPLICATE_LEVELS, DuplicateGroup, DuplicateMember
from .cache import signatures_for
from .confirm import SAME_PIXELS, same_pixels, same_shot
from .face_sharpness import face_sharpness
from .groups import connected
from .incremental import IndexFor, same_candidates
from .keeper import SERIES, choose_keeper, differences, file_format, taken
from .neighbours import close_pairs, library_vectors
from .series import DEFAULT_WINDOW_S, series_pairs
from .verdicts import check_and_keep, reusable

EXACT_COSINE = 0.95
SAME_COSINE = 0.70  # neardup/'s rotated and greyscale variants: 0.62-0.83 to one another, joined through the rest
THREADS = max(1, min(4, os.cpu_count() or 1))
REGISTER_NEAREST = 2
REGISTER_COSINE = 0.78  # neardup/'s crop and rotations: 0.80-0.84
SAME_BYTES = "same bytes"
SAME_SERIES = "same series"

Progress = Callable[[int, int], None]


def find_duplicates(catalogue: Catalogue, model_id: str, level: str = "same", window_s: float = DEFAULT_WINDOW_S,
                    keep_signatures: bool = True, progress: Progress | None = None,
                    index_for: IndexFor | None = None) -> list[DuplicateGroup]:
    """The groups of `level`, largest first. Reads the pixels of candidate photos it has not
    read before (`progress(done, total)` counts them) and keeps what it read, the verdicts and
    which photos were searched unless `keep_signatures` is False (a read-only library). With
    the library's image index (`index_for(dims)`), "same" searches only new photos when it can."""
    if level not in DUPLICATE_LEVELS:
        raise ValueError(f"unknown level {level!r}: one of {', '.join(DUPLICATE_LEVELS)}")
    facts = copy_facts(catalogue)
    why: dict[tuple[int, int], str] = {}
    signatures: dict[int, StoredSignature] = {}
    if level in ("exact", "same"):
        for copies in same_content(catalogue):
            why.update({(copies[0], other): SAME_BYTES for other in copies[1:]})
    if level == "series":
        ids, matrix = library_vectors(catalogue, model_id)
        why.update({(a, b): SAME_SERIES for a, b, _ in series_pairs(facts, ids, matrix, window_s)})
    elif level == "exact":
        ids, matrix = library_vectors(catalogue, model_id)
        candidates = close_pairs(ids, matrix, EXACT_COSINE)
        del matrix
        known = {frozenset(pair) for pair in why}
        candidates = [(a, b, c) for a, b, c in candidates if frozenset((a, b)) not in known]
        signatures = signatures_for(catalogue, facts, {p for a, b, _ in candidates for p in (a, b)},
                                    keep_signatures, progress)
        why.update(_confirmed(candidates, signatures))
    else:
        signatures = _same_shots(catalogue, model_id, facts, why, index_for, keep_signatures, progress)
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


def _same_shots(catalogue: Catalogue, model_id: str, facts: dict[int, CopyFacts],
                why: dict[tuple[int, int], str], index_for: IndexFor | None, keep: bool,
                progress: Progress | None) -> dict[int, StoredSignature]:
    """Add to `why` the candidate pairs the pixel checks find the same shot, reusing the kept
    verdicts that still hold (verdicts.py) and keeping the new ones; the candidates are searched
    again only for new photos when the record allows (incremental.py). Returns the signatures read."""
    found = same_candidates(catalogue, model_id, SAME_COSINE, index_for, keep)
    known = {frozenset(pair) for pair in why}
    candidates = [(a, b, c) for a, b, c in found.pairs if frozenset((a, b)) not in known]
    register = _registered(candidates + [(a, b, c) for a, b, c in found.counted if frozenset((a, b)) not in known],
                           found.by_colour)
    why.update((pair, verdict) for pair, verdict in found.settled.items() if frozenset(pair) not in known)
    verdicts, unsure = reusable(candidates, register, found.kept, facts)
    signatures = signatures_for(catalogue, facts, {p for a, b, _ in unsure for p in (a, b)}, keep, progress)

    def check(pair: tuple[int, int, float], allowed: bool) -> str:
        sa, sb = signatures.get(pair[0]), signatures.get(pair[1])
        return "" if sa is None or sb is None else same_shot(sa, sb, allowed)

    verdicts.update(check_and_keep(catalogue, facts, unsure, register, check, keep, THREADS))
    why.update((pair, verdict) for pair, verdict in verdicts.items() if verdict)
    return signatures


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
