"""Where a photo sits among the library's watched folders."""

from __future__ import annotations

import os


def root_of(path: str, roots: list[str]) -> str | None:
    """The innermost watched folder holding `path` (None: outside them all)."""
    return max((r for r in roots if path.startswith(os.path.join(r, ""))), key=len, default=None)


def folder_hierarchy(path: str, roots: list[str]) -> str | None:
    """The folders between the photo's watched folder and the photo, as "Birds|Herons" (None: none)."""
    root = root_of(path, roots)
    if root is None:
        return None
    relative = os.path.relpath(os.path.dirname(path), root)
    return None if relative in (".", "") else "|".join(relative.split(os.sep))
