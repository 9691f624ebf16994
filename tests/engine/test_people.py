"""People on real faces (LFW crops of three people, three photos each, plus one photo of two of them):
automatic groups, naming, merging, removing ("not Anna" remembered), suggestions, the person:
filter and names in search text, face regions read from XMP at indexing and written on request,
and names kept when the library is indexed again."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from cbir_desktop.engine.api import Library, find_photo_faces, open_library, parse_query
from cbir_desktop.engine.errors import EngineError
from cbir_desktop.engine.photos.face_regions import FaceRegion, read_face_regions, write_face_regions

LFW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces_lfw12" / "people"
PEOPLE = ("Tony_Blair", "Serena_Williams", "Hugo_Chavez")


def _photos(folder: Path) -> dict[str, str]:
    """Three photos of each of PEOPLE under plain names, and one of the first two side by side:
    path -> who (the pair: "both")."""
    folder.mkdir(parents=True)
    who = {}
    for p, person in enumerate(PEOPLE):
        for n, source in enumerate(sorted((LFW / person).glob("*.jpg"))[:3]):
            who[str(shutil.copy(source, folder / f"photo_{p}{n}.jpg"))] = person
    pair = Image.new("RGB", (500, 250))
    for i, person in enumerate(PEOPLE[:2]):
        with Image.open(sorted((LFW / person).glob("*.jpg"))[4]) as face:
            pair.paste(face.convert("RGB"), (250 * i, 0))
    pair.save(folder / "pair.jpg", quality=95)
    who[str(folder / "pair.jpg")] = "both"
    return who


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, tiny_models_dir: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """One library indexed once; each test works on a copy of its folder."""
    root = tmp_path_factory.mktemp("people")
    who = _photos(root / "photos")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CBIR_MODELS_DIR", str(tiny_models_dir))
        with open_library(root / "library") as library:
            library.index([root / "photos"])
        yield root, who


@pytest.fixture
def library(indexed: tuple[Path, dict[str, str]], tiny_models: Path, tmp_path: Path) -> Iterator[Library]:
    shutil.copytree(indexed[0] / "library", tmp_path / "library")
    with open_library(tmp_path / "library") as opened:
        yield opened


def _group_of(library: Library, path: str) -> str:
    """The id of the unnamed group holding the face of `path`."""
    for group in library.people(samples=50):
        if any(face.path == path for face in group.faces):
            return group.id
    raise AssertionError(f"no group holds {path}")


def _face_of(library: Library, path: str) -> int:
    return next(face.face_id for group in library.people(samples=50, min_faces=1) for face in group.faces
                if face.path == path)


def test_unnamed_faces_are_grouped_one_group_per_person(library: Library, indexed) -> None:
    _, who = indexed
    groups = library.people(samples=50)
    assert all(group.name is None and group.id.startswith("g") for group in groups)
    assert sorted(group.count for group in groups) == [3, 4, 4]  # the pair's two faces join their people
    for group in groups:
        people = {who[face.path] for face in group.faces} - {"both"}
        assert len(people) == 1 and group.count == len(group.faces)


def test_naming_a_group_makes_a_person_found_by_name_and_by_the_person_filter(library: Library, indexed) -> None:
    _, who = indexed
    blair = [path for path, person in who.items() if person in ("Tony_Blair", "both")]
    anna = library.name_group(_group_of(library, blair[0]), "Anna")
    assert anna.name == "Anna" and anna.id.startswith("p") and anna.count == 4
    assert library.people()[0].name == "Anna"
    assert {hit.path for hit in library.search_text("anna", k=4)} == set(blair)  # any case
    assert {hit.path for hit in library.filtered(parse_query("person:Anna").filters)} == set(blair)
    assert library.filtered(parse_query("person:Nobody").filters) == []
    hits = library.search_text("Anna", k=10)
    assert [hit.path for hit in hits[:4]] and all(hit.matched == "with Anna" for hit in hits[:4])
    # The chips under the bar: no other first names for a name, the words near the rest of it.
    assert library.similar_words("Anna") == []
    near_green = [w.word for w in library.similar_words("green", 5)]
    assert [w.word for w in library.similar_words("anna green", 5)] == near_green


def test_two_names_find_the_photos_with_both(library: Library, indexed) -> None:
    _, who = indexed
    for person, name in zip(PEOPLE[:2], ("Anna", "Bob"), strict=True):
        first = next(path for path, p in who.items() if p == person)
        library.name_group(_group_of(library, first), name)
    both = library.search_text("Anna Bob", k=10)
    assert both[0].path.endswith("pair.jpg") and both[0].matched == "with Anna and Bob"
    assert all(not hit.matched for hit in both[1:])  # the rest are look-alikes, not named


def test_one_named_face_brings_suggestions_to_confirm_or_reject(library: Library, indexed) -> None:
    _, who = indexed
    chavez = sorted(path for path, person in who.items() if person == "Hugo_Chavez")
    library.name_faces([_face_of(library, chavez[0])], "Hugo")
    suggested = library.suggestions("Hugo")
    assert sorted(face.path for face in suggested) == chavez[1:]
    rejected = suggested[0]
    assert library.reject_suggestions("Hugo", [rejected.face_id]) == 1
    assert [face.face_id for face in library.suggestions("Hugo")] == [suggested[1].face_id]
    assert library.confirm_suggestions("Hugo") == 1
    assert library.suggestions("Hugo") == []
    hugo = next(group for group in library.people() if group.name == "Hugo")
    assert hugo.count == 2 and hugo.suggested == 0
    library.name_group(hugo.id, "Hugo Chavez")  # any later decision: the rejection still holds
    assert library.suggestions("Hugo Chavez") == []
    assert rejected.path not in {hit.path for hit in library.filtered(parse_query('person:"Hugo Chavez"').filters)}


def test_a_removed_face_is_never_given_back_to_that_person(library: Library, indexed) -> None:
    _, who = indexed
    serena = sorted(path for path, person in who.items() if person == "Serena_Williams")
    library.name_group(_group_of(library, serena[0]), "Serena")
    wrong = _face_of(library, serena[1])
    assert library.remove_faces([wrong]) == 1
    library.name_group("Serena", "Serena W")  # suggestions worked out again
    assert serena[1] not in {hit.path for hit in library.filtered(parse_query('person:"Serena W"').filters)}
    assert wrong not in {face.face_id for face in library.suggestions("Serena W")}
    library.name_faces([wrong], "Serena W")  # the user's own word undoes it
    assert serena[1] in {hit.path for hit in library.filtered(parse_query('person:"Serena W"').filters)}


def test_merging_two_people_and_a_group_into_a_person(library: Library, indexed) -> None:
    _, who = indexed
    firsts = [next(path for path, p in who.items() if p == person) for person in PEOPLE]
    groups = [_group_of(library, path) for path in firsts]
    with pytest.raises(EngineError, match="both unnamed groups; name one first"):
        library.merge_people(groups[0], groups[1])  # they would split again at the next regroup
    library.name_group(groups[0], "A")
    library.name_group(groups[1], "B")
    merged = library.merge_people("A", "B")
    assert merged.name == "A" and merged.count == 8  # both photos sets, the pair with two faces of A now
    assert [group.name for group in library.people() if group.name] == ["A"]
    merged = library.merge_people("A", groups[2])
    assert merged.count == 11 and len(library.people()) == 1


def test_more_of_this_person_from_a_photo_outside_the_library(library: Library, indexed, tmp_path) -> None:
    _, who = indexed
    other = sorted((LFW / "Tony_Blair").glob("*.jpg"))[6]  # not indexed
    hits = library.search_person_like(other, k=4)
    assert {who[hit.path] for hit in hits} <= {"Tony_Blair", "both"} and len(hits) == 4
    assert hits[0].relevance >= 0.4  # relevant (above the cut-off): the same person


def test_face_regions_are_read_at_indexing_and_written_back_on_request(tiny_models, tmp_path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    photo = Path(shutil.copy(sorted((LFW / "Laura_Bush").glob("*.jpg"))[0], photos / "laura.jpg"))
    x, y, w, h = find_photo_faces(photo)[0].box
    loose = (max(x - 0.03, 0), max(y - 0.05, 0), min(w + 0.06, 1 - x), min(h + 0.08, 1 - y))  # another tool's box
    corner = (0.0, 0.0, 0.08, 0.08)  # a region over no face found here
    write_face_regions(photo, [FaceRegion("Laura", loose), FaceRegion("Ghost", corner)], 250, 250)
    with open_library(tmp_path / "library") as library:
        library.index([photos])
        assert [face.person for face in library.faces(photo)] == ["Laura"]
        assert library.people()[0].name == "Laura" and library.search_text("laura")[0].path == str(photo)
        library.name_group("Laura", "Laura Bush")
        library.write_xmp([photo])
        written = {region.name: region.box for region in read_face_regions(photo)}
        assert set(written) == {"Laura Bush", "Ghost"}  # the region over no face is kept
        assert written["Laura Bush"] == pytest.approx(library.faces(photo)[0].box, abs=0.01)


def test_indexing_again_keeps_names_and_groups_and_new_faces_join_people(library: Library, indexed, tmp_path) -> None:
    root, who = indexed
    blair = [path for path, person in who.items() if person == "Tony_Blair"]
    library.name_group(_group_of(library, blair[0]), "Tony")
    groups_before = {group.id: group.count for group in library.people() if group.name is None}
    new = tmp_path / "new"
    new.mkdir()
    shutil.copy(sorted((LFW / "Tony_Blair").glob("*.jpg"))[5], new / "blair_again.jpg")
    shutil.copy(sorted((LFW / "Hugo_Chavez").glob("*.jpg"))[5], new / "chavez_again.jpg")
    library.index([root / "photos", new])
    assert {hit.path for hit in library.filtered(parse_query("person:Tony").filters)} >= set(blair)
    assert [face.path for face in library.suggestions("Tony")] == [str(new / "blair_again.jpg")]
    chavez_group = _group_of(library, str(new / "chavez_again.jpg"))
    assert groups_before[chavez_group] + 1 == next(g.count for g in library.people() if g.id == chavez_group)
    assert set(groups_before) <= {group.id for group in library.people()}
