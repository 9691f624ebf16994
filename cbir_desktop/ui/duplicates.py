"""Keep and reject decisions over duplicate groups, and how the view says them. No Qt and no
engine calls: the view shows these, the wiring acts on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..engine.types import DuplicateGroup, DuplicateMember

__all__ = ["Decisions", "TrashBatch", "describe_member", "megabytes"]


class Decisions:
    """Keep (True) or reject (False) per photo of the groups shown. Every photo starts kept, but
    one its XMP sidecar already rates rejected: nothing goes to the trash unless the person
    rejects it or accepts the suggestions."""

    def __init__(self, groups: Sequence[DuplicateGroup]) -> None:
        self.groups = list(groups)
        self._keep = {m.path: not m.rejected_in_xmp for g in self.groups for m in g.members}

    def keeps(self, path: str) -> bool:
        return self._keep.get(path, True)

    def set_keep(self, path: str, keep: bool) -> None:
        if path in self._keep:
            self._keep[path] = keep

    def accept_suggestions(self) -> None:
        """Each group: its suggested keeper kept, the rest rejected."""
        for group in self.groups:
            for member in group.members:
                self._keep[member.path] = member.keep

    def rejected(self) -> list[DuplicateMember]:
        """The photos marked to go; a group with every photo rejected keeps its suggested keeper
        (the person asked to remove copies, not the photo)."""
        out = []
        for group in self.groups:
            members = [m for m in group.members if not self.keeps(m.path)]
            if len(members) == len(group.members):
                members = [m for m in members if not m.keep]
            out.extend(members)
        return out

    def drop(self, paths: Sequence[str]) -> None:
        """These photos left (trashed): groups keep the rest, and a group of one is no group."""
        gone = set(paths)
        kept = []
        for group in self.groups:
            members = tuple(m for m in group.members if m.path not in gone)
            if len(members) > 1:
                kept.append(DuplicateGroup(group.level, members, group.reasons))
        self.groups = kept
        for path in gone:
            self._keep.pop(path, None)


@dataclass(frozen=True)
class TrashBatch:
    """Photos the window moved to the trash in one action: what an Undo puts back."""

    paths: tuple[str, ...]


def megabytes(size: int) -> str:
    """A file size as people read it: "840 KB", "3.2 MB"."""
    return f"{size / 1e3:.0f} KB" if size < 1e6 else f"{size / 1e6:.1f} MB"


def describe_member(member: DuplicateMember) -> list[str]:
    """The lines under a photo: what matters when choosing; differences from the keeper first
    in bold (HTML)."""
    facts = {
        "resolution": f"{member.width}×{member.height}",
        "file size": megabytes(member.size),
        "format": member.file_format,
        "date": member.taken.replace("T", " ")[:19] if member.taken else "no date",
        "sharpness": f"sharpness {member.sharpness:.0f}" if member.sharpness is not None else "sharpness ?",
    }
    lines = [f"<b>{text}</b>" if name in member.differences else text for name, text in facts.items()]
    return lines + ([f"<i>{member.why}</i>"] if member.why and not member.keep else [])
