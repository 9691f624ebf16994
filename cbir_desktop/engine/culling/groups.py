"""Pairs found the same into groups: the connected photos, largest group first."""

from __future__ import annotations

from collections.abc import Iterable


def connected(pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Groups of photo ids joined by `pairs` (union-find), each sorted, largest first."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    found: dict[int, list[int]] = {}
    for x in parent:
        found.setdefault(root(x), []).append(x)
    return sorted((sorted(g) for g in found.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))
