"""Named face regions in XMP, the form other photo tools keep people in: read at indexing, written on naming.

Two forms are read, from the photo's embedded XMP packet and from its sidecars: the Metadata Working
Group's `mwg-rs:Regions` (digiKam, Lightroom, Picasa, exiftool), whose `stArea:x`/`y` is the box's
centre, and Microsoft's `MP:RegionInfo` (Windows Photo Gallery), whose `MPReg:Rectangle` "x, y, w, h"
is its top-left corner and size; both in fractions of the image. Only regions of Type "Face" with a
name are read: a name is what another tool's user confirmed. A sidecar that names faces wins over
the packet inside the file, as a sidecar's word wins for the other metadata (metadata.py). MWG is
written, with each name as a person keyword (`dc:subject` "Anna", `lr:hierarchicalSubject`
"People|Anna", the People tree digiKam and Lightroom keep).

Orientation: the MWG guidelines (2.0, section 5.9) apply regions to the image *as stored*, so a
photo whose EXIF Orientation turns it for display has its regions turned with it, and
`mwg-rs:AppliedToDimensions` is the stored pixel size; digiKam (since 6.0) and exiftool's
rotate_regions.config follow this. This module turns stored boxes upright on reading and back on
writing. A region list whose AppliedToDimensions has the upright shape of a turned photo was written
by a tool that ignored the orientation: its boxes are taken as upright already. Microsoft's regions
carry no size and are read as stored, like MWG's.
"""

from __future__ import annotations

import io
import logging
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from PIL import Image

from ..errors import SidecarUnreadable
from .sidecars import (
    NS,
    add_element,
    edit_sidecar,
    merge_keywords,
    parse_packet,
    remove_element,
    sidecar_packets,
    sidecar_path,
)

__all__ = ["PEOPLE", "FaceRegion", "read_face_regions", "write_face_regions"]

log = logging.getLogger(__name__)

PEOPLE = "People"  # the root of the person keywords' hierarchy ("People|Anna")

_RDF = NS["rdf"]
_MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
_ST_AREA = "http://ns.adobe.com/xmp/sType/Area#"
_ST_DIM = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
_MP = "http://ns.microsoft.com/photo/1.2/"
_MPRI = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
_MPREG = "http://ns.microsoft.com/photo/1.2/t/Region#"
_CONTAINERS = {f"{{{_RDF}}}{name}" for name in ("Bag", "Seq", "Alt")}
_TURNED = (5, 6, 7, 8)  # EXIF orientations that swap width and height
_SLACK = 0.01  # how far past the image edge a stored box may reach (rounding) before it is refused

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FaceRegion:
    """A named face: `box` is (x, y, w, h) of the *upright* photo (EXIF orientation applied), in
    fractions of its width and height, with (x, y) the box's top-left corner and the origin at the
    photo's top-left."""

    name: str
    box: Box


@dataclass(frozen=True)
class _Found:
    """Face regions as one packet stores them: boxes of the stored image, and the size they apply to."""

    regions: list[FaceRegion]
    applied_to: tuple[float, float] | None = None  # mwg-rs:AppliedToDimensions (w, h)


@dataclass(frozen=True)
class _Header:
    xmp: bytes | str | None = None
    orientation: int = 1
    size: tuple[int, int] | None = None  # stored pixel size, before orientation


def read_face_regions(photo: str | os.PathLike[str], data: bytes | None = None,
                      orientation: int | None = None) -> list[FaceRegion]:
    """Named faces that the photo's sidecar or embedded XMP holds (sidecar first), upright.

    `data` is the photo's bytes when the caller has read them; `orientation` its EXIF orientation
    when known (a RAW's, which Pillow may not see), else read from the file. For indexing: blocking
    I/O on the calling thread, and it never raises: a damaged packet or region is skipped with a
    logged warning saying why, and a photo without regions costs a header parse.
    """
    photo = Path(photo)
    found = None
    for path, root in sidecar_packets(photo, "Face regions"):
        found = _face_regions(root, path)
        if found:
            break
    header = _read_header(photo, data)
    if not found and header.xmp is not None and _may_hold_regions(header.xmp):
        try:
            found = _face_regions(parse_packet(photo, header.xmp), photo)
        except SidecarUnreadable as exc:
            log.warning("Face regions in %s skipped: its embedded XMP is damaged (%s)", photo, exc)
    if not found:
        return []
    turn = header.orientation if orientation is None else orientation
    if _already_upright(found.applied_to, header.size, turn):
        turn = 1
    return [FaceRegion(region.name, _upright(region.box, turn)) for region in found.regions]


def write_face_regions(photo: str | os.PathLike[str], regions: Iterable[FaceRegion], width: int, height: int,
                       orientation: int | None = None) -> Path:
    """Write named faces into the photo's sidecar as MWG face regions and person keywords.

    `width` and `height` are the photo's upright pixel size, `orientation` its EXIF orientation
    (read from the file when None): boxes are stored turned back to the stored image, with its size
    as AppliedToDimensions. The sidecar's face regions are replaced (a Microsoft list too, when it
    has one, so that the two agree); its other regions, keywords and fields are kept. A name that
    lost its face here also loses its keyword and People entry. Regions without a name are not
    written. Blocking I/O; returns the sidecar's path; the photo itself is never written.

    Raises:
        SidecarUnreadable: the existing sidecar is not XMP; it is left as it was.
        OSError: the sidecar cannot be read or written.
        ValueError: the size is not positive, or a named box is empty or not inside the photo.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"a photo's size must be positive, not {width} x {height}")
    photo = Path(photo)
    turn = _read_header(photo, None).orientation if orientation is None else orientation
    size = (height, width) if turn in _TURNED else (width, height)
    named = [FaceRegion(region.name.strip(), region.box) for region in regions if region.name.strip()]
    for region in named:
        x, y, w, h = region.box
        if not (w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= 1 + 1e-9 and y + h <= 1 + 1e-9):
            raise ValueError(f"the face box of {region.name!r} is not inside the photo: {region.box}")
    stored = [FaceRegion(region.name, _stored(region.box, turn)) for region in named]
    names = list(dict.fromkeys(region.name for region in stored))
    sidecar = sidecar_path(photo)

    def edit(rdf: etree._Element) -> None:
        before = _names_in(rdf, sidecar)
        _replace_mwg(rdf, stored, size)
        _replace_mp(rdf, stored)
        lost = [name for name in before if name.casefold() not in {n.casefold() for n in names}]
        merge_keywords(rdf, names, [f"{PEOPLE}|{name}" for name in names],
                       removed_exactly=[*lost, *(f"{PEOPLE}|{name}" for name in lost)])

    return edit_sidecar(photo, edit)


# -- the photo ----------------------------------------------------------------------------------
def _read_header(photo: Path, data: bytes | None) -> _Header:
    """The embedded XMP, EXIF orientation and stored size; nothing when Pillow cannot open it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # damaged EXIF warns; regions do not depend on it
            with Image.open(io.BytesIO(data) if data is not None else photo) as image:
                xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
                try:
                    orientation = int(image.getexif().get(0x0112, 1))
                except Exception:  # noqa: BLE001 - a damaged EXIF block leaves the photo as stored
                    orientation = 1
                return _Header(xmp if isinstance(xmp, (bytes, str)) else None,
                               orientation if 1 <= orientation <= 8 else 1, image.size)
    except Exception as exc:  # noqa: BLE001 - sidecars are still read for a photo Pillow cannot open
        log.debug("No embedded XMP read from %s: %s", photo, exc)
        return _Header()


def _may_hold_regions(xmp: bytes | str) -> bool:
    """A cheap test before parsing: both forms' list properties are named `...:Regions`."""
    return b"Regions" in xmp if isinstance(xmp, bytes) else "Regions" in xmp


def _already_upright(applied_to: tuple[float, float] | None, size: tuple[int, int] | None, turn: int) -> bool:
    """True when the regions' AppliedToDimensions has the upright shape of a turned, non-square photo."""
    if applied_to is None or size is None or turn not in _TURNED:
        return False
    stored_ratio, applied_ratio = size[0] / size[1], applied_to[0] / applied_to[1]
    if abs(stored_ratio - 1) <= _SLACK:
        return False
    return abs(applied_ratio * stored_ratio - 1) <= _SLACK


# -- turning boxes ------------------------------------------------------------------------------
def _turn_point(x: float, y: float, orientation: int) -> tuple[float, float]:
    """Where a point of the stored image lands once the EXIF orientation is applied."""
    return {
        2: (1 - x, y), 3: (1 - x, 1 - y), 4: (x, 1 - y), 5: (y, x),
        6: (1 - y, x), 7: (1 - y, 1 - x), 8: (y, 1 - x),
    }.get(orientation, (x, y))


def _upright(box: Box, orientation: int) -> Box:
    x, y, w, h = box
    (x1, y1), (x2, y2) = _turn_point(x, y, orientation), _turn_point(x + w, y + h, orientation)
    return (_tidy(min(x1, x2)), _tidy(min(y1, y2)), _tidy(abs(x2 - x1)), _tidy(abs(y2 - y1)))


def _stored(box: Box, orientation: int) -> Box:
    """The inverse of `_upright`: 6 and 8 undo each other, every other orientation undoes itself."""
    return _upright(box, {6: 8, 8: 6}.get(orientation, orientation))


def _tidy(value: float) -> float:
    return round(value, 9)  # 1 - (1 - x) is not always x in floating point


# -- reading XMP --------------------------------------------------------------------------------
def _face_regions(root: etree._Element, source: Path) -> _Found | None:
    """The packet's named MWG face regions, else its Microsoft ones; None when it names no face."""
    found = _mwg(root, source)
    if found is None or not found.regions:
        found = _mp(root, source)
    return found if found is not None and found.regions else None


def _mwg(root: etree._Element, source: Path) -> _Found | None:
    for prop in root.iter(f"{{{_MWG_RS}}}Regions"):
        info = _struct(prop)
        applied_to = _dimensions(_child(info, _MWG_RS, "AppliedToDimensions"), source)
        regions = []
        for item in _items(_child(info, _MWG_RS, "RegionList")):
            if (_field(item, _MWG_RS, "Type") or "").strip().casefold() != "face":
                continue
            name = (_field(item, _MWG_RS, "Name") or "").strip()
            area = _child(item, _MWG_RS, "Area")
            if not name or area is None:
                continue
            box = _mwg_box(area, applied_to, name, source)
            if box is not None:
                regions.append(FaceRegion(name, box))
        return _Found(regions, applied_to)
    return None


def _mwg_box(area: etree._Element, applied_to: tuple[float, float] | None, name: str, source: Path) -> Box | None:
    """The top-left box of an stArea (centre and size), in fractions; None, with a warning, if unusable."""
    values = [_number(_field(area, _ST_AREA, key)) for key in ("x", "y", "w", "h")]
    unit = (_field(area, _ST_AREA, "unit") or "normalized").strip().casefold()
    if any(value is None for value in values):
        log.warning("Face region %r in %s skipped: its area is not four numbers", name, source)
        return None
    x, y, w, h = (value for value in values if value is not None)
    if unit == "pixel" and applied_to is not None:
        x, w, y, h = x / applied_to[0], w / applied_to[0], y / applied_to[1], h / applied_to[1]
    elif unit != "normalized":
        log.warning("Face region %r in %s skipped: area unit %r without the image size", name, source, unit)
        return None
    return _checked((x - w / 2, y - h / 2, w, h), name, source)


def _mp(root: etree._Element, source: Path) -> _Found | None:
    for prop in root.iter(f"{{{_MP}}}RegionInfo"):
        regions = []
        for item in _items(_child(_struct(prop), _MPRI, "Regions")):
            name = (_field(item, _MPREG, "PersonDisplayName") or "").strip()
            if not name:
                continue
            parts = [_number(part) for part in (_field(item, _MPREG, "Rectangle") or "").split(",")]
            numbers = [part for part in parts if part is not None]
            if len(numbers) != 4 or len(parts) != 4:
                log.warning("Face region %r in %s skipped: its rectangle is not four numbers", name, source)
                continue
            box = _checked((numbers[0], numbers[1], numbers[2], numbers[3]), name, source)
            if box is not None:
                regions.append(FaceRegion(name, box))
        return _Found(regions)
    return None


def _checked(box: Box, name: str, source: Path) -> Box | None:
    """The box clipped to the image, or None (with a warning) when it is empty or lies outside it."""
    x, y, w, h = box
    if w <= 0 or h <= 0 or x < -_SLACK or y < -_SLACK or x + w > 1 + _SLACK or y + h > 1 + _SLACK:
        log.warning("Face region %r in %s skipped: its box %s is not inside the image", name, source,
                    ", ".join(f"{v:.3g}" for v in box))
        return None
    left, top = max(x, 0.0), max(y, 0.0)
    return (_tidy(left), _tidy(top), _tidy(min(x + w, 1.0) - left), _tidy(min(y + h, 1.0) - top))


def _dimensions(node: etree._Element | None, source: Path) -> tuple[float, float] | None:
    if node is None:
        return None
    w, h = _number(_field(node, _ST_DIM, "w")), _number(_field(node, _ST_DIM, "h"))
    if w is None or h is None or w <= 0 or h <= 0:
        log.debug("AppliedToDimensions in %s ignored: not a size", source)
        return None
    return (w, h)


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# RDF writes a structure's fields as attributes, as child elements, or inside an rdf:Description.
def _struct(prop: etree._Element) -> etree._Element:
    """The element holding a structure's fields: the property itself, or its rdf:Description."""
    description = prop.find(f"{{{_RDF}}}Description")
    return description if description is not None else prop


def _child(node: etree._Element, uri: str, name: str) -> etree._Element | None:
    child = node.find(f"{{{uri}}}{name}")
    return _struct(child) if child is not None else None


def _field(node: etree._Element, uri: str, name: str) -> str | None:
    tag = f"{{{uri}}}{name}"
    if tag in node.attrib:
        return str(node.attrib[tag])
    child = node.find(tag)
    if child is None:
        return None
    value = _struct(child).get(f"{{{_RDF}}}value")  # a qualified value
    if value is not None:
        return str(value)
    for container in child:
        if container.tag in _CONTAINERS:  # a language alternative: its first item
            first = container.find(f"{{{_RDF}}}li")
            return first.text if first is not None else None
    return str(child.text) if child.text is not None else None


def _items(node: etree._Element | None) -> list[etree._Element]:
    if node is None:
        return []
    return [_struct(li) for container in node if container.tag in _CONTAINERS
            for li in container.iterchildren(f"{{{_RDF}}}li")]


# -- writing XMP --------------------------------------------------------------------------------
def _names_in(rdf: etree._Element, source: Path) -> list[str]:
    """The names of the faces the sidecar holds now, in either form."""
    names = []
    for found in (_mwg(rdf, source), _mp(rdf, source)):
        names += [region.name for region in found.regions] if found is not None else []
    return list(dict.fromkeys(names))


def _replace_mwg(rdf: etree._Element, regions: Sequence[FaceRegion], size: tuple[int, int]) -> None:
    """Swap the MWG face regions for `regions`, keeping regions of other types (focus, pets)."""
    olds = list(rdf.iter(f"{{{_MWG_RS}}}Regions"))
    kept = [item for prop in olds for item in _items(_child(_struct(prop), _MWG_RS, "RegionList"))
            if (_field(item, _MWG_RS, "Type") or "").strip().casefold() != "face"]
    new = None
    if regions or kept:
        parent = olds[0].getparent() if olds else None
        new = add_element(parent if parent is not None else _description(rdf), "Regions", "mwg-rs", _MWG_RS,
                          declare={"stArea": _ST_AREA, "stDim": _ST_DIM})
        _fill_mwg(_resource(new), regions, kept, size)
    _put_in_place(olds, new)


def _fill_mwg(prop: etree._Element, regions: Sequence[FaceRegion], kept: Sequence[etree._Element],
              size: tuple[int, int]) -> None:
    dims = _resource(add_element(prop, "AppliedToDimensions", "mwg-rs", _MWG_RS))
    for key, value in (("w", str(size[0])), ("h", str(size[1])), ("unit", "pixel")):
        add_element(dims, key, "stDim", _ST_DIM).text = value
    bag = add_element(add_element(prop, "RegionList", "mwg-rs", _MWG_RS), "Bag", "rdf", _RDF)
    for region in regions:
        item = _resource(add_element(bag, "li", "rdf", _RDF))
        add_element(item, "Type", "mwg-rs", _MWG_RS).text = "Face"
        add_element(item, "Name", "mwg-rs", _MWG_RS).text = region.name
        area = _resource(add_element(item, "Area", "mwg-rs", _MWG_RS))
        x, y, w, h = region.box
        for key, value in (("x", _decimal(x + w / 2)), ("y", _decimal(y + h / 2)), ("w", _decimal(w)),
                           ("h", _decimal(h)), ("unit", "normalized")):
            add_element(area, key, "stArea", _ST_AREA).text = value
    for item in kept:
        li = add_element(bag, "li", "rdf", _RDF)
        if item.tag == f"{{{_RDF}}}Description":  # the li held a Description: keep that form
            li.append(item)
        else:
            li.attrib.update(item.attrib)
            li.text = item.text
            li.extend(list(item))


def _put_in_place(olds: Sequence[etree._Element], new: etree._Element | None) -> None:
    """Put `new` where the first old property was (an unchanged list then gives unchanged bytes)
    and take the old ones out."""
    if new is not None and olds and olds[0].getparent() is new.getparent():
        remove_element(new)
        new.tail = olds[0].tail
        parent = olds[0].getparent()
        if parent is not None:
            parent.replace(olds[0], new)
        olds = olds[1:]
    for old in olds:
        remove_element(old)


def _replace_mp(rdf: etree._Element, regions: Sequence[FaceRegion]) -> None:
    """Rewrite a Microsoft region list the sidecar already has, so that it agrees with the MWG one."""
    olds = list(rdf.iter(f"{{{_MP}}}RegionInfo"))
    parent = olds[0].getparent() if olds else None
    new = None
    if regions and parent is not None:
        new = _resource(add_element(parent, "RegionInfo", "MP", _MP, declare={"MPRI": _MPRI, "MPReg": _MPREG}))
        bag = add_element(add_element(new, "Regions", "MPRI", _MPRI), "Bag", "rdf", _RDF)
        for region in regions:
            item = _resource(add_element(bag, "li", "rdf", _RDF))
            add_element(item, "PersonDisplayName", "MPReg", _MPREG).text = region.name
            add_element(item, "Rectangle", "MPReg", _MPREG).text = ", ".join(_decimal(v) for v in region.box)
    _put_in_place(olds, new)


def _description(rdf: etree._Element) -> etree._Element:
    description = rdf.find(f"{{{_RDF}}}Description")
    if description is None:
        description = add_element(rdf, "Description", "rdf", _RDF)
        description.set(f"{{{_RDF}}}about", "")
    return description


def _resource(element: etree._Element) -> etree._Element:
    """Mark an element as a structure whose fields are its children, as exiftool writes them."""
    element.set(f"{{{_RDF}}}parseType", "Resource")
    return element


def _decimal(value: float) -> str:
    """Six decimals (a pixel of a 100-MP photo is 1e-4), without trailing zeros or an exponent."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
