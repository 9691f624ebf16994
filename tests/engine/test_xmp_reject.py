"""Rejects written as an XMP rating (xmp:Rating -1) instead of moving files: real photos and
sidecars in tmp folders, read back by an independent reader (exiftool); undo puts every sidecar
back as it was; the photos and the library never change."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from helpers import COLOURS, require_tool, run_cbir, solid
from PIL import Image

from cbir_desktop.engine.api import open_library
from cbir_desktop.sample_photos import write_dng

# A darktable sidecar, attributes on their own lines as darktable writes them: tags, an edit
# history and no rating. Everything in it must survive the reject, and the undo must give it back.
DARKTABLE = """<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:darktable="http://darktable.sf.net/"
    darktable:xmp_version="5"
    darktable:history_end="1">
   <dc:subject>
    <rdf:Bag>
     <rdf:li>heron</rdf:li>
     <rdf:li>Lisbon</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:operation="exposure" darktable:enabled="1"/>
    </rdf:Seq>
   </darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""

# Lightroom's sidecar of a RAW, with the rating as an element and three stars.
LIGHTROOM = """<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/">
   <xmp:Rating>3</xmp:Rating>
   <crs:Exposure2012>+0.35</crs:Exposure2012>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


@pytest.fixture(autouse=True)
def _needs_exiftool() -> None:
    require_tool("exiftool", "libimage-exiftool-perl")


def exiftool(*paths: Path) -> dict[str, dict]:
    """Rating and keywords of each sidecar as exiftool reads them, by file name."""
    out = subprocess.run(["exiftool", "-j", "-XMP-xmp:Rating", "-XMP-dc:Subject", "-XMP-crs:Exposure2012",
                          *map(str, paths)], capture_output=True, text=True, check=True).stdout
    return {Path(entry["SourceFile"]).name: entry for entry in json.loads(out)}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def raw(path: Path, colour: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_dng(path, Image.new("RGB", (64, 48), COLOURS[colour]))


def test_rejects_get_rating_minus_one_keeping_all_else_and_undo_gives_back_every_byte(tiny_models, tmp_path):
    photos = tmp_path / "photos"
    bare = solid(photos / "bare.jpg", "red")  # no sidecar: one is made
    tagged = solid(photos / "tagged.jpg", "blue")
    (photos / "tagged.xmp").write_text(DARKTABLE)
    solid(photos / "keeper.jpg", "green")  # not rejected: left alone
    (photos / "keeper.xmp").write_text(DARKTABLE)
    before = {p.name: sha(p) for p in photos.iterdir()}
    with open_library(tmp_path / "library") as library:
        library.index([photos])
        report = library.mark_rejected_in_xmp([bare, tagged])
        assert report.failed == ()
        assert [(Path(m.sidecar).name, m.before, m.created) for m in report.marked] == [
            ("bare.xmp", None, True), ("tagged.xmp", None, False)]
        read = exiftool(photos / "bare.xmp", photos / "tagged.xmp", photos / "keeper.xmp")
        assert read["bare.xmp"]["Rating"] == -1 and "Subject" not in read["bare.xmp"]
        assert read["tagged.xmp"]["Rating"] == -1 and read["tagged.xmp"]["Subject"] == ["heron", "Lisbon"]
        assert "Rating" not in read["keeper.xmp"]
        text = (photos / "tagged.xmp").read_text()
        assert 'darktable:history_end="1"' in text and 'darktable:operation="exposure"' in text
        for name in ("bare.jpg", "tagged.jpg", "keeper.jpg", "keeper.xmp"):
            assert sha(photos / name) == before[name]  # photos never opened for writing
        # The photos stay in the library, and indexing again changes nothing: ratings are not
        # read at indexing (only keywords, dates and places are), so nothing to show there.
        assert sorted(Path(p).name for _, p in library.catalogue.photo_paths()) == ["bare.jpg", "keeper.jpg",
                                                                                  "tagged.jpg"]
        again = library.index([photos])
        assert (again.added, again.removed, again.updated) == (0, 0, 0)

        undone = library.undo_xmp_reject(report)
    assert undone.failed == () and sorted(Path(p).name for p in undone.restored) == ["bare.jpg", "tagged.jpg"]
    assert {p.name: sha(p) for p in photos.iterdir()} == before  # the made sidecar gone, the other byte for byte


def test_an_existing_rating_is_replaced_in_its_own_form_and_put_back(tmp_path):
    photos = tmp_path / "photos"
    shot = solid(photos / "shot.jpg", "red")
    sidecar = photos / "shot.xmp"
    sidecar.write_text(LIGHTROOM)
    with open_library(tmp_path / "library") as library:
        report = library.mark_rejected_in_xmp([shot])
        assert [(m.before, m.created) for m in report.marked] == [("3", False)]
        assert "<xmp:Rating>-1</xmp:Rating>" in sidecar.read_text()
        assert exiftool(sidecar)["shot.xmp"]["Exposure2012"] == "+0.35"
        library.undo_xmp_reject(report)
    assert sidecar.read_text() == LIGHTROOM


def test_the_jpeg_of_a_raw_pair_gets_its_own_sidecar_never_the_raws(tiny_models, tmp_path):
    """`IMG_0001.xmp` is the RAW's sidecar for Lightroom and Bridge: rejecting the JPEG copy of a
    kept RAW must not reject the RAW. The tag writer's name for the JPEG is `IMG_0001.JPG.xmp`."""
    photos = tmp_path / "photos"
    kept = raw(photos / "IMG_0001.dng", "green")
    jpeg = solid(photos / "IMG_0001.JPG", "green")
    (photos / "IMG_0001.xmp").write_text(LIGHTROOM)
    raws_sidecar = sha(photos / "IMG_0001.xmp")
    with open_library(tmp_path / "library") as library:
        library.index([photos])
        report = library.mark_rejected_in_xmp([jpeg])
        assert [Path(m.sidecar).name for m in report.marked] == ["IMG_0001.JPG.xmp"]
        read = exiftool(photos / "IMG_0001.JPG.xmp", photos / "IMG_0001.xmp")
        assert read["IMG_0001.JPG.xmp"]["Rating"] == -1
        assert read["IMG_0001.xmp"]["Rating"] == 3 and sha(photos / "IMG_0001.xmp") == raws_sidecar
        assert kept.exists() and library.metadata(kept).file_type == "RAW"
        library.undo_xmp_reject(report)
    assert sorted(p.name for p in photos.iterdir()) == ["IMG_0001.JPG", "IMG_0001.dng", "IMG_0001.xmp"]


def test_read_only_and_damaged_sidecars_are_skipped_with_a_reason_and_the_rest_go_on(tmp_path):
    photos = tmp_path / "photos"
    locked = solid(photos / "locked.jpg", "red")
    (photos / "locked.xmp").write_text(DARKTABLE)
    os.chmod(photos / "locked.xmp", stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    broken = solid(photos / "broken.jpg", "blue")
    (photos / "broken.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF")
    fine = solid(photos / "fine.jpg", "green")
    before = {p.name: sha(p) for p in photos.iterdir()}
    with open_library(tmp_path / "library") as library:
        report = library.mark_rejected_in_xmp([locked, broken, photos / "gone.jpg", fine])
    assert [Path(m.path).name for m in report.marked] == ["fine.jpg"]
    reasons = {Path(f.path).name: f.reason for f in report.failed}
    assert reasons == {"locked.jpg": "its sidecar locked.xmp is read-only",
                       "broken.jpg": reasons["broken.jpg"], "gone.jpg": "the photo is no longer there"}
    assert reasons["broken.jpg"].startswith("its sidecar broken.xmp is damaged (not well-formed XML")
    assert all("\n" not in reason for reason in reasons.values())
    assert {name: sha(photos / name) for name in before} == before  # nothing skipped was touched
    assert exiftool(photos / "fine.xmp")["fine.xmp"]["Rating"] == -1


def test_undo_after_other_changes_takes_out_only_the_rating_and_leaves_a_changed_rating(tiny_models, tmp_path):
    photos = tmp_path / "photos"
    tagged = solid(photos / "tagged.jpg", "red")
    restarred = solid(photos / "restarred.jpg", "blue")
    with open_library(tmp_path / "library") as library:
        library.index([photos])
        report = library.mark_rejected_in_xmp([tagged, restarred])
        library.edit_tags([tagged], add=["heron"])
        library.write_xmp([tagged])  # the made sidecar now holds a tag too: it stays, without the rating
        changed = (photos / "restarred.xmp").read_text().replace('xmp:Rating="-1"', 'xmp:Rating="2"')
        (photos / "restarred.xmp").write_text(changed)  # starred again in another tool since
        undone = library.undo_xmp_reject(report)
    assert [Path(p).name for p in undone.restored] == ["tagged.jpg"]
    assert [(Path(f.path).name, f.reason) for f in undone.failed] == [
        ("restarred.jpg", "its rating was changed since (to 2); left as it is")]
    read = exiftool(photos / "tagged.xmp", photos / "restarred.xmp")
    assert "Rating" not in read["tagged.xmp"] and read["tagged.xmp"]["Subject"] == "heron"
    assert read["restarred.xmp"]["Rating"] == 2


def test_cli_reject_xmp_asks_first_writes_ratings_and_excludes_trash_rejects(tiny_models, tmp_path):
    photos = tmp_path / "photos"
    original = solid(photos / "IMG_0001.png", "red", size=(320, 240), fmt="PNG")
    shutil.copyfile(original, photos / "IMG_0001 copy.png")
    library = tmp_path / "library"
    assert run_cbir("index", photos, library=library, models=tiny_models).returncode == 0
    both = run_cbir("duplicates", "--trash-rejects", "--reject-xmp", library=library, models=tiny_models)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    refused = run_cbir("duplicates", "--reject-xmp", library=library, models=tiny_models)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in photos.iterdir()) == ["IMG_0001 copy.png", "IMG_0001.png"]
    marked = run_cbir("duplicates", "--reject-xmp", "--yes", "--json", library=library, models=tiny_models)
    assert marked.returncode == 0, marked.stderr
    (line,) = marked.stdout.splitlines()  # the groups, as without the flag
    assert Path(json.loads(line)["keeper"]).name == "IMG_0001.png"
    assert "1 photo (0.0 MB) of 1 group will be marked rejected (xmp:Rating -1)" in marked.stderr
    assert "1 photo marked rejected" in marked.stderr
    assert sorted(p.name for p in photos.iterdir()) == ["IMG_0001 copy.png", "IMG_0001 copy.xmp", "IMG_0001.png"]
    assert exiftool(photos / "IMG_0001 copy.xmp")["IMG_0001 copy.xmp"]["Rating"] == -1
    listed = run_cbir("duplicates", library=library, models=tiny_models)  # still in the library
    assert listed.returncode == 0 and "IMG_0001 copy.png" in listed.stdout
    assert "IMG_0001 copy.png" in next(line for line in listed.stdout.splitlines() if "(rejected in XMP)" in line)
    again = run_cbir("duplicates", "--json", library=library, models=tiny_models)
    (line,) = again.stdout.splitlines()
    assert {Path(m["path"]).name: m["rejected_in_xmp"] for m in json.loads(line)["members"]} == {
        "IMG_0001.png": False, "IMG_0001 copy.png": True}  # found again, it says it was rejected
