"""Named face regions in XMP: written for digiKam/Lightroom/Picasa, read back from them, checked with exiftool."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pytest
from helpers import COLOURS, EXIF, corner_picture, require_tool, solid, stored_turned
from PIL import Image, ImageOps

from cbir_desktop.engine.errors import SidecarUnreadable
from cbir_desktop.engine.photos.face_regions import FaceRegion, read_face_regions, write_face_regions
from cbir_desktop.engine.photos.sidecars import write_keywords


@pytest.fixture(autouse=True)
def _needs_exiftool() -> None:
    """exiftool writes the other tools' regions and reads ours back; .ci/run installs it."""
    require_tool("exiftool", "libimage-exiftool-perl")


def _exiftool_json(path: Path, *tags: str) -> dict:
    out = subprocess.run(["exiftool", "-j", "-struct", *tags, str(path)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)[0]


def _exiftool_write(path: Path, *assignments: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *assignments, str(path)], check=True)


def _mwg_struct(regions: list[tuple[str | None, str, tuple[float, float, float, float]]],
                size: tuple[int, int] | None = None) -> str:
    """An exiftool RegionInfo struct: (name, type, (centre x, centre y, w, h)) per region."""
    items = []
    for name, kind, (x, y, w, h) in regions:
        named = f"Name={name}," if name else ""
        items.append(f"{{Area={{X={x},Y={y},W={w},H={h},Unit=normalized}},{named}Type={kind}}}")
    applied = f"AppliedToDimensions={{W={size[0]},H={size[1]},Unit=pixel}}," if size else ""
    return f"-RegionInfo={{{applied}RegionList=[{','.join(items)}]}}"


def _close(found: tuple[float, ...], expected: tuple[float, ...]) -> bool:
    return all(abs(a - b) < 1e-6 for a, b in zip(found, expected, strict=True))


def _regions(found: list[FaceRegion]) -> dict[str, tuple[float, float, float, float]]:
    return {region.name: region.box for region in found}


EXISTING = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
    xmlns:MP="http://ns.microsoft.com/photo/1.2/" xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
    xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#">
   <!-- written by another tool -->
   <dc:subject><rdf:Bag><rdf:li>Lisbon</rdf:li><rdf:li>Carl</rdf:li></rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>Places|Lisbon</rdf:li><rdf:li>People|Carl</rdf:li></rdf:Bag>
   </lr:hierarchicalSubject>
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:RegionList><rdf:Bag>
     <rdf:li><rdf:Description mwg-rs:Type="Face" mwg-rs:Name="Carl">
      <mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.2" stArea:h="0.2" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
     <rdf:li rdf:parseType="Resource">
      <mwg-rs:Type>Focus</mwg-rs:Type>
      <mwg-rs:Area stArea:x="0.3" stArea:y="0.3" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/>
     </rdf:li>
    </rdf:Bag></mwg-rs:RegionList>
   </mwg-rs:Regions>
   <MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>
    <rdf:li MPReg:PersonDisplayName="Carl" MPReg:Rectangle="0.4, 0.4, 0.2, 0.2"/>
   </rdf:Bag></MPRI:Regions></MP:RegionInfo>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def test_written_faces_are_mwg_face_regions_and_people_keywords_that_exiftool_reads(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_1.jpg", "grey", size=(400, 300))
    faces = [FaceRegion("Anna", (0.1, 0.2, 0.3, 0.4)), FaceRegion("Zoë Ångström", (0.6, 0.5, 0.2, 0.25)),
             FaceRegion("  ", (0.0, 0.0, 0.1, 0.1))]  # an unnamed face is not written
    sidecar = write_face_regions(photo, faces, 400, 300)
    assert sidecar == tmp_path / "IMG_1.xmp"

    seen = _exiftool_json(sidecar, "-XMP-mwg-rs:all", "-XMP-dc:Subject", "-XMP-lr:HierarchicalSubject")
    info = seen["RegionInfo"]
    assert info["AppliedToDimensions"] == {"W": 400, "H": 300, "Unit": "pixel"}
    by_name = {region["Name"]: region for region in info["RegionList"]}
    assert set(by_name) == {"Anna", "Zoë Ångström"}
    assert all(region["Type"] == "Face" for region in by_name.values())
    anna = by_name["Anna"]["Area"]  # the centre and size, as MWG stores them
    assert anna["Unit"] == "normalized"
    assert _close((anna["X"], anna["Y"], anna["W"], anna["H"]), (0.25, 0.4, 0.3, 0.4))
    zoe = by_name["Zoë Ångström"]["Area"]
    assert _close((zoe["X"], zoe["Y"], zoe["W"], zoe["H"]), (0.7, 0.625, 0.2, 0.25))
    assert seen["Subject"] == ["Anna", "Zoë Ångström"]
    assert seen["HierarchicalSubject"] == ["People|Anna", "People|Zoë Ångström"]

    back = _regions(read_face_regions(photo))
    assert set(back) == {"Anna", "Zoë Ångström"}
    assert _close(back["Anna"], (0.1, 0.2, 0.3, 0.4)) and _close(back["Zoë Ångström"], (0.6, 0.5, 0.2, 0.25))


def test_writing_the_same_faces_again_leaves_the_sidecar_untouched(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_2.jpg", "grey", size=(400, 300))
    faces = [FaceRegion("Anna", (0.1, 0.2, 0.3, 0.4)), FaceRegion("Bob", (0.6, 0.5, 0.2, 0.25))]
    sidecar = write_face_regions(photo, faces, 400, 300)
    before, stat = sidecar.read_bytes(), sidecar.stat()
    write_face_regions(photo, faces, 400, 300)
    assert sidecar.read_bytes() == before
    assert sidecar.stat().st_mtime_ns == stat.st_mtime_ns  # Lightroom reads a new mtime as an outside edit


def test_faces_replace_only_the_face_regions_and_keep_keywords_and_other_fields(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_3.jpg", "grey", size=(400, 300))
    sidecar = tmp_path / "IMG_3.xmp"
    sidecar.write_text(EXISTING, encoding="utf-8")
    write_face_regions(photo, [FaceRegion("Anna", (0.1, 0.2, 0.3, 0.4))], 400, 300)

    text = sidecar.read_text(encoding="utf-8")
    assert "<!-- written by another tool -->" in text and text.startswith('<?xpacket begin="\ufeff"')
    seen = _exiftool_json(sidecar, "-XMP-mwg-rs:all", "-XMP-dc:Subject", "-XMP-lr:HierarchicalSubject",
                          "-XMP-xmp:Rating", "-XMP-MP:RegionInfoMP")
    assert seen["Rating"] == 4
    assert seen["Subject"] == ["Lisbon", "Anna"]  # Carl lost his face here, and his keyword with it
    assert seen["HierarchicalSubject"] == ["Places|Lisbon", "People|Anna"]
    kinds = {(region["Type"], region.get("Name")) for region in seen["RegionInfo"]["RegionList"]}
    assert kinds == {("Face", "Anna"), ("Focus", None)}  # the focus region another tool set is kept
    focus = next(r for r in seen["RegionInfo"]["RegionList"] if r["Type"] == "Focus")["Area"]
    assert _close((focus["X"], focus["Y"], focus["W"], focus["H"]), (0.3, 0.3, 0.1, 0.1))
    # the Microsoft list digiKam writes beside MWG's is rewritten to agree, not left stale
    microsoft = seen["RegionInfoMP"]["Regions"]
    assert [(r["PersonDisplayName"], r["Rectangle"]) for r in microsoft] == [("Anna", "0.1, 0.2, 0.3, 0.4")]

    write_keywords(photo, ["tram"])  # tagging afterwards keeps the faces
    assert _regions(read_face_regions(photo)).keys() == {"Anna"}
    assert _exiftool_json(sidecar, "-XMP-dc:Subject")["Subject"] == ["Lisbon", "Anna", "tram"]


def test_regions_exiftool_writes_into_a_photo_are_read(tmp_path: Path) -> None:
    photo = solid(tmp_path / "party.jpg", "grey", size=(400, 300))
    _exiftool_write(photo, _mwg_struct([("Anna", "Face", (0.5, 0.5, 0.2, 0.3)),
                                        (None, "Face", (0.2, 0.2, 0.1, 0.1)),  # unnamed: not a confirmed name
                                        ("Rex", "Pet", (0.8, 0.8, 0.1, 0.1)),
                                        ("sharp here", "Focus", (0.1, 0.1, 0.1, 0.1))], size=(400, 300)))
    found = read_face_regions(photo)
    assert [region.name for region in found] == ["Anna"]
    assert _close(found[0].box, (0.4, 0.35, 0.2, 0.3))


def test_regions_exiftool_writes_into_a_sidecar_are_read_and_win_over_the_embedded_ones(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_4.jpg", "grey", size=(400, 300))
    _exiftool_write(photo, _mwg_struct([("Old name", "Face", (0.5, 0.5, 0.2, 0.2))]))
    assert [region.name for region in read_face_regions(photo)] == ["Old name"]

    sidecar = tmp_path / "IMG_4.jpg.xmp"  # the name digiKam and darktable give a sidecar
    subprocess.run(["exiftool", "-q", "-o", str(sidecar),
                    _mwg_struct([("Anna", "Face", (0.5, 0.5, 0.2, 0.2)), ("Bob", "Face", (0.25, 0.75, 0.1, 0.1))])],
                   check=True)
    back = _regions(read_face_regions(photo))
    assert set(back) == {"Anna", "Bob"}
    assert _close(back["Bob"], (0.2, 0.7, 0.1, 0.1))


def test_microsoft_regions_are_read_as_top_left_boxes(tmp_path: Path) -> None:
    photo = solid(tmp_path / "wlpg.jpg", "grey", size=(400, 300))
    _exiftool_write(photo, "-RegionInfoMP={Regions=[{PersonDisplayName=Anna,Rectangle=0.1|, 0.2|, 0.3|, 0.4},"
                           "{Rectangle=0.5|, 0.5|, 0.1|, 0.1}]}")
    found = read_face_regions(photo)
    assert [region.name for region in found] == ["Anna"]
    assert _close(found[0].box, (0.1, 0.2, 0.3, 0.4))


def _turned_photo(path: Path, orientation: int) -> Path:
    """A 240x160 upright picture (red top-left, green top-right) stored turned, with its EXIF orientation."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored_turned(corner_picture(), orientation).save(path, quality=95, exif=exif.tobytes())
    return path


def _colour_in(image: Image.Image, box: tuple[float, float, float, float]) -> str:
    """The named colour nearest the middle of a fractional box of `image`."""
    x, y, w, h = box
    pixel = image.convert("RGB").getpixel((int((x + w / 2) * image.width), int((y + h / 2) * image.height)))
    return min(("red", "green", "blue", "yellow", "grey"),
               key=lambda n: sum((a - b) ** 2 for a, b in zip(COLOURS[n], pixel, strict=True)))


RED, GREEN = (0.0, 0.0, 1 / 3, 1 / 3), (2 / 3, 0.0, 1 / 3, 1 / 3)  # upright boxes of corner_picture's blocks


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_turned_photo_has_its_regions_stored_turned_and_read_upright(tmp_path: Path, orientation: int) -> None:
    photo = _turned_photo(tmp_path / f"turned_{orientation}.jpg", orientation)
    write_face_regions(photo, [FaceRegion("Anna", RED), FaceRegion("Bob", GREEN)], 240, 160)

    # What the file stores applies to the stored pixels (MWG 2.0, 5.9): exiftool's boxes land on the
    # same blocks in the photo as stored, and AppliedToDimensions is the stored size.
    info = _exiftool_json(tmp_path / f"turned_{orientation}.xmp", "-XMP-mwg-rs:all")["RegionInfo"]
    stored = Image.open(photo)
    assert (info["AppliedToDimensions"]["W"], info["AppliedToDimensions"]["H"]) == stored.size
    for region in info["RegionList"]:
        area = region["Area"]
        box = (area["X"] - area["W"] / 2, area["Y"] - area["H"] / 2, area["W"], area["H"])
        assert _colour_in(stored, box) == {"Anna": "red", "Bob": "green"}[region["Name"]]

    upright = ImageOps.exif_transpose(Image.open(photo))
    back = _regions(read_face_regions(photo))
    assert _close(back["Anna"], RED) and _close(back["Bob"], GREEN)
    assert _colour_in(upright, back["Anna"]) == "red" and _colour_in(upright, back["Bob"]) == "green"


def test_regions_another_tool_set_on_a_turned_photo_are_read_upright(tmp_path: Path) -> None:
    photo = _turned_photo(tmp_path / "phone.jpg", 6)  # stored 160x240, shown 240x160
    stored = Image.open(photo)
    # where the red block lies in the stored pixels, as a tool following MWG writes it
    red = [(x, y) for x in range(stored.width) for y in range(stored.height)
           if _colour_in(stored, (x / stored.width, y / stored.height, 0, 0)) == "red"]
    left, top = min(x for x, _ in red) / stored.width, min(y for _, y in red) / stored.height
    right, bottom = (max(x for x, _ in red) + 1) / stored.width, (max(y for _, y in red) + 1) / stored.height
    centre = ((left + right) / 2, (top + bottom) / 2, right - left, bottom - top)
    _exiftool_write(photo, _mwg_struct([("Anna", "Face", centre)], size=stored.size))

    found = read_face_regions(photo)
    assert [region.name for region in found] == ["Anna"]
    assert all(abs(a - b) < 0.02 for a, b in zip(found[0].box, RED, strict=True))
    assert _colour_in(ImageOps.exif_transpose(Image.open(photo)), found[0].box) == "red"


def test_regions_written_against_the_upright_size_of_a_turned_photo_are_taken_as_upright(tmp_path: Path) -> None:
    photo = _turned_photo(tmp_path / "phone.jpg", 6)  # stored 160x240; a tool that ignored orientation says 240x160
    _exiftool_write(photo, _mwg_struct([("Anna", "Face", (1 / 6, 1 / 6, 1 / 3, 1 / 3))], size=(240, 160)))
    found = read_face_regions(photo)
    assert _close(found[0].box, RED)


def test_damaged_xmp_is_skipped_with_a_reason_and_never_overwritten(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    photo = solid(tmp_path / "IMG_5.jpg", "grey", size=(400, 300))
    _exiftool_write(photo, _mwg_struct([("Anna", "Face", (0.5, 0.5, 0.2, 0.2))]))
    sidecar = tmp_path / "IMG_5.xmp"
    sidecar.write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        found = read_face_regions(photo)
    assert [region.name for region in found] == ["Anna"]  # the file's own regions still count
    assert any("IMG_5.xmp" in r.getMessage() and "not well-formed" in r.getMessage() for r in caplog.records)

    with pytest.raises(SidecarUnreadable, match="damaged"):
        write_face_regions(photo, [FaceRegion("Bob", (0.1, 0.1, 0.2, 0.2))], 400, 300)
    assert sidecar.read_text(encoding="utf-8") == "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF"

    broken = tmp_path / "broken.jpg"
    Image.new("RGB", (40, 30)).save(broken, xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><mwg-rs:Regions>cut off")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert read_face_regions(broken) == []
    assert any("broken.jpg" in r.getMessage() and "embedded XMP is damaged" in r.getMessage() for r in caplog.records)


def test_unusable_regions_are_skipped_one_by_one_with_a_reason(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    photo = solid(tmp_path / "IMG_6.jpg", "grey", size=(400, 300))
    (tmp_path / "IMG_6.xmp").write_text(EXISTING.replace(
        '<mwg-rs:RegionList><rdf:Bag>',
        '<mwg-rs:RegionList><rdf:Bag>'
        '<rdf:li mwg-rs:Type="Face" mwg-rs:Name="Nowhere"><mwg-rs:Area stArea:x="3" stArea:y="0.5" stArea:w="0.2"'
        ' stArea:h="0.2"/></rdf:li>'
        '<rdf:li mwg-rs:Type="Face" mwg-rs:Name="Garbled"><mwg-rs:Area stArea:x="left" stArea:y="0.5"'
        ' stArea:w="0.2" stArea:h="0.2"/></rdf:li>'), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        found = read_face_regions(photo)
    assert _regions(found).keys() == {"Carl"}
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "'Nowhere'" in messages and "not inside the image" in messages
    assert "'Garbled'" in messages and "not four numbers" in messages


@pytest.mark.parametrize("name", ["plain.jpg", "plain.png", "notes.jpg", "missing.jpg"])
def test_a_photo_without_regions_gives_none(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "notes.jpg":
        path.write_text("not a photo at all")
    elif name != "missing.jpg":
        solid(path, "blue")
    assert read_face_regions(path) == []


def test_the_bytes_the_indexer_already_read_are_used(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_7.jpg", "grey", size=(400, 300))
    _exiftool_write(photo, _mwg_struct([("Anna", "Face", (0.5, 0.5, 0.2, 0.2))]))
    data = photo.read_bytes()
    photo.unlink()  # only the bytes are left to read from
    assert [region.name for region in read_face_regions(photo, data=data)] == ["Anna"]


def test_a_size_or_box_that_cannot_be_written_is_refused_before_the_sidecar_is_touched(tmp_path: Path) -> None:
    photo = solid(tmp_path / "IMG_8.jpg", "grey")
    with pytest.raises(ValueError, match="positive"):
        write_face_regions(photo, [FaceRegion("Anna", (0.1, 0.1, 0.2, 0.2))], 0, 48)
    with pytest.raises(ValueError, match="'Anna'.*not inside"):
        write_face_regions(photo, [FaceRegion("Anna", (0.9, 0.1, 0.2, 0.2))], 64, 48)
    assert not (tmp_path / "IMG_8.xmp").exists()


def test_real_camera_photos_give_their_named_face_and_nothing_else(caplog: pytest.LogCaptureFixture) -> None:
    """The 50 real JPEGs of the shared set: one carries an MWG face (no stArea:unit, a Rotation field)."""
    photos = sorted(EXIF.glob("*.[jJ][pP][gG]"))
    if not photos:
        pytest.fail(f"needs the shared data set {EXIF} (../shared/datasets beside the repository)", pytrace=False)
    with caplog.at_level(logging.WARNING):
        found = {photo.name: read_face_regions(photo) for photo in photos}
    named = {name: regions for name, regions in found.items() if regions}
    assert list(named) == ["exifr__IMG_5910.jpg"]
    (alvin,) = named["exifr__IMG_5910.jpg"]
    assert alvin.name == "Alvin the Squirrel"
    assert _close(alvin.box, (0.57214 - 0.21731 / 2, 0.42297 - 0.28108 / 2, 0.21731, 0.28108))
    assert not [r for r in caplog.records if r.name.endswith("face_regions")]
