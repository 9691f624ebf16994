"""Bursts stacked in the library view: each series of shots (series.py) behind its top photo.

`burst_stacks` finds them for the whole library cheaply: photo facts first, then the image
vectors of only the photos with another shot of their camera within the window (a small
share of a library), then the pixels (sharpness, for the top) of only the burst members,
kept in the catalogue by the Duplicates window's cache. `stacked_rows` folds a listing page
behind its tops: a pure function, so the window's model only shows what it returns.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from ..photos.formats import RAW_EXTENSIONS, extension
from ..storage.catalogue import FEATURES, Catalogue
from ..storage.culling_rows import CopyFacts, copy_facts
from ..types import BurstStack, PhotoGroup, SearchHit, StackMark
from .cache import signatures_for
from .groups import connected
from .keeper import SERIES, choose_keeper
from .series import DEFAULT_WINDOW_S, series_pairs

Row = SearchHit | PhotoGroup  # a photo, or the header of the group the photos after it are in


def burst_stacks(catalogue: Catalogue, model_id: str, window_s: float = DEFAULT_WINDOW_S,
                 keep_signatures: bool = True) -> list[BurstStack]:
    """Every burst of the library, oldest first: its top (the sharpest shot, as the Duplicates
    window suggests keeping) and its shots in the order taken. A RAW beside its JPEG is one
    shot with it, not a burst of two: only the JPEG (what the library view shows) is stacked."""
    every = copy_facts(catalogue)
    others = {os.path.splitext(f.path)[0] for f in every.values() if extension(f.path) not in RAW_EXTENSIONS}
    facts = {pid: f for pid, f in every.items()
             if extension(f.path) not in RAW_EXTENSIONS or os.path.splitext(f.path)[0] not in others}
    near = _close_in_time(facts.values(), window_s)
    vectors = catalogue.vectors_of(sorted(near), model_id, FEATURES)
    if len(vectors) < 2:
        return []
    ids = np.array(sorted(vectors), np.int64)
    matrix = np.stack([vectors[int(pid)] / max(float(np.linalg.norm(vectors[int(pid)])), 1e-12) for pid in ids])
    pairs = series_pairs({int(pid): facts[int(pid)] for pid in ids}, ids, matrix.astype(np.float32), window_s)
    groups = connected((a, b) for a, b, _ in pairs)
    members = {pid for group in groups for pid in group}
    signatures = signatures_for(catalogue, facts, members, keep_signatures)
    sharpness = {pid: s.sharpness for pid, s in signatures.items() if s.readable}
    stacks = []
    for group in groups:
        shots = sorted((facts[pid] for pid in group), key=lambda f: (f.when, f.path))
        top, _ = choose_keeper(shots, sharpness, SERIES)
        stacks.append((shots[0].when, BurstStack(top.path, tuple(f.path for f in shots))))
    return [stack for _, stack in sorted(stacks, key=lambda item: (item[0], item[1].members[0]))]


def stacks_by_path(stacks: Iterable[BurstStack]) -> dict[str, BurstStack]:
    """Each burst shot's path to its stack."""
    return {path: stack for stack in stacks for path in stack.members}


def stacked_rows(rows: Sequence[Row], stack_of: Mapping[str, BurstStack], expanded: Collection[str] = (),
                 more: bool = False) -> list[tuple[Row, StackMark | None]]:
    """`rows` (photos, and group headers) with each burst folded behind one photo: its top, or
    the first of its shots listed when the top is not (filters left it out). A stack whose top
    is in `expanded` shows its other shots right after the top, in the order taken. Shots the
    rows do not hold are not counted (filters apply), and a burst with one shot listed is no
    stack. A header that no photo follows any more goes, but the last while `more` may bring its photos."""
    listed: dict[str, list[str]] = {}  # a stack's top -> its shots among the rows, as taken
    for row in rows:
        if isinstance(row, SearchHit) and row.path in stack_of:
            listed.setdefault(stack_of[row.path].top, []).append(row.path)
    for top, paths in listed.items():
        order = {path: n for n, path in enumerate(stack_of[top].members)}
        paths.sort(key=order.__getitem__)
    shown_top = {top: (top if top in paths else paths[0]) for top, paths in listed.items() if len(paths) > 1}
    by_path = {row.path: row for row in rows if isinstance(row, SearchHit)}
    out: list[tuple[Row, StackMark | None]] = []
    for row in rows:
        stack = stack_of.get(row.path) if isinstance(row, SearchHit) else None
        if not isinstance(row, SearchHit) or stack is None or stack.top not in shown_top:
            out.append((row, None))
            continue
        if row.path != shown_top[stack.top]:
            continue  # behind its top
        shots = listed[stack.top]
        is_open = stack.top in expanded
        out.append((row, StackMark(stack.top, len(shots), True, is_open)))
        if is_open:
            others = [path for path in shots if path != row.path]
            out += [(by_path[path], StackMark(stack.top, len(shots), False, True, n))
                    for n, path in enumerate(others, start=2)]
    return _without_empty_headers(out, more)


def _without_empty_headers(rows: list[tuple[Row, StackMark | None]], more: bool
                           ) -> list[tuple[Row, StackMark | None]]:
    kept = []
    for i, item in enumerate(rows):
        following = rows[i + 1][0] if i + 1 < len(rows) else None
        if isinstance(item[0], PhotoGroup) and (isinstance(following, PhotoGroup) or (following is None and not more)):
            continue
        kept.append(item)
    return kept


def _close_in_time(facts: Iterable[CopyFacts], window_s: float) -> set[int]:
    """Photos with another shot of their camera within `window_s` seconds: the only ones a
    burst can hold (photos without a camera never form one)."""
    shots = sorted((f for f in facts if f.camera is not None), key=lambda f: (f.camera, f.when))
    near: set[int] = set()
    for first, second in zip(shots, shots[1:], strict=False):
        if first.camera == second.camera and second.when - first.when <= window_s:
            near.update((first.id, second.id))
    return near

