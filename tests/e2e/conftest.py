"""The real camera photos the CLI's end-to-end tests search (../shared/datasets/formats/exif,
its tags.csv the ground truth), indexed once for every module that reads them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers import EXIF
from helpers import cbir_with_shipped_models as cbir


@pytest.fixture(scope="session")
def exif_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of the 50 camera photos, indexed with the shipped model. Read it, never change
    it: the modules share it."""
    if not (EXIF / "tags.csv").is_file():
        pytest.fail(f"needs the camera photos in {EXIF} (../shared/datasets beside the repository)", pytrace=False)
    lib = tmp_path_factory.mktemp("exif") / "lib"
    cbir("index", str(EXIF), library=lib)
    return lib


@pytest.fixture(scope="session")
def exif_truth() -> dict[str, dict[str, str]]:
    """tags.csv by file name: date, make, model, GPS, place of each photo."""
    with (EXIF / "tags.csv").open(newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f)}
