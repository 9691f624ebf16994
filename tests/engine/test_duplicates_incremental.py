"""Duplicates kept between runs: pair verdicts reused while both photos and the checks are
unchanged, and new photos searched alone, with the groups a full pass would find."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
from PIL import Image
from test_duplicates import scene

import cbir_desktop.engine.culling.confirm as confirm_module
import cbir_desktop.engine.culling.finder as finder_module
import cbir_desktop.engine.culling.incremental as incremental_module
import cbir_desktop.engine.culling.neighbours as neighbours_module
import cbir_desktop.engine.vectors.index as index_module
from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.culling.finder import SAME_COSINE, find_duplicates
from cbir_desktop.engine.culling.incremental import searched_with
from cbir_desktop.engine.culling.memory import DuplicatesMemory
from cbir_desktop.engine.culling.reduced_space import load_space
from cbir_desktop.engine.storage.catalogue import FEATURES, Catalogue
from cbir_desktop.engine.storage.pair_verdicts import searched_photos
from cbir_desktop.engine.vectors.index import VectorIndex

# Scenes far apart in mean colour: the tiny test model's vectors (a projection of the mean
# colour) keep each scene's copies nearest to one another.
MEANS = ((200, 90, 60), (60, 180, 90), (70, 90, 200), (190, 190, 70), (150, 60, 170))


def copies(folder: Path, n: int, kinds: tuple[str, ...] = ("", "small", "mirror")) -> None:
    """Scene `n` as an original and some of its copies (another size, a mirror image, a quarter turn)."""
    folder.mkdir(parents=True, exist_ok=True)
    original = scene(n, size=(480, 320), mean=MEANS[n])
    made = {"": original, "small": original.resize((240, 160), Image.Resampling.LANCZOS),
            "mirror": original.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            "turned": original.transpose(Image.Transpose.ROTATE_90)}
    for kind in kinds:
        made[kind].save(folder / f"scene{n}{'_' + kind if kind else ''}.png")


def names(groups) -> list[set[str]]:  # noqa: ANN001 - DuplicateGroups
    return sorted(({Path(m.path).name for m in g.members} for g in groups), key=sorted)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The pixel checks the finder runs: the same check, counted."""
    calls: list[tuple[int, int]] = []
    real = finder_module.same_shot

    def counted(a, b, register=True):  # noqa: ANN001, ANN202 - same_shot's own signature
        calls.append((a.photo_id, b.photo_id))
        return real(a, b, register)

    monkeypatch.setattr(finder_module, "same_shot", counted)
    return calls


@pytest.fixture
def full_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many photos each full neighbour search compared (an incremental call runs none)."""
    passes: list[int] = []
    real = incremental_module.nearest_pairs

    def counted(ids, matrix, threshold, **kwargs):  # noqa: ANN001, ANN003, ANN202
        passes.append(len(ids))
        return real(ids, matrix, threshold, **kwargs)

    monkeypatch.setattr(incremental_module, "nearest_pairs", counted)
    return passes


def forget_everything(library) -> None:  # noqa: ANN001 - a Library
    """Back to a library that never searched for duplicates (signatures kept: pixels are not the point)."""
    with library.catalogue.transaction():
        library.catalogue.db.execute("DELETE FROM pair_verdicts")
        library.catalogue.db.execute("DELETE FROM neighbours_searched")


def test_a_second_search_reuses_every_verdict(tmp_path, tiny_models, library_dir, checked):
    for n in range(3):
        copies(tmp_path / "photos", n)
    with open_library(library_dir) as library:
        library.index([tmp_path / "photos"])
        first = library.duplicates("same")
        assert names(first) == [{f"scene{n}.png", f"scene{n}_small.png", f"scene{n}_mirror.png"} for n in range(3)]
        assert checked, "the first search checks its candidates"
        rows = library.catalogue.db.execute("SELECT count(*), sum(verdict != '') FROM pair_verdicts").fetchone()
        assert rows[0] == len(set(checked)) and rows[1] >= 6  # every pair checked is kept, verdicts included
        checked.clear()
        assert library.duplicates("same") == first
        assert checked == []


def test_a_photo_with_new_content_is_checked_again(tmp_path, tiny_models, library_dir, checked):
    photos = tmp_path / "photos"
    copies(photos, 0)
    copies(photos, 1)
    with open_library(library_dir) as library:
        library.index([photos])
        assert len(library.duplicates("same")) == 2
        changed = library.catalogue.photo_by_path(str(photos / "scene0_small.png"))
        assert changed is not None
        scene(3, size=(240, 160), mean=MEANS[0]).save(photos / "scene0_small.png")  # another picture, same colours
        os.utime(photos / "scene0_small.png", (1_700_000_000, 1_700_000_000))
        library.index([photos])
        checked.clear()
        assert names(library.duplicates("same")) == [{"scene0.png", "scene0_mirror.png"},
                                                     {"scene1.png", "scene1_small.png", "scene1_mirror.png"}]
        assert checked and all(changed.id in pair for pair in checked)  # only its pairs, nothing else
        hashes = library.catalogue.db.execute(
            "SELECT DISTINCT CASE WHEN a = ? THEN hash_a ELSE hash_b END FROM pair_verdicts WHERE ? IN (a, b)",
            (changed.id, changed.id)).fetchall()
        now = library.catalogue.photo_by_path(str(photos / "scene0_small.png"))
        assert now is not None and now.id == changed.id and hashes == [(now.content_hash,)]


def test_a_removed_photo_leaves_no_pair(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    copies(photos, 0)
    with open_library(library_dir) as library:
        library.index([photos])
        gone = library.catalogue.photo_by_path(str(photos / "scene0_mirror.png"))
        assert gone is not None and len(library.duplicates("same")) == 1
        (photos / "scene0_mirror.png").unlink()
        library.index([photos])
        db = library.catalogue.db
        assert db.execute("SELECT count(*) FROM pair_verdicts WHERE ? IN (a, b)", (gone.id,)).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM neighbours_searched WHERE photo_id = ?", (gone.id,)).fetchone()[0] == 0
        assert names(library.duplicates("same")) == [{"scene0.png", "scene0_small.png"}]


@pytest.mark.parametrize("annoy_from", [3000, 2], ids=["exact", "annoy"])
def test_new_photos_are_searched_alone_and_group_as_a_full_pass_would(
        tmp_path, tiny_models, library_dir, checked, full_passes, monkeypatch, annoy_from):
    monkeypatch.setattr(index_module, "EXACT_BELOW", annoy_from)  # "annoy": the library's image index is an Annoy file
    photos = tmp_path / "photos"
    for n in range(4):
        copies(photos / "old", n)
    with open_library(library_dir) as library:
        library.index([photos])
        assert (library.root / "index" / "tiny8" / "features.ann").is_file() == (annoy_from == 2)
        library.duplicates("same")
        assert full_passes == [12]
        copies(photos / "new", 0, ("turned",))  # a new copy of an old photo
        copies(photos / "new", 4, ("", "small"))  # a new photo and its copy
        library.index([photos])
        checked.clear()
        incremental = names(library.duplicates("same"))
        assert full_passes == [12], "the second search compared only the new photos"
        new_ids = {library.catalogue.photo_by_path(str(p)).id for p in (photos / "new").iterdir()}  # type: ignore[union-attr]
        assert checked and all(set(pair) & new_ids for pair in checked), "only pairs with a new photo are checked"
        assert {"scene0.png", "scene0_small.png", "scene0_mirror.png", "scene0_turned.png"} in incremental
        assert {"scene4.png", "scene4_small.png"} in incremental
        forget_everything(library)
        assert names(library.duplicates("same")) == incremental
        assert full_passes == [12, 15]


def test_beyond_an_exact_search_new_photos_are_searched_in_the_full_pass_space(
        tmp_path, tiny_models, library_dir, checked, full_passes, monkeypatch):
    monkeypatch.setattr(neighbours_module, "EXACT_UP_TO", 4)  # the full pass reduces, as beyond 12,000 photos
    in_space: list[int] = []
    real = incremental_module._nearest_in_space

    def counted(catalogue, model_id, how, space, vectors):  # noqa: ANN001, ANN202
        in_space.append(len(vectors))
        return real(catalogue, model_id, how, space, vectors)

    monkeypatch.setattr(incremental_module, "_nearest_in_space", counted)
    photos = tmp_path / "photos"
    for n in range(4):
        copies(photos / "old", n)
    with open_library(library_dir) as library:
        library.index([photos])
        library.duplicates("same")
        folder = library.root / "index" / "tiny8"
        how = searched_with(library.model_id, SAME_COSINE)
        space = load_space(folder, how)
        assert space is not None and len(space.ids) == 12, "the full pass kept the space it searched in"
        space.close()
        assert load_space(folder, searched_with(library.model_id, 0.5)) is None, "another search's space is not used"
        copies(photos / "new", 0, ("turned",))
        copies(photos / "new", 4, ("", "small"))
        library.index([photos])
        checked.clear()
        incremental = names(library.duplicates("same"))
        assert full_passes == [12] and in_space == [3], "the new photos were searched in the kept space"
        new_ids = {library.catalogue.photo_by_path(str(p)).id for p in (photos / "new").iterdir()}  # type: ignore[union-attr]
        assert checked and all(set(pair) & new_ids for pair in checked), "only pairs with a new photo are checked"
        assert {"scene0.png", "scene0_small.png", "scene0_mirror.png", "scene0_turned.png"} in incremental
        assert {"scene4.png", "scene4_small.png"} in incremental
        forget_everything(library)
        assert names(library.duplicates("same")) == incremental
        assert full_passes == [12, 15]
        space = load_space(folder, how)
        assert space is not None and len(space.ids) == 15, "the full pass replaced the space"
        space.close()


def test_photos_added_since_the_full_pass_are_searched_beside_its_space(tmp_path, tiny_models, library_dir,
                                                                        full_passes, monkeypatch):
    monkeypatch.setattr(neighbours_module, "EXACT_UP_TO", 4)
    photos = tmp_path / "photos"
    for n in range(4):
        copies(photos / "old", n)
    with open_library(library_dir) as library:
        library.index([photos])
        library.duplicates("same")
        copies(photos / "new1", 4, ("",))  # searched alone: nothing like it yet
        library.index([photos])
        library.duplicates("same")
        copies(photos / "new2", 4, ("small", "mirror"))  # its copies: it is not in the space, but written since
        library.index([photos])
        assert {"scene4.png", "scene4_small.png", "scene4_mirror.png"} in names(library.duplicates("same"))
        assert full_passes == [12], "both updates searched only the new photos"


def test_a_full_pass_that_compares_exactly_keeps_no_space(tmp_path, tiny_models, library_dir, monkeypatch):
    copies(tmp_path / "photos", 0)
    with open_library(library_dir) as library:
        library.index([tmp_path / "photos"])
        monkeypatch.setattr(neighbours_module, "EXACT_UP_TO", 2)
        library.duplicates("same")
        how = searched_with(library.model_id, SAME_COSINE)
        assert load_space(library.root / "index" / "tiny8", how) is not None
        monkeypatch.setattr(neighbours_module, "EXACT_UP_TO", 12_000)
        forget_everything(library)
        library.duplicates("same")
        assert load_space(library.root / "index" / "tiny8", how) is None, "a space not searched in is dropped"


def test_a_new_version_of_the_checks_decides_every_pair_again(tmp_path, tiny_models, library_dir, checked,
                                                               monkeypatch):
    copies(tmp_path / "photos", 0)
    with open_library(library_dir) as library:
        library.index([tmp_path / "photos"])
        first = library.duplicates("same")
        pairs = len(checked)
        checked.clear()
        monkeypatch.setattr(confirm_module, "CHECK_VERSION", confirm_module.CHECK_VERSION + 1)
        assert library.duplicates("same") == first
        assert len(checked) == pairs
        versions = library.catalogue.db.execute("SELECT DISTINCT checks FROM pair_verdicts").fetchall()
        assert versions == [((confirm_module.CHECK_VERSION) * 1000 + 1,)]


def test_a_read_only_catalogue_finds_new_groups_and_writes_nothing(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    copies(photos, 0)
    copies(photos, 1)
    with open_library(library_dir) as library:
        library.index([photos])
        model = library.model_id
        library.duplicates("same")  # kept for scenes 0 and 1
        copies(photos, 0, ("turned",))
        library.index([photos])  # one photo is new: searched alone
    before = (library_dir / "catalogue.sqlite").read_bytes()
    catalogue = Catalogue(library_dir / "catalogue.sqlite", readonly=True)
    try:  # a read-only connection: any write would raise
        assert len(searched_photos(catalogue, searched_with(model, SAME_COSINE))) == 6
        found = find_duplicates(catalogue, model, "same", keep_signatures=False,
                                index_for=partial(VectorIndex, library_dir / "index", model, FEATURES))
    finally:
        catalogue.close()
    assert names(found) == [{"scene0.png", "scene0_small.png", "scene0_mirror.png", "scene0_turned.png"},
                            {"scene1.png", "scene1_small.png", "scene1_mirror.png"}]
    assert (library_dir / "catalogue.sqlite").read_bytes() == before


# -- the groups an open library keeps: asked again, only what changed is rebuilt -----------------
def built_whole(library) -> list:  # noqa: ANN001 - a Library; DuplicateGroups
    """The "same" groups built whole from the kept pairs, as a fresh process (the CLI) builds them."""
    return find_duplicates(library.catalogue, library.model_id, "same",
                           index_for=partial(library.vector_index, library.model_id, FEATURES))


def ids_of(library, *paths: Path) -> set[int]:  # noqa: ANN001 - a Library
    return {library.catalogue.photo_by_path(str(p)).id for p in paths}  # type: ignore[union-attr]


@pytest.fixture
def rebuilt(monkeypatch: pytest.MonkeyPatch) -> list[set[int]]:
    """The members of each group the finder shows anew (a kept group is not shown again)."""
    calls: list[set[int]] = []
    real = finder_module._group

    def counted(level, members, joined, sharpness, faces=None):  # noqa: ANN001, ANN202 - _group's own
        calls.append({m.id for m in members})
        return real(level, members, joined, sharpness, faces)

    monkeypatch.setattr(finder_module, "_group", counted)
    return calls


@pytest.fixture
def facts_read(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """How many photos' facts each read asked for (None: every photo's)."""
    calls: list[int | None] = []
    real = finder_module.copy_facts

    def counted(catalogue, photo_ids=None):  # noqa: ANN001, ANN202 - copy_facts's own
        calls.append(None if photo_ids is None else len(photo_ids))
        return real(catalogue, photo_ids)

    monkeypatch.setattr(finder_module, "copy_facts", counted)
    return calls


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each search for candidate pairs (one per call that looks at the catalogue again)."""
    calls: list[int] = []
    real = finder_module.same_candidates

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(finder_module, "same_candidates", counted)
    return calls


def four_scenes(tmp_path: Path, library) -> Path:  # noqa: ANN001 - a Library
    photos = tmp_path / "photos"
    for n in range(4):
        copies(photos / "old", n)
    library.index([photos])
    assert len(library.duplicates("same")) == 4
    return photos


def test_asked_again_with_nothing_changed_the_groups_are_not_searched_again(tmp_path, tiny_models, library_dir,
                                                                              searches, rebuilt):
    with open_library(library_dir) as library:
        four_scenes(tmp_path, library)
        first = library.duplicates("same")
        searches.clear()
        rebuilt.clear()
        assert library.duplicates("same") == first == built_whole(library)
        assert searches == [1], "built whole once for the comparison; the library's own call searched nothing"
        assert len(rebuilt) == 4


def test_after_new_photos_only_their_groups_are_rebuilt_as_a_whole_build_would(
        tmp_path, tiny_models, library_dir, rebuilt, facts_read):
    with open_library(library_dir) as library:
        photos = four_scenes(tmp_path, library)
        copies(photos / "new", 0, ("turned",))  # joins scene 0's group
        copies(photos / "new", 4, ("", "small"))  # a group of its own
        library.index([photos])
        rebuilt.clear()
        facts_read.clear()
        updated = library.duplicates("same")
        new = ids_of(library, *(photos / "new").iterdir())
        assert {"scene0.png", "scene0_small.png", "scene0_mirror.png", "scene0_turned.png"} in names(updated)
        assert {"scene4.png", "scene4_small.png"} in names(updated)
        assert len(rebuilt) == 2 and all(group & new for group in rebuilt), "only the groups the new photos joined"
        assert None not in facts_read, "facts read only for the photos that need them"
        assert updated == built_whole(library)


def test_a_photo_given_new_content_leaves_its_group_and_the_rest_are_kept(tmp_path, tiny_models, library_dir,
                                                                           rebuilt):
    with open_library(library_dir) as library:
        photos = four_scenes(tmp_path, library)
        changed = photos / "old" / "scene0_small.png"
        scene(7, size=(240, 160), mean=MEANS[0]).save(changed)  # a picture not in the library, same colours
        os.utime(changed, (1_700_000_000, 1_700_000_000))
        library.index([photos])
        rebuilt.clear()
        updated = library.duplicates("same")
        assert {"scene0.png", "scene0_mirror.png"} in names(updated)
        assert all("scene0_small.png" not in group for group in names(updated))
        assert rebuilt == [ids_of(library, photos / "old" / "scene0.png", photos / "old" / "scene0_mirror.png")]
        assert updated == built_whole(library)


def test_removed_and_trashed_photos_leave_their_groups(tmp_path, tiny_models, library_dir, monkeypatch, rebuilt):
    from send2trash import plat_other  # this test's own trash (send2trash reads XDG_DATA_HOME once)
    home_trash = tmp_path / "data" / "Trash"
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(tmp_path / "data"))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(home_trash))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(home_trash))
    with open_library(library_dir) as library:
        photos = four_scenes(tmp_path, library)
        report = library.trash_photos([photos / "old" / "scene1_mirror.png"])
        assert len(report.moved) == 1
        rebuilt.clear()
        after_trash = library.duplicates("same")
        assert {"scene1.png", "scene1_small.png"} in names(after_trash) and len(after_trash) == 4
        assert rebuilt == [ids_of(library, photos / "old" / "scene1.png", photos / "old" / "scene1_small.png")]
        assert after_trash == built_whole(library)
        for gone in ("scene2_small.png", "scene2_mirror.png"):  # deleted outside the app, then a rescan
            (photos / "old" / gone).unlink()
        library.index([photos])
        after_rescan = library.duplicates("same")
        assert all("scene2.png" not in group for group in names(after_rescan)) and len(after_rescan) == 3
        assert after_rescan == built_whole(library)


def test_facts_changed_by_another_connection_are_seen(tmp_path, tiny_models, library_dir, rebuilt):
    with open_library(library_dir) as library:
        four_scenes(tmp_path, library)
        (group,) = [g for g in library.duplicates("same") if any(m.path.endswith("scene0.png") for m in g.members)]
        (rival,) = [m for m in group.rejects if (m.width, m.height) == (group.keeper.width, group.keeper.height)]
        other = Catalogue(library_dir / "catalogue.sqlite")  # as the indexer writes: its own connection
        try:
            with other.transaction():  # the rival, now the larger file at the same resolution: kept
                other.db.execute("UPDATE photos SET size = ? WHERE path = ?",
                                 (group.keeper.size * 10, os.fsencode(rival.path)))
        finally:
            other.close()
        rebuilt.clear()
        updated = library.duplicates("same")
        (group,) = [g for g in updated if any(m.path.endswith("scene0.png") for m in g.members)]
        assert group.keeper.path == rival.path and rebuilt == [ids_of(library, *(Path(m.path) for m in group.members))]
        assert updated == built_whole(library)


def test_without_its_snapshot_of_facts_the_library_builds_the_groups_whole(tmp_path, tiny_models, library_dir,
                                                                            rebuilt):
    with open_library(library_dir) as library:
        photos = four_scenes(tmp_path, library)
        library.catalogue.db.execute("DELETE FROM temp.duplicate_facts WHERE rowid IN "
                                     "(SELECT rowid FROM temp.duplicate_facts LIMIT 1)")  # lost, say, to a rollback
        with library.catalogue.transaction():  # a change it can no longer place
            library.catalogue.db.execute("UPDATE photos SET mtime_ns = 1 WHERE path = ?",
                                         (os.fsencode(photos / "old" / "scene3_small.png"),))
        rebuilt.clear()
        updated = library.duplicates("same")
        assert len(rebuilt) == 4, "every group built again"
        assert updated == built_whole(library)


def test_rejects_in_xmp_are_read_again_whatever_was_kept(tmp_path, tiny_models, library_dir, searches):
    with open_library(library_dir) as library:
        photos = four_scenes(tmp_path, library)
        mirror = str(photos / "old" / "scene2_mirror.png")
        report = library.mark_rejected_in_xmp([mirror])
        searches.clear()
        marked = {m.path for g in library.duplicates("same") for m in g.members if m.rejected_in_xmp}
        assert marked == {mirror} and searches == [], "the groups kept, the sidecars read again"
        library.undo_xmp_reject(report)
        assert not any(m.rejected_in_xmp for g in library.duplicates("same") for m in g.members)


def test_a_read_only_catalogue_keeps_its_groups_in_memory_alone(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    copies(photos, 0)
    copies(photos, 1)
    with open_library(library_dir) as library:
        library.index([photos])
        model = library.model_id
        library.duplicates("same")
        copies(photos, 0, ("turned",))
        library.index([photos])  # one photo is new: searched alone, on every call (nothing can be recorded)
    before = (library_dir / "catalogue.sqlite").read_bytes()
    catalogue = Catalogue(library_dir / "catalogue.sqlite", readonly=True)
    memory = DuplicatesMemory()
    find = partial(find_duplicates, catalogue, model, "same", keep_signatures=False,
                   index_for=partial(VectorIndex, library_dir / "index", model, FEATURES))
    try:
        first = find(memory=memory)
        assert find(memory=memory) == first == find()
        other = Catalogue(library_dir / "catalogue.sqlite")
        try:  # the indexer (another connection) forgets a photo
            with other.transaction():
                other.db.execute("DELETE FROM photos WHERE path = ?", (os.fsencode(photos / "scene1_mirror.png"),))
            before = (library_dir / "catalogue.sqlite").read_bytes()
        finally:
            other.close()
        after = find(memory=memory)
        assert names(after) == [{"scene0.png", "scene0_small.png", "scene0_mirror.png", "scene0_turned.png"},
                                {"scene1.png", "scene1_small.png"}]
        assert after == find()
    finally:
        catalogue.close()
    assert (library_dir / "catalogue.sqlite").read_bytes() == before


def test_a_search_cut_short_leaves_no_groups_to_build_on(tmp_path, tiny_models, library_dir, rebuilt):
    with open_library(library_dir) as library:
        photos = four_scenes(tmp_path, library)
        copies(photos / "new", 0, ("turned",))
        library.index([photos])

        def stop(done: int, total: int) -> None:
            raise KeyboardInterrupt  # the person closed the window while the new photo was read

        with pytest.raises(KeyboardInterrupt):
            library.duplicates("same", progress=stop)
        rebuilt.clear()
        after = library.duplicates("same")
        assert len(rebuilt) == 4, "built whole from what the cut-short search left"
        assert after == built_whole(library)
