"""Confirmed tags written to XMP sidecars, read back by an independent reader (exiftool)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from helpers import require_tool, solid

from cbir_desktop.engine.api import open_library


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
