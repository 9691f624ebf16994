"""Writing tags to XMP sidecars (`photo.xmp` beside `photo.jpg`), never to the photo.

Keywords go to `dc:subject` and folder hierarchies to `lr:hierarchicalSubject`
("Birds|Herons"), the fields Lightroom, darktable, digiKam and exiftool read. An
existing sidecar is merged, not replaced: its other fields and keywords stay.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from ..files import write_atomic

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def read_keywords(xmp: bytes | str | None) -> list[str]:
    """dc:subject keywords of an XMP packet (embedded or a sidecar's text); [] if unreadable."""
    if not xmp:
        return []
    try:
        root = ET.fromstring(xmp)
    except ET.ParseError:
        return []
    words = []
    for subject in root.iter(_q("dc", "subject")):
        for li in subject.iter(_q("rdf", "li")):
            if li.text and li.text.strip() and li.text.strip() not in words:
                words.append(li.text.strip())
    return words


def sidecar_keywords(photo: str | os.PathLike[str]) -> list[str]:
    """Keywords in the photo's `.xmp` sidecar, if it has one."""
    path = sidecar_path(photo)
    try:
        return read_keywords(path.read_bytes()) if path.is_file() else []
    except OSError:
        return []


def sidecar_path(photo: str | os.PathLike[str]) -> Path:
    """`IMG_1.jpg` -> `IMG_1.xmp` (the convention most photo tools follow)."""
    return Path(photo).with_suffix(".xmp")


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _empty() -> ET.ElementTree:
    root = ET.Element(_q("x", "xmpmeta"))
    rdf = ET.SubElement(root, _q("rdf", "RDF"))
    ET.SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})
    return ET.ElementTree(root)


def _bag(description: ET.Element, prefix: str, name: str) -> ET.Element:
    """The rdf:Bag of a property, created when missing."""
    prop = description.find(f"{prefix}:{name}", NS)
    if prop is None:
        prop = ET.SubElement(description, _q(prefix, name))
    bag = prop.find("rdf:Bag", NS)
    if bag is None:
        bag = ET.SubElement(prop, _q("rdf", "Bag"))
    return bag


def write_keywords(photo: str | os.PathLike[str], keywords: Iterable[str],
                   hierarchies: Iterable[str] = ()) -> Path:
    """Merge keywords (and 'A|B' hierarchies) into the photo's sidecar; returns its path."""
    path = sidecar_path(photo)
    tree = ET.parse(path) if path.is_file() else _empty()
    root = tree.getroot()
    assert root is not None  # a parsed or newly built tree always has its root
    description = root.find("rdf:RDF/rdf:Description", NS)
    if description is None:
        rdf = root.find("rdf:RDF", NS)
        if rdf is None:
            rdf = ET.SubElement(root, _q("rdf", "RDF"))
        description = ET.SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})
    for prefix, name, values in (("dc", "subject", keywords), ("lr", "hierarchicalSubject", hierarchies)):
        values = list(values)
        if not values:
            continue
        bag = _bag(description, prefix, name)
        # Case-insensitive: "Lisbon" already there is the same keyword as our "lisbon".
        present = {(li.text or "").lower() for li in bag.findall("rdf:li", NS)}
        for value in values:
            if value.lower() not in present:
                ET.SubElement(bag, _q("rdf", "li")).text = value
                present.add(value.lower())
    return write_atomic(path, lambda handle: tree.write(handle, encoding="utf-8", xml_declaration=False))
