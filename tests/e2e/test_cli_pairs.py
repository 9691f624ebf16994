"""RAW+JPEG pairs through the CLI with the shipped model: a real camera DNG beside the JPEG made
from it is one result (the JPEG, with a "+ RAW:" line and "raw_path" in JSON), a real KDC
alone is a photo of its own, and `cbir settings pairs off|on` turns pairing off and on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import cbir_with_shipped_models as cbir
from PIL import Image

from cbir_desktop.engine.api import photo_pixels

REPO = Path(__file__).resolve().parents[2]
RAW = REPO.parent / "shared" / "datasets" / "formats" / "raw"
DNG = RAW / "photoprism_canon_eos_6d.dng"
KDC = RAW / "rawpy_RAW_KODAK_DC50.KDC"

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not DNG.is_file() or not KDC.is_file(),
                                                  reason=f"needs the real RAW files in {RAW}")]


def test_a_real_raw_beside_its_jpeg_is_one_result_until_pairing_is_turned_off(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    raw = Path(shutil.copy(DNG, photos / "IMG_6D.DNG"))
    jpeg = photos / "img_6d.jpg"  # the camera's JPEG, named in another case by a copy tool
    Image.fromarray(photo_pixels(raw, 1024)).save(jpeg, quality=90)
    alone = Path(shutil.copy(KDC, photos / "kodak.KDC"))
    library = tmp_path / "library"
    cbir("index", str(photos), library=library)

    out = cbir("search", "-k", "5", "--all", "--image", str(raw), library=library).stdout.splitlines()
    assert f"{jpeg}  [" in out[1] and out[2] == f"    + RAW: {raw}"  # the JPEG first, then its RAW
    assert sum(str(raw) in line for line in out[1:]) == 1 and any(str(alone) in line for line in out)

    record = json.loads(cbir("search", "--json", "-k", "5", "--image", str(jpeg), library=library).stdout)
    assert [(hit["path"], hit.get("raw_path")) for hit in record["results"]] == [(str(jpeg), str(raw)),
                                                                                 (str(alone), None)]
    listing = cbir("search", "--type", "jpeg", library=library).stdout.splitlines()
    assert listing[1:] == [f"  {jpeg}", f"    + RAW: {raw}"]

    assert "pairs  on" in cbir("settings", library=library).stdout
    assert "pairs  off" in cbir("settings", "pairs", "off", library=library).stdout
    record = json.loads(cbir("search", "--json", "-k", "5", "--image", str(jpeg), library=library).stdout)
    assert {hit["path"] for hit in record["results"]} == {str(jpeg), str(raw), str(alone)}
    assert not any("raw_path" in hit for hit in record["results"])
    cbir("settings", "pairs", "on", library=library)
    assert len(json.loads(cbir("search", "--json", "-k", "5", "--image", str(jpeg),
                               library=library).stdout)["results"]) == 2

    wrong = cbir("settings", "pairs", library=library, check=False)
    assert wrong.returncode == 1 and "on` or `off`" in wrong.stderr
