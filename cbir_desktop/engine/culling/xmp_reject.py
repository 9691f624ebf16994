"""Rejects written as an XMP rating instead of moving files, for photographers who cull in
another tool: `xmp:Rating="-1"` is the reject of Bridge, Lightroom, darktable and digiKam.

Only sidecars are written, named as the tag writer names them (`sidecars.sidecar_path`: the
JPEG of a RAW+JPEG pair gets `IMG_1.JPG.xmp`, never the RAW's `IMG_1.xmp`); the photo is never
opened and the catalogue never changes. An existing sidecar is edited in place, all else in it
kept, the rating in the form it was written in (attribute or element). Each photo keeps what an
undo needs: the sidecar's old bytes (or that there was none) and the rating it had. A sidecar
untouched since gets its old bytes back (or goes, if the app made it); one changed since (tags
written, another tool) gets only its rating back. A damaged or read-only sidecar is skipped with
the reason; the others go on.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from lxml import etree

from ..errors import SidecarUnreadable
from ..files import write_atomic
from ..photos.sidecars import (
    NS,
    PROPERTY_NS,
    add_element,
    edit_sidecar_file,
    parse_packet,
    remove_element,
    sidecar_path,
)
from ..types import DuplicateGroup, Failure, XmpRejection, XmpRejectReport, XmpUndoReport

__all__ = ["REJECT", "mark_rejected", "undo_rejected"]

REJECT = "-1"  # the XMP rating that means rejected (1..5 are stars, 0 is unrated)

_XMP = PROPERTY_NS["xmp"]
_RATING = f"{{{_XMP}}}Rating"
_DESCRIPTION = f"{{{NS['rdf']}}}Description"
_ABOUT = f"{{{NS['rdf']}}}about"
_RDF = f"{{{NS['rdf']}}}RDF"
_FRAME = {f"{{{NS['x']}}}xmpmeta", f"{{{NS['x']}}}xapmeta", _RDF, _DESCRIPTION}

# A sidecar made for a rating alone: exiftool's wrapper, one rdf:Description declaring xmp.
_NEW_SIDECAR = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    f'<x:xmpmeta xmlns:x="{NS["x"]}">\n'
    f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">\n'
    f'  <rdf:Description rdf:about="" xmlns:xmp="{_XMP}"/>\n'
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="w"?>\n'
).encode()


class _Skipped(Exception):
    """A photo left as it was; the message is the one-line reason."""


def mark_rejected(paths: Sequence[str]) -> XmpRejectReport:
    """Write the reject rating into each photo's sidecar (made when missing). Blocking I/O on
    the calling thread; never raises for one photo: it goes to `failed` with the reason."""
    marked: list[XmpRejection] = []
    failed: list[Failure] = []
    for photo in dict.fromkeys(os.path.abspath(p) for p in paths):
        try:
            marked.append(_mark(photo))
        except _Skipped as exc:
            failed.append(Failure(photo, str(exc)))
    return XmpRejectReport(tuple(marked), tuple(failed))


def undo_rejected(report: XmpRejectReport) -> XmpUndoReport:
    """Put each marked photo's sidecar back as it was: the rating it had, none, or no sidecar
    where the app made one that holds nothing else now. A sidecar whose rating is no longer the
    reject (changed in another tool since) is left as it is, and said."""
    restored: list[str] = []
    failed: list[Failure] = []
    for mark in reversed(report.marked):
        try:
            _undo(mark)
        except _Skipped as exc:
            failed.append(Failure(mark.path, str(exc)))
        else:
            restored.append(mark.path)
    return XmpUndoReport(tuple(reversed(restored)), tuple(failed))


def rejected_in_xmp(photo: str) -> bool:
    """Whether the photo's sidecar (named as `mark_rejected` names it) rates it rejected (-1);
    False when there is none or it cannot be read. A stat for a photo without a sidecar."""
    path = sidecar_path(photo)
    try:
        xmp = path.read_bytes()
    except OSError:
        return False
    try:
        return _rating(parse_packet(path, xmp)) == REJECT
    except SidecarUnreadable:
        return False


def with_xmp_rejects(groups: Sequence[DuplicateGroup]) -> list[DuplicateGroup]:
    """`groups` with each member's `rejected_in_xmp` read from its sidecar: a photo marked
    rejected before (here or in another tool) shows as rejected when the groups are found again.
    Each folder is listed once: only a member with a sidecar beside it is looked at further
    (60,000 members took a few stats each, seconds on a busy machine)."""
    sidecars: dict[str, frozenset[str] | None] = {}
    out = []
    for group in groups:
        marked = [_may_have_sidecar(m.path, sidecars) and rejected_in_xmp(m.path) for m in group.members]
        out.append(replace(group, members=tuple(replace(m, rejected_in_xmp=True) if rejected else m
                                                for m, rejected in zip(group.members, marked, strict=True)))
                   if any(marked) else group)
    return out


def _may_have_sidecar(photo: str, listed: dict[str, frozenset[str] | None]) -> bool:
    """False when the photo's folder holds no sidecar of either name (`IMG_1.xmp`,
    `IMG_1.jpg.xmp`; compared case-folded); `listed` keeps each folder's XMP names (None: the
    folder could not be listed, so every photo in it is looked at)."""
    folder, name = os.path.split(photo)
    if folder not in listed:
        try:
            with os.scandir(folder or ".") as entries:
                listed[folder] = frozenset(e.name.casefold() for e in entries if e.name[-4:].casefold() == ".xmp")
        except (FileNotFoundError, NotADirectoryError):
            listed[folder] = frozenset()  # no folder, no sidecar
        except OSError:
            listed[folder] = None
    names = listed[folder]
    if names is None:
        return True
    stem = os.path.splitext(name)[0]
    return f"{name}.xmp".casefold() in names or f"{stem}.xmp".casefold() in names


# -- one photo ----------------------------------------------------------------------------------
def _mark(photo: str) -> XmpRejection:
    if not os.path.isfile(photo):
        raise _Skipped("the photo is no longer there")
    path = sidecar_path(photo)
    previous = _read(path)
    before: list[str | None] = []

    def reject(rdf: etree._Element) -> None:
        before.append(_set_rating(rdf, REJECT))

    _write(path, reject)
    written = hashlib.sha256(_read(path) or b"").hexdigest()
    return XmpRejection(photo, str(path), before[0], previous is None, previous, written)


def _undo(mark: XmpRejection) -> None:
    path = Path(mark.sidecar)
    data = _read(path)
    if data is None:
        raise _Skipped(f"its sidecar {path.name} is gone")
    if mark.written and hashlib.sha256(data).hexdigest() == mark.written:
        _put_bytes_back(path, mark.previous)  # untouched since: exactly as it was
        return
    try:
        root = parse_packet(path, data)
    except SidecarUnreadable as exc:
        raise _Skipped(f"its sidecar {path.name} is damaged now ({exc.detail})") from None
    now = _rating(root)
    if now != REJECT:
        raise _Skipped(f"its rating was changed since (to {now or 'none'}); left as it is")
    if mark.created and _holds_only_the_rating(root):
        _put_bytes_back(path, None)
        return
    _write(path, lambda rdf: _put_back(rdf, mark.before))


def _read(path: Path) -> bytes | None:
    """The sidecar's bytes; None when there is none."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _Skipped(f"its sidecar {path.name} cannot be read ({exc.strerror or exc})") from None


def _put_bytes_back(path: Path, previous: bytes | None) -> None:
    """The sidecar's old bytes written back, or the sidecar removed where there was none."""
    _check_writable(path)
    try:
        if previous is None:
            path.unlink()
        else:
            write_atomic(path, previous)
    except OSError as exc:
        raise _Skipped(f"its sidecar {path.name} could not be put back ({exc.strerror or exc})") from None


def _write(path: Path, edit: Callable[[etree._Element], None]) -> None:
    """Apply `edit` to the sidecar at `path` (made when missing) and save it, or say why not."""
    if path.exists():
        _check_writable(path)
    try:
        edit_sidecar_file(path, edit, new=_NEW_SIDECAR)
    except SidecarUnreadable as exc:
        raise _Skipped(f"its sidecar {path.name} is damaged ({exc.detail})") from None
    except OSError as exc:
        raise _Skipped(f"its sidecar {path.name} could not be written ({exc.strerror or exc})") from None


def _check_writable(path: Path) -> None:
    """A sidecar someone made read-only is left alone, even where the rename over it would work
    (a writable folder, or root): the user or another tool asked for it to stay."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise _Skipped(f"its sidecar {path.name} cannot be read ({exc.strerror or exc})") from None
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise _Skipped(f"its sidecar {path.name} is read-only")


# -- the rating in a document -------------------------------------------------------------------
def _find(root: etree._Element) -> tuple[etree._Element, bool] | None:
    """Where the rating is: (its rdf:Description, True) for an attribute, (the element, False)
    for `<xmp:Rating>`; None when the document holds none. XMP allows one per file."""
    for description in _descriptions(root):
        if _RATING in description.attrib:
            return description, True
        element = description.find(_RATING)
        if element is not None:
            return element, False
    return None


def _descriptions(root: etree._Element) -> list[etree._Element]:
    """The top-level rdf:Descriptions (those inside a struct, as in face regions, hold no rating)."""
    found: list[etree._Element] = []
    for rdf in root.iter(_RDF):
        found.extend(rdf.findall(_DESCRIPTION))
    return found


def _rating(root: etree._Element) -> str | None:
    found = _find(root)
    if found is None:
        return None
    holder, as_attribute = found
    return (holder.get(_RATING) if as_attribute else holder.text or "").strip() or None


def _set_rating(rdf: etree._Element, value: str) -> str | None:
    """Set the rating where it is (in its own form), else as an attribute of a Description where
    `xmp` is declared, else of a new Description declaring it; returns the rating before."""
    before = _rating(rdf)
    found = _find(rdf)
    if found is not None:
        holder, as_attribute = found
        if as_attribute:
            holder.set(_RATING, value)
        else:
            holder.text = value
        return before
    description = next((d for d in _descriptions(rdf) if _XMP in d.nsmap.values()), None)
    if description is None:  # a prefix cannot be declared on an existing element: lxml would invent ns0
        description = add_element(rdf, "Description", "rdf", NS["rdf"], declare={"xmp": _XMP})
        description.set(_ABOUT, "")
    description.set(_RATING, value)
    return before


def _put_back(rdf: etree._Element, before: str | None) -> None:
    """The rating as it was: its value back, or taken out (with a Description left empty)."""
    if before is not None:
        _set_rating(rdf, before)
        return
    found = _find(rdf)
    if found is None:
        return
    holder, as_attribute = found
    description = holder if as_attribute else holder.getparent()
    if as_attribute:
        del holder.attrib[_RATING]
    else:
        remove_element(holder)
    if description is not None and _empty(description):
        remove_element(description)


def _empty(description: etree._Element) -> bool:
    return len(description) == 0 and set(description.attrib) <= {_ABOUT}


def _holds_only_the_rating(root: etree._Element) -> bool:
    """Whether the sidecar says nothing but the rating: no other property anywhere."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment or processing instruction says nothing
        if element.tag not in _FRAME:
            return False
        if element.tag == _DESCRIPTION and not set(element.attrib) <= {_ABOUT, _RATING}:
            return False
    return True
