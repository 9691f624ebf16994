"""Query expansion and database-side augmentation: copies still first, the neighbour graph
kept current by indexing touching only the photos affected, and equal to a full build."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cbir, shaded_folder, solid
from PIL import Image

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.storage.catalogue import FEATURES
from cbir_desktop.engine.vectors.neighbours import AUGMENTED, GRAPH_K, neighbour_lists

SUBJECTS = {"reds": (210, 30, 30), "greens": (30, 190, 40), "blues": (30, 40, 200)}


def _shoot(root: Path, per_subject: int) -> None:
    for seed, (name, base) in enumerate(SUBJECTS.items()):
        shaded_folder(root / name, base, per_subject, seed=seed)


def _graph(library) -> tuple[dict, dict[int, np.ndarray], dict[int, int]]:
    """Neighbour lists, augmented vectors and their seq, by photo."""
    cat, model = library.catalogue, library.model_id
    vectors = {pid: vec for _, pid, vec in cat.iter_vectors(model, AUGMENTED)}
    seqs = {pid: seq for seq, pid, _ in cat.iter_vectors(model, AUGMENTED)}
    return neighbour_lists(cat, model), vectors, seqs


def _assert_same_graph(incremental: tuple[dict, dict, dict], full: tuple[dict, dict, dict]) -> None:
    lists, vectors, _ = incremental
    full_lists, full_vectors, _ = full
    assert set(lists) == set(full_lists)
    for pid, items in lists.items():
        assert [n for n, _ in items] == [n for n, _ in full_lists[pid]]
        np.testing.assert_allclose([s for _, s in items], [s for _, s in full_lists[pid]], atol=1e-5)
    assert set(vectors) == set(full_vectors)
    for pid, vector in vectors.items():
        np.testing.assert_allclose(vector, full_vectors[pid], atol=1e-5)


def _ids_under(library, folder: Path) -> set[int]:
    return {row.id for row in library.catalogue.photos_under(str(folder)).values()}


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Three subjects of 13 shades each: every photo's GRAPH_K nearest are of its subject."""
    root = tmp_path / "photos"
    _shoot(root, GRAPH_K + 3)
    return root


def test_indexing_augments_every_photo_with_its_nearest_of_the_same_subject(
        tiny_models: Path, tmp_path: Path, photos: Path) -> None:
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
        lists, vectors, _ = _graph(library)
        ids = library.catalogue.photo_ids_with_vectors(library.model_id)
        assert set(lists) == set(vectors) == ids
        for name in SUBJECTS:
            subject = _ids_under(library, photos / name)
            for pid in subject:
                assert len(lists[pid]) == GRAPH_K
                assert {n for n, _ in lists[pid]} <= subject - {pid}
        assert library.image_expansion


def test_adding_and_removing_photos_updates_only_the_affected_and_equals_a_full_build(
        tiny_models: Path, tmp_path: Path, photos: Path) -> None:
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
        _, _, seqs_before = _graph(library)
        # One more red: the new photo and the reds that now have it among their nearest.
        solid(photos / "reds" / "new red.jpg", (205, 35, 32))
        library.index([photos])
        lists, _, seqs_after = _graph(library)
        new_id = library.catalogue.photo_by_path(str(photos / "reds" / "new red.jpg")).id
        rewritten = {pid for pid, seq in seqs_after.items() if seqs_before.get(pid) != seq}
        holders = {pid for pid, items in lists.items() if new_id in {n for n, _ in items}}
        assert new_id in rewritten and holders
        assert rewritten == holders | {new_id}  # only they: the greens and blues keep theirs
        assert not rewritten & (_ids_under(library, photos / "greens") | _ids_under(library, photos / "blues"))
        incremental = _graph(library)
        library.rebuild_neighbours()
        _assert_same_graph(incremental, _graph(library))

        # A blue leaves: only the blues that had it find their nearest again.
        gone = photos / "blues" / "IMG_0003.jpg"
        gone_id = library.catalogue.photo_by_path(str(gone)).id
        had_it = {pid for pid, items in _graph(library)[0].items() if gone_id in {n for n, _ in items}}
        _, _, seqs_before = _graph(library)
        gone.unlink()
        library.index([photos])
        lists, _, seqs_after = _graph(library)
        assert gone_id not in lists and all(gone_id not in {n for n, _ in items} for items in lists.values())
        rewritten = {pid for pid, seq in seqs_after.items() if seqs_before.get(pid) != seq}
        assert rewritten == had_it
        incremental = _graph(library)
        library.rebuild_neighbours()
        _assert_same_graph(incremental, _graph(library))

        # A rescan with nothing changed writes nothing.
        _, _, seqs_before = _graph(library)
        library.index([photos])
        assert _graph(library)[2] == seqs_before


def test_a_copy_and_a_resized_copy_still_find_their_original_first(
        tiny_models: Path, tmp_path: Path, photos: Path) -> None:
    original = photos / "greens" / "IMG_0004.jpg"
    (photos / "copies").mkdir()
    shutil.copy(original, photos / "copies" / "green copy.jpg")
    Image.open(original).resize((32, 24)).save(photos / "copies" / "green small.jpg")
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
        assert library.image_expansion
        hits = library.search_image(original, 10)
        assert {Path(h.path).name for h in hits[:2]} == {"IMG_0004.jpg", "green copy.jpg"}
        assert Path(hits[2].path).name == "green small.jpg"
        # A file outside the library: its copies first, then the rest of its subject.
        outside = shutil.copy(original, tmp_path / "query.jpg")
        hits = library.search_image(outside, 14)
        assert {Path(h.path).name for h in hits[:3]} == {"IMG_0004.jpg", "green copy.jpg", "green small.jpg"}
        assert all("/greens/" in h.path or "/copies/" in h.path for h in hits[:14])
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_the_setting_turns_expansion_off_and_survives_reopening(
        tiny_models: Path, tmp_path: Path, photos: Path) -> None:
    query = photos / "reds" / "IMG_0002.jpg"
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
        expanded = [(h.path, h.score) for h in library.search_image(query, 10)]
        library.set_image_expansion(False)
        raw = [(h.path, h.score) for h in library.search_image(query, 10)]
        assert raw != expanded
        # Off: indexing leaves the graph alone (new photos get no augmented vector).
        solid(photos / "reds" / "late red.jpg", (200, 40, 40))
        library.index([photos])
        late = library.catalogue.photo_by_path(str(photos / "reds" / "late red.jpg")).id
        assert library.catalogue.vector_of(late, library.model_id, AUGMENTED) is None
    with open_library(tmp_path / "lib") as library:
        assert not library.image_expansion
        library.set_image_expansion(True)
        library.index([photos])  # on again: the next run brings the graph up to date
        cat = library.catalogue
        assert cat.count_vectors(library.model_id, AUGMENTED) == cat.count_vectors(library.model_id, FEATURES)


def test_cbir_settings_turns_expansion_off_and_on(tiny_models: Path, tmp_path: Path, photos: Path) -> None:
    library = tmp_path / "lib"
    assert run_cbir("index", photos, library=library, models=tiny_models).returncode == 0
    assert "expansion  on" in run_cbir("settings", library=library, models=tiny_models).stdout
    off = run_cbir("settings", "expansion", "off", library=library, models=tiny_models)
    assert "expansion  off" in off.stdout
    with open_library(library) as opened:
        assert not opened.image_expansion


def test_lists_lost_from_the_catalogue_are_found_again_not_merged_into_from_nothing(
        tiny_models: Path, tmp_path: Path, photos: Path) -> None:
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
        with library.catalogue.transaction():
            library.catalogue.db.execute("DELETE FROM neighbours")
        solid(photos / "blues" / "new blue.jpg", (35, 45, 205))
        library.index([photos])
        incremental = _graph(library)
        assert all(len(items) == GRAPH_K for items in incremental[0].values())
        library.rebuild_neighbours()
        _assert_same_graph(incremental, _graph(library))
