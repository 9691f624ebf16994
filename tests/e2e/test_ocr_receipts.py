"""Real receipts (SROIE) among real Caltech photos, through the command line with the shipped
model: a receipt's company name and its total find it first, marked as text in the photo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import cbir_with_shipped_models

pytestmark = pytest.mark.e2e

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
RECEIPTS = DATASETS / "ocr" / "sroie"
CALTECH = DATASETS / "caltech101" / "101_ObjectCategories"


def test_a_receipt_is_found_first_by_its_company_name_and_by_its_total(tmp_path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for receipt in ("001", "003"):
        shutil.copy(RECEIPTS / f"{receipt}.jpg", photos / f"receipt_{receipt}.jpg")
    for category in ("airplanes", "sunflower"):
        shutil.copy(CALTECH / category / "image_0001.jpg", photos / f"{category}.jpg")
    library = tmp_path / "library"
    first = cbir_with_shipped_models("index", str(photos), "--no-faces", "--no-text", library=library)
    assert "read text" not in first.stdout  # searchable now, the text left for the next run
    assert "text  on" in cbir_with_shipped_models("settings", library=library).stdout  # on in a new library
    indexed = cbir_with_shipped_models("index", "--no-faces", library=library)  # reads what is unread
    assert "read text in 2 of 4 photos" in indexed.stdout

    for query, expected in (("INDAH GIFT", "receipt_001.jpg"), ("yongfatt", "receipt_003.jpg"),
                            ("80.90", "receipt_003.jpg"), ("60.30", "receipt_001.jpg")):
        found = cbir_with_shipped_models("search", "--text", query, "--json", library=library)
        hits = json.loads(found.stdout)["results"]
        assert Path(hits[0]["path"]).name == expected, query
        assert hits[0]["source"] == "text in photo" and query.split()[0].lower() in hits[0]["snippet"].lower()
        assert all("source" not in hit for hit in hits if Path(hit["path"]).name != expected)

    shown = cbir_with_shipped_models("search", "--text", "indah", library=library).stdout
    assert "receipt_001.jpg" in shown and "text in photo: " in shown and "[INDAH]" in shown
