"""The duplicate finder on real copies and edits (../shared/datasets/neardup, groups.csv its
truth), indexed with the shipped model and asked through `cbir duplicates --json`."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from helpers import REPO
from helpers import cbir_with_shipped_models as cbir

NEARDUP = REPO.parent / "shared" / "datasets" / "neardup"
HDR = ("g02_iphone_hdr", "g02_canon_hdr")  # consecutive captures: series, neither right nor wrong as "same"


@pytest.fixture(scope="module")
def neardup_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (NEARDUP / "groups.csv").is_file():
        pytest.fail(f"needs the near-duplicate photos in {NEARDUP} (../shared/datasets beside the repository)",
                    pytrace=False)
    lib = tmp_path_factory.mktemp("neardup") / "lib"
    cbir("index", "--no-faces", str(NEARDUP), library=lib)
    return lib


@pytest.fixture(scope="module")
def truth() -> dict[str, str]:
    with (NEARDUP / "groups.csv").open(newline="") as f:
        return {row["file"]: row["group"] for row in csv.DictReader(f)}


def found_groups(library: Path, level: str) -> list[list[str]]:
    out = cbir("duplicates", "--level", level, "--json", library=library).stdout
    return [[Path(m["path"]).name for m in json.loads(line)["members"]] for line in out.splitlines()]


def pairs_of(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for group in groups for p in itertools.combinations(group, 2)}


def test_same_level_finds_every_same_photo_group_and_no_distractor(neardup_library, truth):
    groups = found_groups(neardup_library, "same")
    same = {g for g in truth.values() if g != "distractor" and g not in HDR}
    true_pairs = pairs_of([[f for f, g in truth.items() if g == group] for group in same])
    neutral = pairs_of([[f for f, g in truth.items() if g == group] for group in HDR])
    found = pairs_of(groups) - neutral
    precision = len(found & true_pairs) / max(len(found), 1)
    recall = len(found & true_pairs) / len(true_pairs)
    print(f"neardup 'same': pairwise precision {precision:.3f}, recall {recall:.3f} "
          f"({len(found & true_pairs)} of {len(true_pairs)} pairs, {len(found - true_pairs)} wrong)")
    assert precision >= 0.99 and recall >= 0.95
    for group in same:  # each whole, in one found group
        members = {f for f, g in truth.items() if g == group}
        assert any(members <= set(found) for found in groups), group
    assert not [f for group in groups for f in group if truth[f] == "distractor"]


def test_series_level_pairs_the_hdr_shots(neardup_library, truth):
    groups = found_groups(neardup_library, "series")
    for hdr in HDR:
        members = {f for f, g in truth.items() if g == hdr}
        assert any(members == set(found) for found in groups), hdr
    assert not [f for group in groups for f in group if truth[f] == "distractor"]


def test_exact_level_holds_only_copies_of_one_photo(neardup_library, truth):
    groups = found_groups(neardup_library, "exact")
    assert {"g08_el_torcal__el_torcal_rocks.jpg", "g08_el_torcal__el_torcal_rocks.jpeg"} in [set(g) for g in groups]
    assert {"g06_heic_nopets__IMG_2927.HEIC", "g06_heic_nopets__exif-at-eof.heic"} in [set(g) for g in groups]
    for group in groups:
        assert len({truth[f] for f in group}) == 1 and truth[group[0]] != "distractor"


def test_the_original_iphone_photo_is_kept_over_its_edit_and_copies(neardup_library):
    out = cbir("duplicates", "--json", library=neardup_library).stdout
    (g01,) = [json.loads(line) for line in out.splitlines() if "IMG_E4120" in line]
    assert Path(g01["keeper"]).name == "g01_photoprism_img4120__IMG_4120.JPG"
    edit = next(m for m in g01["members"] if "IMG_E4120" in m["path"])
    assert "resolution" in edit["differences"]
