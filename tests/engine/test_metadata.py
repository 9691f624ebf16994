"""Photo metadata: real camera and phone files against their ground truth, and the bad metadata
real libraries hold (never a reason to stop indexing)."""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import pytest
from helpers import REPO
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from cbir_desktop.engine.api import open_library, read_photo_metadata
from cbir_desktop.engine.photos.metadata import read_metadata
from cbir_desktop.engine.storage.catalogue import FEATURES

FORMATS = REPO.parent / "shared" / "datasets" / "formats"
EXIF_IFD, GPS_IFD = 0x8769, 0x8825

# tags.csv's raw EXIF Make -> the tidied maker (written by hand, not computed).
MAKES = {
    "NIKON CORPORATION": "Nikon", "NIKON": "Nikon", "Canon": "Canon", "PENTAX Corporation": "Pentax",
    "Apple": "Apple", "FUJIFILM": "Fujifilm", "HTC": "HTC", "Nokia": "Nokia", "Panasonic": "Panasonic",
    "SONY": "Sony", "TCT": "TCT", "HUAWEI": "Huawei", "Xiaomi": "Xiaomi", "Google": "Google",
}
# tags.csv's raw EXIF Model -> the model without its maker in front; models not listed stay as they are.
MODELS = {
    "NIKON D300": "D300", "NIKON D70s": "D70s", "NIKON D70": "D70", "NIKON D2X": "D2X", "NIKON D5000": "D5000",
    "NIKON D800E": "D800E", "Canon EOS 40D": "EOS 40D", "Canon EOS 600D": "EOS 600D", "Canon EOS 6D": "EOS 6D",
    "Canon EOS 50D": "EOS 50D", "Canon PowerShot S5 IS": "PowerShot S5 IS", "Canon PowerShot A70": "PowerShot A70",
    "PENTAX K10D": "K10D", "HTC Desire": "Desire", "Nokia Lumia 800": "Lumia 800",
}
# The country of every GPS position in tags.csv, worked out by hand from the coordinates (a map,
# not the gazetteer): 46 photos in 16 countries and territories on 5 continents. Crimea is "UA"
# as in GeoNames and ISO 3166; Réunion has its own ISO code.
COUNTRIES = {
    "exif-samples__87_OSError.jpg": "IT",  # Florence
    **{f"exif-samples__DSCN00{n}.jpg": "IT" for n in (10, 12, 21, 25, 27, 29, 38, 40, 42)},  # Arezzo
    "exifr__IMG_5910.jpg": "US",  # Berkeley
    "exifr__iptc-agency-photographer-example.jpg": "US",  # Lincoln Memorial, Washington
    "exiv2__FurnaceCreekInn.jpg": "US",  # Death Valley
    "lychee__mongolia.jpeg": "MN",
    "metadata-extractor-images__Apple_iPhone_4.jpg": "IT",  # Rome
    "metadata-extractor-images__Apple_iPhone_6_plus.jpg": "GB",  # Cardiff
    # Northumberland, Wales, Dorset:
    **{f"metadata-extractor-images__FujiFilm_FinePixS1Pro_({n}).jpg": "GB" for n in range(1, 6)},
    "metadata-extractor-images__FujiFilm_FinePixS2Pro.jpg": "FR",  # the Eiffel Tower
    "metadata-extractor-images__HTC_Desire.jpg": "IT",  # west of Milan
    "metadata-extractor-images__Nokia_Lumia_800.jpg": "IE",  # Dublin
    "metadata-extractor-images__Panasonic_DMC-LX3_(Lumix).jpg": "IT",  # Rome
    "metadata-extractor-images__Sony_DSC-HX5V_(2).jpg": "DE",  # Westphalia
    "photoprism__IMG_4120.JPG": "DE",  # Frankfurt airport
    "photoprism__Iceland-sRGB.jpg": "IS",
    "photoprism__altitude.jpg": "UA",  # Crimea
    "photoprism__beach_sand.jpg": "ZA",  # KwaZulu-Natal coast
    "photoprism__building_mono.jpg": "DE",  # Berlin
    "photoprism__cat_brown.jpg": "DE",  # Tübingen
    "photoprism__chameleon_lime.jpg": "RE",  # Réunion
    "photoprism__elephants.jpg": "ZA",  # Addo
    "photoprism__ephedra_green_lime.jpg": "DE",  # Berlin
    "photoprism__example.jpg": "RE",  # Réunion
    "photoprism__ferriswheel_colorful.jpg": "US",  # Santa Monica pier
    "photoprism__ladybug.jpg": "DE",  # Sauerland
    "photoprism__ocean_cyan.jpg": "ZA",  # Cape Town
    "photoprism__photoshop.jpg": "DE",  # Berlin
    "photoprism__ship.jpg": "PL",  # Bydgoszcz
    "photoprism__smallFiji.JPG": "FJ",  # near Nadi, across the antimeridian from most of the data
    "photoprism__snake_lime_brown.jpg": "ZA",  # Western Cape
    "photoprism__zebra_green_brown.jpg": "ZA",  # Eastern Cape
    "photoview__bird.jpg": "FI",  # Oulu
    "photoview__correct_gps.jpg": "IT",  # Bologna
}
# Towns checked by hand where the position is unmistakably inside one (a city centre, a landmark).
CITIES = {
    "exif-samples__87_OSError.jpg": "Florence", "exif-samples__DSCN0010.jpg": "Arezzo",
    "exifr__IMG_5910.jpg": "Berkeley", "exifr__iptc-agency-photographer-example.jpg": "Washington",
    "metadata-extractor-images__Apple_iPhone_6_plus.jpg": "Cardiff",
    "metadata-extractor-images__FujiFilm_FinePixS2Pro.jpg": "Paris",
    "metadata-extractor-images__Panasonic_DMC-LX3_(Lumix).jpg": "Rome",
    "photoprism__building_mono.jpg": "Berlin", "photoprism__photoshop.jpg": "Berlin",
    "photoprism__ocean_cyan.jpg": "Cape Town", "photoprism__ferriswheel_colorful.jpg": "Santa Monica",
    "photoprism__cat_brown.jpg": "Tübingen", "photoprism__ship.jpg": "Bydgoszcz",
}


def _dataset(*parts: str) -> Path:
    path = FORMATS.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"needs the shared data set {path} (../shared/datasets beside the repository)", pytrace=False)
    return path


def _exif_rows() -> list[dict[str, str]]:
    with open(_dataset("exif", "tags.csv"), newline="") as handle:
        return list(csv.DictReader(handle))


def _iso(exif_date: str) -> str:
    return exif_date.replace(":", "-", 2).replace(" ", "T")


def _no_lens_name(text: str) -> bool:
    """tags.csv gives some lenses as a maker's lens ID ("163", "A5 40 3C 8E ..."), not a name."""
    return bool(re.fullmatch(r"[\d\s]+|(?:[0-9A-Fa-f]{2}\s+)+[0-9A-Fa-f]{2}", text.strip()))


def test_every_exif_sample_reads_as_its_ground_truth_says() -> None:
    rows = _exif_rows()
    assert len(rows) == 50
    for row in rows:
        m = read_metadata(str(_dataset("exif", row["file"])))
        where = row["file"]
        assert (m.taken_local, m.taken_source) == (_iso(row["datetime_original"]), "exif"), where
        assert m.make == MAKES[row["make"].strip()], where
        assert m.model == MODELS.get(row["model"].strip(), row["model"].strip()), where
        assert f"{m.width}x{m.height}" == row["size"] and m.file_type == "JPEG", where
        if row["gps_lat"]:
            assert m.lat == pytest.approx(float(row["gps_lat"]), abs=1e-4), where
            assert m.lon == pytest.approx(float(row["gps_lon"]), abs=1e-4), where
        else:
            assert (m.lat, m.lon, m.country) == (None, None, None), where
        if not row["lens"]:
            assert m.lens is None, where
        elif not _no_lens_name(row["lens"]):
            assert m.lens == row["lens"].strip(), where
        assert not [n for n in m.notes if "date" in n or "GPS" in n or "EXIF" in n], (where, m.notes)


def test_the_camera_clock_offset_comes_from_exif_or_from_the_same_time_in_xmp() -> None:
    pixel = read_metadata(str(_dataset("exif", "photoview__correct_gps.jpg")))  # OffsetTimeOriginal
    assert (pixel.taken_local, pixel.taken_offset) == ("2023-12-14T16:59:06", "+01:00")
    assert pixel.taken_utc == pytest.approx(1702569546.512)  # 15:59:06.512 UTC, sub-seconds included
    nikon = read_metadata(str(_dataset("exif", "exif-samples__Nikon_D70.jpg")))  # EXIF 2.2; XMP has -04:00
    assert (nikon.taken_local, nikon.taken_offset) == ("2008-03-15T09:52:01", "-04:00")
    assert nikon.taken_utc == 1205589121.0  # 13:52:01 UTC
    canon = read_metadata(str(_dataset("exif", "exif-samples__Canon_40D.jpg")))  # no offset anywhere
    assert canon.taken_offset is None and canon.taken_utc == 1212162961.0  # sorted as if UTC


def test_each_gps_photo_gets_the_country_it_was_taken_in() -> None:
    """The gazetteer's answer against a table made by hand from the coordinates: it proves the
    lookup finds the right country for these 46 real positions (16 countries, 5 continents,
    across the antimeridian) and the right town for the 13 unmistakable ones; near a border a
    nearest-town answer can still be wrong, which no photo here tests."""
    with_gps = [row["file"] for row in _exif_rows() if row["gps_lat"]]
    assert sorted(with_gps) == sorted(COUNTRIES)
    wrong = {}
    for name, code in COUNTRIES.items():
        m = read_metadata(str(_dataset("exif", name)))
        if m.country_code != code or not m.country or not m.region:
            wrong[name] = (m.country_code, m.country, m.region, m.city, m.notes)
        if name in CITIES and m.city != CITIES[name]:
            wrong[name] = (m.country_code, m.city)
    assert not wrong
    iceland = read_metadata(str(_dataset("exif", "photoprism__Iceland-sRGB.jpg")))  # Mývatn: 80 km from a town of 1,000
    assert (iceland.country, iceland.city) == ("Iceland", None)
    assert any("nearest town" in note for note in iceland.notes)


def _dms(text: str) -> float | None:
    match = re.fullmatch(r"""(\d+) deg (\d+)' ([\d.]+)" ([NSEW])""", text.strip())
    if match is None:
        return None
    value = int(match[1]) + int(match[2]) / 60 + float(match[3]) / 3600
    return -value if match[4] in "SW" else value


def test_heic_photos_match_their_manifest() -> None:
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        pytest.fail("needs pillow-heif (a dependency in pyproject.toml)", pytrace=False)
    lines = _dataset("heic", "manifest.tsv").read_text().splitlines()
    checked = 0
    for line in lines:
        name, _size, _sha, _decode, camera, taken, gps = (line.split("\t") + [""] * 7)[:7]
        m = read_metadata(str(_dataset(name)))
        camera, taken = camera.strip(), taken.strip()
        if camera:  # "NIKON CORPORATION NIKON D5300" is the tidy "Nikon" "D5300"
            assert m.make and m.model and camera.lower().startswith(m.make.lower()), (name, m.make)
            assert camera.endswith(" " + m.model), (name, m.model)
            checked += 1
        else:
            assert m.make is None, name
        if taken:
            assert (m.taken_local, m.taken_source) == (_iso(taken), "heif"), name
        elif m.taken_source != "file":  # a DateTime but no DateTimeOriginal: taken, and said
            assert any("EXIF DateTime" in note for note in m.notes), (name, m.notes)
        if gps.strip():
            lat, lon = (_dms(part) for part in gps.split(","))
            assert m.lat == pytest.approx(lat, abs=1e-4) and m.lon == pytest.approx(lon, abs=1e-4), name
            assert m.country_code, name
        else:
            assert m.lat is None, name
        assert m.file_type == "HEIF" and m.width and m.height, name
    assert checked == 22


def test_raw_files_give_camera_date_and_full_pixel_size() -> None:
    dng = read_metadata(str(_dataset("raw", "photoprism_canon_eos_6d.dng")))
    assert (dng.make, dng.model, dng.lens) == ("Canon", "EOS 6D", "EF24-105mm f/4L IS USM")
    assert (dng.taken_local, dng.taken_source, dng.file_type) == ("2019-06-06T07:29:51", "raw", "RAW")
    assert (dng.focal_mm, dng.aperture, dng.iso) == (65.0, 5.6, 1000)
    kodak = read_metadata(str(_dataset("raw", "rawpy_RAW_KODAK_DC50.KDC")))  # only EXIF DateTime
    assert (kodak.make, kodak.model) == ("Kodak", "Digital Science DC50 Zoom Camera")
    assert (kodak.taken_local, kodak.taken_source) == ("1997-04-23T08:00:47", "raw")
    try:
        import rawpy  # noqa: F401
    except ImportError:  # Pillow sees only the preview: no size rather than the preview's
        assert dng.width is None and any("rawpy" in note for note in dng.notes)
        return
    assert (dng.width, dng.height, kodak.width, kodak.height) == (1224, 816, 768, 512)


# -- bad metadata -----------------------------------------------------------------------------------
def _jpeg(path: Path, colour: tuple[int, int, int] = (200, 30, 30), ifd0: dict[int, object] | None = None,
          exif: dict[int, object] | None = None, gps: dict[int, object] | None = None,
          raw: bytes | None = None) -> Path:
    """A small JPEG with the EXIF given (or the raw bytes of an EXIF block), written by Pillow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (64, 48), colour)
    if raw is not None:
        image.save(path, exif=raw)
        return path
    block = Image.Exif()
    block.update(ifd0 or {})
    if exif:
        block[EXIF_IFD] = exif
    if gps:
        block[GPS_IFD] = gps
    image.save(path, exif=block)
    return path


BAD = {  # file -> (EXIF, what its note says)
    "zero_date.jpg": ({"exif": {0x9003: "0000:00:00 00:00:00"}}, "impossible date '0000:00:00 00:00:00'"),
    "mac_epoch.jpg": ({"exif": {0x9003: "1904:01:01 00:00:00"}}, "never set"),
    "future.jpg": ({"exif": {0x9003: "2999:06:01 12:00:00"}}, "in the future"),
    "month_13.jpg": ({"exif": {0x9003: "2019:13:01 10:00:00"}}, "impossible date"),
    "garbage_date.jpg": ({"exif": {0x9003: "yesterday"}}, "unreadable date 'yesterday'"),
    "broken_block.jpg": ({"raw": b"Exif\x00\x00II*\x00" + b"\x08\x00\x00\x00\xff\xff" + b"\x13\x37" * 30},
                         "EXIF block damaged"),
    "not_tiff.jpg": ({"raw": b"Exif\x00\x00" + b"\x13\x37" * 40}, "EXIF block damaged"),
    "gps_zero.jpg": ({"gps": {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}}, "GPS 0,0"),
    "gps_lat_95.jpg": ({"gps": {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)}}, "out of range"),
    "gps_minutes_75.jpg": ({"gps": {1: "N", 2: (45.0, 75.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)}}, "GPS position"),
    "gps_unknown.jpg": ({"gps": {1: "N", 2: (IFDRational(0, 0),) * 3, 3: "E", 4: (IFDRational(0, 0),) * 3}},
                        "GPS position"),  # 0/0: how EXIF says a value is unknown
    "bad_exposure.jpg": ({"exif": {0x829D: 0.2, 0x8827: 0, 0x920A: 0.0, 0x829A: 0.004}},
                         "aperture 0.2 is out of range"),
    "bad_offset.jpg": ({"exif": {0x9003: "2019:07:14 18:03:21", 0x9011: "+99:00"}}, "impossible time zone offset"),
}


def _bad_folder(root: Path) -> dict[str, Path]:
    made = {}
    for number, (name, (spec, _)) in enumerate(sorted(BAD.items())):
        colour = (20 + 15 * number, 200 - 10 * number, (90 * number) % 255)
        made[name] = _jpeg(root / name, colour, **spec)  # type: ignore[arg-type]
    return made


def test_bad_metadata_is_unknown_with_a_note_saying_why(tmp_path: Path) -> None:
    made = _bad_folder(tmp_path)
    for name, (_, note) in BAD.items():
        m = read_metadata(str(made[name]))
        assert any(note in n for n in m.notes), (name, m.notes)
        assert m.width == 64 and m.file_type == "JPEG", name
    for name in ("zero_date.jpg", "mac_epoch.jpg", "future.jpg", "month_13.jpg", "garbage_date.jpg"):
        m = read_metadata(str(made[name]))
        mtime = made[name].stat().st_mtime
        assert (m.taken_source, m.taken_utc) == ("file", pytest.approx(mtime, abs=1)), name
    for name in ("gps_zero.jpg", "gps_lat_95.jpg", "gps_minutes_75.jpg", "gps_unknown.jpg"):
        m = read_metadata(str(made[name]))
        assert (m.lat, m.lon, m.country) == (None, None, None), name
    exposure = read_metadata(str(made["bad_exposure.jpg"]))
    assert (exposure.aperture, exposure.iso, exposure.focal_mm, exposure.exposure_s) == (None, None, None, 0.004)
    offset = read_metadata(str(made["bad_offset.jpg"]))  # the time stands, its offset does not
    assert (offset.taken_local, offset.taken_offset, offset.taken_source) == ("2019-07-14T18:03:21", None, "exif")


def test_a_file_that_is_no_image_has_metadata_of_its_file_only(tmp_path: Path) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe1 not really a JPEG")
    m = read_metadata(str(junk))
    assert m.taken_source == "file" and m.make is None and any("unreadable" in n for n in m.notes)


def test_a_sidecar_date_and_position_count_when_the_photo_has_none(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path / "scan.jpg")
    (tmp_path / "scan.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:exif="http://ns.adobe.com/exif/1.0/" photoshop:DateCreated="1962-08-05T14:30:00+02:00">'
        "<exif:GPSLatitude>48,51.4700N</exif:GPSLatitude><exif:GPSLongitude>2,17.8200E</exif:GPSLongitude>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>")
    m = read_metadata(str(photo))
    assert (m.taken_local, m.taken_offset, m.taken_source) == ("1962-08-05T14:30:00", "+02:00", "xmp")
    assert m.lat == pytest.approx(48.857833, abs=1e-6) and m.lon == pytest.approx(2.297, abs=1e-6)
    assert (m.city, m.country_code) == ("Paris", "FR")


def test_bad_metadata_never_stops_indexing(tiny_models: Path, tmp_path: Path) -> None:
    made = _bad_folder(tmp_path / "photos")
    with open_library(tmp_path / "lib") as library:
        report = library.index([tmp_path / "photos"])
        assert (report.added, report.failed) == (len(BAD), [])
        for name, (_, note) in BAD.items():
            stored = library.metadata(made[name])
            assert any(note in n for n in stored.notes), (name, stored.notes)
            assert stored == read_metadata(str(made[name])), name  # stored as read, notes included


# -- a library from before metadata ----------------------------------------------------------------
def _as_version_4(catalogue: Path) -> None:
    """The catalogue as schema version 4 (before metadata) wrote it."""
    db = sqlite3.connect(catalogue)
    try:
        db.executescript("DROP TABLE metadata; PRAGMA user_version = 4;")
    finally:
        db.close()


def test_an_old_library_gains_metadata_on_rescan_without_running_the_model(tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    real = ["exif-samples__DSCN0010.jpg", "photoprism__smallFiji.JPG", "exif-samples__Canon_40D.jpg"]
    for name in real:
        (photos / name).parent.mkdir(parents=True, exist_ok=True)
        (photos / name).write_bytes(_dataset("exif", name).read_bytes())
    _bad_folder(photos / "bad")
    lib = tmp_path / "lib"
    with open_library(lib) as library:
        assert library.index([photos]).added == len(real) + len(BAD)
        seqs = dict(library.catalogue.db.execute("SELECT photo_id, seq FROM vectors WHERE kind = ?", (FEATURES,)))
    _as_version_4(lib / "catalogue.sqlite")
    backups_before = set((lib / "backups").glob("*.sqlite"))
    with open_library(lib) as library:
        assert set((lib / "backups").glob("*.sqlite")) - backups_before  # backed up before migrating
        assert library.metadata(photos / real[0]).make == "Nikon"  # not stored yet: read from the file
        assert library.catalogue.db.execute("SELECT COUNT(*) FROM metadata").fetchone()[0] == 0
        report = library.index()
        assert (report.added, report.updated, report.unchanged) == (0, 0, len(real) + len(BAD))
        assert report.metadata_read == len(real) + len(BAD)
        after = dict(library.catalogue.db.execute("SELECT photo_id, seq FROM vectors WHERE kind = ?", (FEATURES,)))
        assert after == seqs  # no vector was computed again
        fiji = library.metadata(photos / "photoprism__smallFiji.JPG")
        assert (fiji.make, fiji.model, fiji.country_code, fiji.taken_local) == (
            "Canon", "PowerShot A70", "FJ", "2004-06-17T09:04:12")
        assert library.catalogue.db.execute("SELECT COUNT(*) FROM metadata").fetchone()[0] == len(real) + len(BAD)
        assert library.index().metadata_read == 0  # once read, never again


def test_metadata_is_read_for_any_file_outside_the_library_and_missing_files_are_a_sentence(tmp_path: Path) -> None:
    m = read_photo_metadata(_dataset("exif", "photoprism__ocean_cyan.jpg"))
    assert (m.make, m.country) == ("Canon", "South Africa")
    from cbir_desktop.engine.errors import EngineError

    with pytest.raises(EngineError, match="No such file"):
        read_photo_metadata(tmp_path / "gone.jpg")
