"""Tags in XMP sidecars beside photos (`IMG_1.xmp`, or `IMG_1.jpg.xmp`), never in the photo itself.

Keywords go to `dc:subject` and folder hierarchies to `lr:hierarchicalSubject` ("Birds|Herons"),
the fields Lightroom, darktable, digiKam and exiftool read. An existing sidecar is edited, not
rebuilt: lxml keeps its comments, other tools' fields and their namespace prefixes, and the bytes
around the root element (the xpacket wrapper, an XML declaration) are copied as they were. A
sidecar that is not XMP is refused and left alone, never replaced. Photo metadata (a capture
date, a GPS position set in another program) is read from sidecars and embedded packets here too
(`read_properties`, `sidecar_properties`), never written.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from lxml import etree

from ..errors import SidecarUnreadable
from ..files import write_atomic
from .formats import is_photo_name

log = logging.getLogger(__name__)

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
}
# Namespaces of the properties photo metadata is read from (`read_properties`).
PROPERTY_NS = {
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "aux": "http://ns.adobe.com/exif/1.0/aux/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


_DESCRIPTION = _q("rdf", "Description")
_SUBJECT = _q("dc", "subject")
_HIERARCHY = _q("lr", "hierarchicalSubject")
_LI = _q("rdf", "li")
_CONTAINERS = (_q("rdf", "Bag"), _q("rdf", "Seq"), _q("rdf", "Alt"))
_XMP_ROOTS = (_q("x", "xmpmeta"), _q("x", "xapmeta"), _q("rdf", "RDF"))

# A new sidecar looks like exiftool's: the xpacket wrapper around one rdf:Description that declares
# both namespaces we write, so that no property has to declare its own.
_NEW_SIDECAR = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    f'<x:xmpmeta xmlns:x="{NS["x"]}">\n'
    f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">\n'
    f'  <rdf:Description rdf:about="" xmlns:dc="{NS["dc"]}" xmlns:lr="{NS["lr"]}"/>\n'
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="w"?>\n'
).encode()

# All a well-formed XMP file holds outside its root element: whitespace, processing instructions
# (the xpacket wrapper, the XML declaration) and comments. These bytes are copied, not re-serialised.
_MISC = rb"(?:\s|<\?(?:(?!\?>).)*\?>|<!--(?:(?!--).)*-->)*"
_PROLOGUE = re.compile(rb"(?:\xef\xbb\xbf)?" + _MISC, re.S)
_EPILOGUE = re.compile(_MISC + rb"\Z", re.S)

# Indexing asks once per photo whether a folder holds another photo of the same stem, and listing a
# folder of 10,000 raws and their sidecars takes ~8 ms, so listings are cached by the folder's
# mtime. A folder changed in the last 2 s is listed afresh: a second change within one timestamp
# tick (up to 2 s on FAT) would leave its mtime as it was.
_RECENT_NS = 2_000_000_000


def read_keywords(xmp: bytes | str | None) -> list[str]:
    """dc:subject keywords of an XMP packet (embedded in a photo or a sidecar's text); [] if unreadable."""
    if not xmp:
        return []
    try:
        root = etree.fromstring(xmp.encode("utf-8") if isinstance(xmp, str) else xmp, _parser())
    except etree.XMLSyntaxError:
        return []
    return _keywords(root)


def read_properties(xmp: bytes | str | None, names: Iterable[str]) -> dict[str, str]:
    """Simple properties of an XMP packet by prefixed name ("photoshop:DateCreated"; prefixes as in
    `PROPERTY_NS`), written as attributes or elements, the first item of a list for a list; names
    not there are left out, and an unreadable packet gives {}."""
    if not xmp:
        return {}
    try:
        root = etree.fromstring(xmp.encode("utf-8") if isinstance(xmp, str) else xmp, _parser())
    except etree.XMLSyntaxError:
        return {}
    return _properties(root, names)


def sidecar_properties(photo: str | os.PathLike[str], names: Iterable[str]) -> dict[str, str]:
    """`read_properties` of the photo's sidecars (those `sidecar_keywords` reads), the first sidecar
    holding a property giving it; a damaged sidecar gives nothing and a logged warning."""
    found: dict[str, str] = {}
    for path in _sidecars_to_read(Path(photo)):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("Metadata in %s skipped: %s", path, exc)
            continue
        try:
            root = _parse_xmp(path, data).getroot()
        except SidecarUnreadable as exc:
            log.warning("Metadata skipped: %s", exc)
            continue
        for name, value in _properties(root, names).items():
            found.setdefault(name, value)
    return found


def sidecar_path(photo: str | os.PathLike[str]) -> Path:
    """Where the photo's sidecar is written: `IMG_1.xmp` beside `IMG_1.jpg`, the name most tools use.

    `IMG_1.jpg.xmp` (darktable, digiKam) when that exists already or another photo shares the stem
    (`IMG_1.png`), so that two photos never share one sidecar. Lists the folder; never opens the photo.
    """
    photo = Path(photo)
    full = _full_name(photo)
    if full.exists() or _shares_stem(photo):
        return full
    return photo.with_suffix(".xmp")


def sidecar_keywords(photo: str | os.PathLike[str]) -> list[str]:
    """Keywords in the photo's sidecars: `IMG_1.jpg.xmp`, and `IMG_1.xmp` unless another photo
    shares the stem (it may then be that photo's). For indexing: a damaged or unreadable sidecar
    gives no keywords and a logged warning, never an error."""
    words: list[str] = []
    for path in _sidecars_to_read(Path(photo)):
        words.extend(word for word in _file_keywords(path) if word not in words)
    return words


def write_keywords(photo: str | os.PathLike[str], keywords: Iterable[str], hierarchies: Iterable[str] = (),
                   removed: Iterable[str] = ()) -> Path:
    """Merge keywords and 'A|B' hierarchies into the photo's sidecar and take `removed` tags out of it.

    Matching ignores case. A removed tag is taken out of dc:subject, and out of lr:hierarchicalSubject
    wherever an entry equals it or ends in `|tag`; removal runs first, so a tag in both is written.
    Everything else in the sidecar is kept, and an unchanged sidecar is not rewritten. Blocking I/O
    on the calling thread; returns the sidecar's path (`sidecar_path`). The photo is never opened.

    Raises:
        SidecarUnreadable: the existing sidecar is not XMP; it is left as it was.
        OSError: the sidecar cannot be read or written (PermissionError for a read-only folder).
    """
    gone = list(removed)
    return edit_sidecar(photo, lambda rdf: merge_keywords(rdf, keywords, hierarchies, removed=gone))


def edit_sidecar(photo: str | os.PathLike[str], edit: Callable[[etree._Element], None]) -> Path:
    """Apply `edit` to the rdf:RDF element of the photo's sidecar (made when missing) and save it.

    The one way sidecars are written (keywords, face regions): the bytes around the root are kept,
    and an unchanged sidecar is not rewritten. Raises as `write_keywords` does."""
    return edit_sidecar_file(sidecar_path(photo), edit)


def edit_sidecar_file(path: Path, edit: Callable[[etree._Element], None], new: bytes = _NEW_SIDECAR) -> Path:
    """`edit_sidecar` of the sidecar at `path` (one named before, which an undo writes back), made
    from `new` when missing."""
    try:
        original = path.read_bytes()
    except FileNotFoundError:
        original = new
    tree = _parse_xmp(path, original)
    edit(_rdf(tree.getroot()))
    data = _serialise(tree, original)
    if data == original and path.exists():
        return path  # a rewrite would only change the mtime, which Lightroom reads as an outside edit
    return write_atomic(path, data)


def merge_keywords(rdf: etree._Element, keywords: Iterable[str], hierarchies: Iterable[str] = (),
                   removed: Iterable[str] = (), removed_exactly: Iterable[str] = ()) -> None:
    """`write_keywords`' edit of an rdf:RDF element; `removed_exactly` entries leave dc:subject and
    lr:hierarchicalSubject only where they equal them (ignoring case), never by their last part."""
    gone = {_key(tag) for tag in removed} - {""}
    exact = {_key(tag) for tag in removed_exactly} - {""}
    for tag, prefix, values, by_leaf in ((_SUBJECT, "dc", keywords, False), (_HIERARCHY, "lr", hierarchies, True)):
        _remove(rdf, tag, gone, by_leaf)
        _remove(rdf, tag, exact, False)
        _add(rdf, tag, prefix, [value.strip() for value in values if value.strip()])


def parse_packet(source: str | os.PathLike[str], xmp: bytes | str) -> etree._Element:
    """The root of an XMP packet (a sidecar's bytes or one embedded in `source`), parsed safely.

    Raises:
        SidecarUnreadable: not well-formed XML, not XMP, or with a DOCTYPE.
    """
    return _parse_xmp(Path(source), xmp.encode("utf-8") if isinstance(xmp, str) else xmp).getroot()


def sidecar_packets(photo: str | os.PathLike[str], what: str) -> list[tuple[Path, etree._Element]]:
    """The parsed sidecars `sidecar_keywords` reads, in its order; one that is damaged or unreadable
    is left out with a logged warning naming `what` was skipped ("Face regions")."""
    found = []
    for path in _sidecars_to_read(Path(photo)):
        try:
            found.append((path, _parse_xmp(path, path.read_bytes()).getroot()))
        except FileNotFoundError:
            continue
        except (OSError, SidecarUnreadable) as exc:
            log.warning("%s in %s skipped: %s", what, path, exc)
    return found


def add_element(parent: etree._Element, tag: str, prefix: str, uri: str,
                declare: Mapping[str, str] | None = None) -> etree._Element:
    """A new last child `prefix:tag` of namespace `uri`, indented like its siblings; `declare` adds
    prefixes its descendants will use, so that each does not declare its own."""
    return _add_child(parent, f"{{{uri}}}{tag}", prefix, uri, declare)


def remove_element(element: etree._Element) -> None:
    """Take an element out of its document, keeping the indentation around it tidy."""
    _drop(element)


# -- which files --------------------------------------------------------------------------------
def _sidecars_to_read(photo: Path) -> list[Path]:
    """`IMG_1.xmp` (unless another photo shares the stem: it may be that one's), then `IMG_1.jpg.xmp`."""
    paths = [_full_name(photo)]
    short = photo.with_suffix(".xmp")
    if short.is_file() and not _shares_stem(photo):
        paths.insert(0, short)
    return paths


def _full_name(photo: Path) -> Path:
    return photo.with_name(photo.name + ".xmp")


def _shares_stem(photo: Path) -> bool:
    """True when another photo in the folder has the same stem (`a.jpg` beside `a.png` or `A.CR2`).

    Stems are compared case-insensitively: on macOS and Windows `a.xmp` and `A.xmp` are one file."""
    try:
        names = _photos_by_stem(photo.parent).get(photo.stem.casefold(), frozenset())
    except OSError:
        return True  # cannot tell, so take the name that is never shared
    return any(name.casefold() != photo.name.casefold() for name in names)


def _photos_by_stem(folder: Path) -> Mapping[str, frozenset[str]]:
    mtime = os.stat(folder).st_mtime_ns
    if time.time_ns() - mtime < _RECENT_NS:
        return _list_photos(os.fspath(folder))
    return _cached_photos(os.fspath(folder), mtime)


@functools.lru_cache(maxsize=64)
def _cached_photos(folder: str, mtime_ns: int) -> Mapping[str, frozenset[str]]:
    """`mtime_ns` is part of the cache key only: a changed folder is listed again."""
    return _list_photos(folder)


def _list_photos(folder: str) -> Mapping[str, frozenset[str]]:
    """Photo names in `folder`, by case-folded stem."""
    stems: dict[str, set[str]] = {}
    for name in os.listdir(folder):
        if is_photo_name(name):
            stems.setdefault(Path(name).stem.casefold(), set()).add(name)
    return {stem: frozenset(names) for stem, names in stems.items()}


# -- reading ------------------------------------------------------------------------------------
def _parser() -> etree.XMLParser:
    """A parser that never expands entities nor fetches anything: sidecars come from anywhere.

    One per call, since indexing reads sidecars from several threads."""
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _parse_xmp(path: Path, data: bytes) -> etree._ElementTree:
    """The sidecar's document; SidecarUnreadable unless it is well-formed XML with an XMP root."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise SidecarUnreadable(path, f"not well-formed XML: {exc.msg}") from exc
    if root.tag not in _XMP_ROOTS:
        raise SidecarUnreadable(path, f"not an XMP packet: its root element is <{etree.QName(root).localname}>")
    if root.getroottree().docinfo.doctype:  # Adobe's XMP toolkit refuses one too; entities would dangle
        raise SidecarUnreadable(path, "it has a DOCTYPE, which XMP does not allow")
    return root.getroottree()


def _file_keywords(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("Keywords in %s skipped: %s", path, exc)
        return []
    try:
        return _keywords(_parse_xmp(path, data).getroot())
    except SidecarUnreadable as exc:
        log.warning("Keywords skipped: %s", exc)
        return []


def _keywords(root: etree._Element) -> list[str]:
    words: list[str] = []
    for subject in root.iter(_SUBJECT):
        for li in subject.iter(_LI):
            word = (li.text or "").strip()
            if word and word not in words:
                words.append(word)
    return words


def _properties(root: etree._Element, names: Iterable[str]) -> dict[str, str]:
    wanted = {}
    for name in names:
        prefix, _, local = name.partition(":")
        if prefix in PROPERTY_NS:
            wanted[f"{{{PROPERTY_NS[prefix]}}}{local}"] = name
    found: dict[str, str] = {}
    for description in root.iter(_DESCRIPTION):
        for tag, value in description.attrib.items():
            if tag in wanted and value.strip():
                found.setdefault(wanted[tag], value.strip())
        for child in description:
            if child.tag in wanted:
                item = next(child.iter(_LI), child)  # rdf:Seq/Alt/Bag: the first item
                text = (item.text or "").strip()
                if text:
                    found.setdefault(wanted[child.tag], text)
    return found


def _key(text: str | None) -> str:
    # Case-insensitive: "Lisbon" already there is the same keyword as our "lisbon".
    return (text or "").strip().lower()


# -- editing ------------------------------------------------------------------------------------
def _rdf(root: etree._Element) -> etree._Element:
    if root.tag == _q("rdf", "RDF"):
        return root
    rdf = root.find(_q("rdf", "RDF"))
    return rdf if rdf is not None else _add_child(root, _q("rdf", "RDF"), "rdf")


def _description(rdf: etree._Element) -> etree._Element:
    """The rdf:Description that holds dc:subject, else the first one (made when there is none)."""
    descriptions = rdf.findall(_DESCRIPTION)
    for description in descriptions:
        if description.find(_SUBJECT) is not None:
            return description
    if descriptions:
        return descriptions[0]
    description = _add_child(rdf, _DESCRIPTION, "rdf")
    description.set(_q("rdf", "about"), "")
    return description


def _container(prop: etree._Element) -> etree._Element:
    """The property's rdf:Bag (or the Seq or Alt another tool used), made when missing."""
    for child in prop:
        if child.tag in _CONTAINERS:
            return child
    bare = (prop.text or "").strip()  # a plain value where a Bag belongs: keep it as the first item
    prop.text = None
    bag = _add_child(prop, _q("rdf", "Bag"), "rdf")
    if bare:
        _add_child(bag, _LI, "rdf").text = bare
    return bag


def _add(rdf: etree._Element, tag: str, prefix: str, values: list[str]) -> None:
    if not values:
        return
    prop = rdf.find(f"{_DESCRIPTION}/{tag}")  # XMP allows one of each property, in any Description
    if prop is None:
        prop = _add_child(_description(rdf), tag, prefix)
    bag = _container(prop)
    present = {_key(li.text) for li in bag.iterchildren(_LI)}
    for value in values:
        if _key(value) not in present:
            _add_child(bag, _LI, "rdf").text = value
            present.add(_key(value))


def _remove(rdf: etree._Element, tag: str, gone: set[str], by_leaf: bool) -> None:
    """Take `gone` keys out of the property; by_leaf also matches 'A|B' entries by their last part."""
    if not gone:
        return
    for prop in rdf.findall(f"{_DESCRIPTION}/{tag}"):
        bag = next((child for child in prop if child.tag in _CONTAINERS), None)
        if bag is None:
            continue
        items = list(bag.iterchildren(_LI))
        doomed = [li for li in items
                  if _key(li.text) in gone or (by_leaf and _key(li.text).rsplit("|", 1)[-1].strip() in gone)]
        for li in doomed:
            _drop(li)
        if doomed and len(doomed) == len(items):
            _drop(prop)  # an empty bag says nothing; exiftool deletes the property too


def _add_child(parent: etree._Element, tag: str, prefix: str, uri: str | None = None,
               declare: Mapping[str, str] | None = None) -> etree._Element:
    """A new last child, indented like its siblings when the file is indented.

    `nsmap` declares the prefix on the child only where it is not already in scope, so existing
    prefixes are reused and lxml never invents `ns0:`."""
    last = parent[-1] if len(parent) else None
    in_scope = parent.nsmap
    wanted = {name: value for name, value in (declare or {}).items() if in_scope.get(name) != value}
    child = etree.SubElement(parent, tag, nsmap={prefix: uri or NS[prefix], **wanted})
    if last is not None:
        # The new child now closes the parent; the old last child gets a sibling's indent.
        child.tail, last.tail = last.tail, _indent_before(last)
    elif (indent := _indent_before(parent)) is not None:
        parent.text, child.tail = indent + " ", indent
    return child


def _drop(element: etree._Element) -> None:
    """Remove an element (lxml takes its tail along); a last child's tail passes to the one before."""
    parent = element.getparent()
    if element.getnext() is None:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = element.tail
        else:
            parent.text = element.tail
    parent.remove(element)


def _indent_before(element: etree._Element) -> str | None:
    """The line break and indent before an element, or None when it does not start a line."""
    previous = element.getprevious()
    parent = element.getparent()
    if previous is not None:
        space = previous.tail
    else:
        space = parent.text if parent is not None else None
    return space if space and "\n" in space and not space.strip() else None


# -- writing ------------------------------------------------------------------------------------
def _serialise(tree: etree._ElementTree, original: bytes) -> bytes:
    """The edited document, with the bytes around its root element copied from `original`."""
    root = tree.getroot()
    around = _around_root(tree, original)
    if around is None:  # re-serialise the wrapper too, in UTF-8 (a PI's text keeps its U+FEFF)
        nodes = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
        return b"\n".join(etree.tostring(node, encoding="UTF-8") for node in nodes) + b"\n"
    head, tail = around
    body: bytes = etree.tostring(root, encoding="UTF-8")
    return head + body + tail


def _around_root(tree: etree._ElementTree, data: bytes) -> tuple[bytes, bytes] | None:
    """The bytes before and after the root element, or None when they cannot be told apart
    safely (an encoding other than UTF-8, which the new root's bytes would not match)."""
    if (tree.docinfo.encoding or "").upper() not in ("UTF-8", "UTF8"):
        return None
    prologue = _PROLOGUE.match(data)
    epilogue = _EPILOGUE.search(data, prologue.end() if prologue else 0)
    if prologue is None or epilogue is None:
        return None
    root = tree.getroot()
    name = f"{root.prefix}:{etree.QName(root).localname}" if root.prefix else etree.QName(root).localname
    start, end = prologue.end(), epilogue.start()
    if not data.startswith(b"<" + name.encode("utf-8"), start) or data[end - 1:end] != b">":
        return None
    return data[:start], data[end:]
