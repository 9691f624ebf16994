"""Confirmed tags written to XMP sidecars, read back by an independent reader (exiftool)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from helpers import require_tool, solid

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.errors import SidecarUnreadable
from cbir_desktop.engine.photos.sidecars import sidecar_keywords, sidecar_path, write_keywords


@pytest.fixture(autouse=True)
def _needs_exiftool() -> None:
    """exiftool is the independent reader; .ci/run installs it."""
    require_tool("exiftool", "libimage-exiftool-perl")


EXISTING = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4">
   <dc:subject><rdf:Bag><rdf:li>Lisbon</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def _exiftool(path: Path) -> dict:
    out = subprocess.run(["exiftool", "-j", "-XMP-dc:Subject", "-XMP-lr:HierarchicalSubject", "-XMP-xmp:Rating",
                          str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


def _as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def test_confirmed_tags_round_trip_through_exiftool(tiny_models: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    heron = solid(root / "Birds" / "Herons" / "IMG_0412.jpg", "blue")
    other = solid(root / "Trips" / "IMG_0001.jpg", "red")
    (root / "Trips" / "IMG_0001.xmp").write_text(EXISTING)
    before = hashlib.sha256(heron.read_bytes()).hexdigest()
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        library.edit_tags([heron], add=["heron", "wading bird"], remove=["blue"])
        library.edit_tags([other], add=["tram"])
        assert library.user_tags(heron) == {"blue": False, "heron": True, "wading bird": True}
        written = library.write_xmp([heron, other])
    assert [p.name for p in written] == ["IMG_0412.xmp", "IMG_0001.xmp"]
    tags = _exiftool(written[0])
    assert sorted(_as_list(tags["Subject"])) == ["heron", "wading bird"]  # the rejected tag is not written
    assert _as_list(tags["HierarchicalSubject"]) == ["Birds|Herons"]
    merged = _exiftool(written[1])
    assert sorted(_as_list(merged["Subject"])) == ["Lisbon", "tram"]  # merged with what was there
    assert merged["Rating"] == 4
    assert hashlib.sha256(heron.read_bytes()).hexdigest() == before  # the original is never modified
    with open_library(tmp_path / "lib") as library:  # writing again adds nothing twice
        library.write_xmp([heron])
    assert sorted(_as_list(_exiftool(written[0])["Subject"])) == ["heron", "wading bird"]


def test_cli_tags_add_remove_and_write_xmp(tiny_models: Path, tmp_path: Path) -> None:
    import sys

    photo = solid(tmp_path / "photos" / "Herons" / "a.jpg", "blue")
    lib = ["--library", str(tmp_path / "lib")]
    run = [sys.executable, "-m", "cbir_desktop.cli", *lib]
    subprocess.run([*run, "index", str(tmp_path / "photos")], check=True, capture_output=True)
    done = subprocess.run([*run, "tags", "--add", "heron", "--write-xmp", str(photo)],
                          check=True, capture_output=True, text=True)
    assert "a.xmp" in done.stdout
    # Tag edits relearn text search at once; one photo is too few, and it says so.
    assert "built-in vocabulary only: needs at least 20 photos" in done.stderr
    assert _as_list(_exiftool(photo.with_suffix(".xmp"))["Subject"]) == ["heron"]


def test_keywords_in_photos_and_sidecars_become_confirmed_tags(tiny_models: Path, tmp_path: Path) -> None:
    from PIL import Image

    root = tmp_path / "photos"
    root.mkdir()
    embedded = root / "embedded.jpg"
    xmp = EXISTING.replace("Lisbon", "Heron").encode()
    Image.new("RGB", (64, 48), (20, 30, 200)).save(embedded, "JPEG", xmp=xmp)
    iptc = solid(root / "iptc.jpg", "red")
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-IPTC:Keywords=Lisbon", "-IPTC:Keywords=tram",
                    str(iptc)], check=True)
    sidecar = solid(root / "sidecar.jpg", "green")
    sidecar.with_suffix(".xmp").write_text(EXISTING.replace("Lisbon", "Garden"))
    with open_library(tmp_path / "lib") as library:
        library.index([root])
        assert library.user_tags(embedded) == {"heron": True}
        assert library.user_tags(iptc) == {"lisbon": True, "tram": True}
        assert library.user_tags(sidecar) == {"garden": True}
        # A keyword the user rejected in the app stays rejected when the photo is re-read.
        library.edit_tags([iptc], remove=["tram"])
        subprocess.run(["exiftool", "-q", "-overwrite_original", "-IPTC:Keywords+=river", str(iptc)], check=True)
        library.index()
        assert library.user_tags(iptc) == {"lisbon": True, "river": True, "tram": False}


# -- sidecars.py: merging without losing what other tools wrote ---------------------------------

# What digiKam and Lightroom leave behind: the xpacket wrapper, a comment, properties as attributes
# and as elements, their own namespaces (digiKam, face regions), and dc:subject in a second
# rdf:Description.
FOREIGN = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <!-- written by digiKam -->
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:digiKam="http://www.digikam.org/ns/1.0/"
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmp:Rating="4"
    photoshop:City="Lisboa">
   <digiKam:TagsList>
    <rdf:Seq>
     <rdf:li>Places/Lisbon</rdf:li>
    </rdf:Seq>
   </digiKam:TagsList>
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:RegionList>
     <rdf:Bag>
      <rdf:li stArea:x="0.5" stArea:y="0.4" mwg-rs:Name="Ana"/>
     </rdf:Bag>
    </mwg-rs:RegionList>
   </mwg-rs:Regions>
  </rdf:Description>
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/">
   <dc:subject>
    <rdf:Bag>
     <rdf:li>Lisbon</rdf:li>
     <rdf:li>tram</rdf:li>
     <rdf:li>Heron</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>Places|Lisbon</rdf:li>
     <rdf:li>Transport|Tram</rdf:li>
     <rdf:li>Tram|Old</rdf:li>
     <rdf:li>Birds|Herons</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _exiftool_all(path: Path) -> dict:
    out = subprocess.run(["exiftool", "-j", "-struct", "-XMP:all", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


def test_merge_keeps_wrapper_comment_and_other_tools_fields(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_1.jpg", "blue")
    (tmp_path / "IMG_1.xmp").write_text(FOREIGN, encoding="utf-8")
    before = _sha(photo)
    path = write_keywords(photo, ["heron", "LISBON", "wading bird"], ["Birds|Herons", "Birds|Egrets"])
    assert path == tmp_path / "IMG_1.xmp"
    data = path.read_bytes()
    assert data.startswith(FOREIGN.split("\n", 1)[0].encode() + b"\n")  # the begin PI, its BOM intact
    assert data.endswith(b'</x:xmpmeta>\n<?xpacket end="w"?>\n')
    text = data.decode()
    assert "<!-- written by digiKam -->" in text
    assert re.search(r"\bns\d+:", text) is None  # the prefixes are the file's own
    for kept in ('xmp:Rating="4"', 'photoshop:City="Lisboa"', "<digiKam:TagsList>", 'mwg-rs:Name="Ana"'):
        assert kept in text
    assert text.count("<dc:subject>") == 1  # merged into the Description that held it
    tags = _exiftool_all(path)
    assert _as_list(tags["Subject"]) == ["Lisbon", "tram", "Heron", "wading bird"]  # "heron" is there already
    assert _as_list(tags["HierarchicalSubject"]) == ["Places|Lisbon", "Transport|Tram", "Tram|Old", "Birds|Herons",
                                                      "Birds|Egrets"]
    assert tags["Rating"] == 4 and tags["City"] == "Lisboa" and _as_list(tags["TagsList"]) == ["Places/Lisbon"]
    assert tags["RegionInfo"]["RegionList"][0]["Name"] == "Ana"
    assert _sha(photo) == before


def test_merging_into_an_exiftool_sidecar_keeps_its_wrapper_and_declaration(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_2.jpg", "red")
    sidecar = tmp_path / "IMG_2.xmp"
    subprocess.run(["exiftool", "-q", "-o", str(sidecar), "-XMP-dc:Subject=Lisbon", "-XMP-xmp:Rating=3",
                    "-XMP-photoshop:Credit=Ana", str(photo)], check=True)
    original = sidecar.read_bytes()
    declared = b'<?xml version="1.0" encoding="UTF-8"?>\n'  # as darktable writes
    sidecar.write_bytes(declared + original)
    write_keywords(photo, ["tram"])
    data = sidecar.read_bytes()
    first_line, last_line = original.split(b"\n", 1)[0], original.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    assert data.startswith(declared + first_line + b"\n")  # exiftool's <?xpacket begin='...'?>, quotes and all
    assert data.rstrip(b"\n").endswith(last_line)
    tags = _exiftool_all(sidecar)
    assert _as_list(tags["Subject"]) == ["Lisbon", "tram"]
    assert tags["Rating"] == 3 and tags["Credit"] == "Ana"
    assert sidecar_keywords(photo) == ["Lisbon", "tram"]


def test_new_sidecar_has_the_xpacket_wrapper(tmp_path: Path) -> None:
    path = write_keywords(solid(tmp_path / "a.jpg", "red"), ["heron"], ["Birds|Herons"])
    data = path.read_bytes()
    assert data.startswith('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'.encode())
    assert data.endswith(b'<?xpacket end="w"?>\n')
    tags = _exiftool(path)
    assert _as_list(tags["Subject"]) == ["heron"] and _as_list(tags["HierarchicalSubject"]) == ["Birds|Herons"]


def test_removed_tags_leave_subject_and_hierarchies(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_1.jpg", "blue")
    sidecar = tmp_path / "IMG_1.xmp"
    sidecar.write_text(FOREIGN, encoding="utf-8")
    write_keywords(photo, [], removed=["TRAM", "herons"])
    tags = _exiftool(sidecar)
    assert _as_list(tags["Subject"]) == ["Lisbon", "Heron"]  # "Heron" is not "herons"
    # "Transport|Tram" ends in the tag and "Birds|Herons" too; "Tram|Old" only starts with it.
    assert _as_list(tags["HierarchicalSubject"]) == ["Places|Lisbon", "Tram|Old"]
    # The layout still lines up where the last entry went ("Birds|Herons").
    assert "     <rdf:li>Tram|Old</rdf:li>\n    </rdf:Bag>\n   </lr:hierarchicalSubject>" in sidecar.read_text()
    write_keywords(photo, ["egret"], removed=["lisbon", "heron", "old"])
    tags = _exiftool(sidecar)
    assert _as_list(tags["Subject"]) == ["egret"]
    assert "HierarchicalSubject" not in tags  # emptied, so removed
    assert "hierarchicalSubject" not in sidecar.read_text()
    assert _exiftool_all(sidecar)["Rating"] == 4


def test_photos_sharing_a_stem_get_separate_sidecars(tmp_path: Path) -> None:
    jpg = solid(tmp_path / "a.jpg", "blue")
    png = solid(tmp_path / "a.png", "red", fmt="PNG")
    (tmp_path / "a.xmp").write_text(EXISTING)  # whose is it? neither photo reads it
    hashes = {jpg: _sha(jpg), png: _sha(png)}
    assert sidecar_path(jpg) == tmp_path / "a.jpg.xmp"
    assert sidecar_path(png) == tmp_path / "a.png.xmp"
    assert write_keywords(jpg, ["heron"]) == tmp_path / "a.jpg.xmp"
    assert write_keywords(png, ["tram"]) == tmp_path / "a.png.xmp"
    assert sidecar_keywords(jpg) == ["heron"]
    assert sidecar_keywords(png) == ["tram"]
    assert _as_list(_exiftool(tmp_path / "a.jpg.xmp")["Subject"]) == ["heron"]
    assert "Lisbon" in (tmp_path / "a.xmp").read_text()  # left alone
    assert {p: _sha(p) for p in hashes} == hashes


def test_stems_differing_in_case_count_as_shared(tmp_path: Path) -> None:
    # On macOS and Windows IMG_1.xmp and img_1.xmp are one file.
    upper = solid(tmp_path / "IMG_1.JPG", "blue")
    solid(tmp_path / "img_1.jpeg", "red")
    assert sidecar_path(upper) == tmp_path / "IMG_1.JPG.xmp"
    assert sidecar_path(solid(tmp_path / "IMG_2.JPG", "red")) == tmp_path / "IMG_2.xmp"


def test_a_photo_added_to_a_quiet_folder_is_seen(tmp_path: Path) -> None:
    jpg = solid(tmp_path / "a.jpg", "blue")
    long_ago = time.time_ns() - 60_000_000_000
    os.utime(tmp_path, ns=(long_ago, long_ago))  # old enough for its listing to be cached
    assert sidecar_path(jpg) == tmp_path / "a.xmp"
    solid(tmp_path / "a.png", "red", fmt="PNG")
    os.utime(tmp_path, ns=(long_ago + 1, long_ago + 1))  # changed, and quiet again
    assert sidecar_path(jpg) == tmp_path / "a.jpg.xmp"


def test_a_lone_photo_uses_the_short_name_and_reads_both(tmp_path: Path) -> None:
    photo = solid(tmp_path / "a.jpg", "blue")
    (tmp_path / "notes.txt").write_text("a.png is not here")
    assert sidecar_path(photo) == tmp_path / "a.xmp"
    assert write_keywords(photo, ["heron"]) == tmp_path / "a.xmp"
    (tmp_path / "a.jpg.xmp").write_text(EXISTING)  # darktable's name for the same photo's sidecar
    assert sidecar_keywords(photo) == ["heron", "Lisbon"]
    assert sidecar_path(photo) == tmp_path / "a.jpg.xmp"  # that one exists: later writes go there
    write_keywords(photo, ["tram"])
    assert sorted(_as_list(_exiftool(tmp_path / "a.jpg.xmp")["Subject"])) == ["Lisbon", "tram"]


def test_unchanged_sidecar_is_not_rewritten(tmp_path: Path) -> None:
    photo = solid(tmp_path / "a.jpg", "blue")
    path = write_keywords(photo, ["heron"], ["Birds|Herons"])
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert write_keywords(photo, ["Heron"], ["birds|herons"]) == path
    assert path.stat().st_mtime_ns == 1_000_000_000  # Lightroom would flag a newer sidecar as edited outside it


def test_sidecar_in_another_encoding_is_rewritten_as_utf8(tmp_path: Path) -> None:
    photo = solid(tmp_path / "a.jpg", "blue")
    latin = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + EXISTING.replace("Lisbon", "Café")).encode("latin-1")
    (tmp_path / "a.xmp").write_bytes(latin)
    path = write_keywords(photo, ["pão"])
    assert sidecar_keywords(photo) == ["Café", "pão"]
    assert _as_list(_exiftool(path)["Subject"]) == ["Café", "pão"]
    assert _exiftool(path)["Rating"] == 4


DAMAGED = {
    "truncated": EXISTING[:-40],
    "not XMP": "<html><body>heron</body></html>",
    "a DOCTYPE": ('<!DOCTYPE x:xmpmeta [<!ENTITY secret SYSTEM "file:///etc/hostname">]>\n'
                  + EXISTING.replace("Lisbon", "&secret;")),
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_damaged_sidecar_is_refused_and_left_as_it_was(tiny_models: Path, tmp_path: Path, damage: str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    photo = solid(tmp_path / "photos" / "a.jpg", "blue")
    sidecar = tmp_path / "photos" / "a.xmp"
    sidecar.write_text(DAMAGED[damage], encoding="utf-8")
    before = sidecar.read_bytes(), _sha(photo)
    with open_library(tmp_path / "lib") as library:
        report = library.index([tmp_path / "photos"])  # a damaged sidecar never stops indexing
        assert (report.added, report.failed) == (1, [])
        assert library.user_tags(photo) == {}
        assert "a.xmp" in caplog.text
        library.edit_tags([photo], add=["heron"])
        with pytest.raises(SidecarUnreadable, match="a.xmp is damaged"):
            library.write_xmp([photo])
    with pytest.raises(SidecarUnreadable):
        write_keywords(photo, ["heron"])
    assert (sidecar.read_bytes(), _sha(photo)) == before
    assert sorted(os.listdir(sidecar.parent)) == ["a.jpg", "a.xmp"]  # no temporary file left behind


def test_unwritable_folder_raises_permission_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes anywhere a mode allows; sysfs refuses new files even to root
        with pytest.raises(PermissionError):
            write_keywords(Path("/sys/a.jpg"), ["heron"])
        return
    photo = solid(tmp_path / "a.jpg", "blue")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            write_keywords(photo, ["heron"])
    finally:
        tmp_path.chmod(0o755)
    assert os.listdir(tmp_path) == ["a.jpg"]
