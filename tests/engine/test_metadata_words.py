"""Place, camera and lens names as search words, on a tiny library of JPEGs whose EXIF says
where and with what they were taken (the bundled gazetteer names the places)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import exif_photo as photo

from cbir_desktop.engine.api import Library, open_library
from cbir_desktop.engine.errors import UnknownWord
from cbir_desktop.engine.search import metadata_words
from cbir_desktop.engine.search.metadata_words import NameVocabulary
from cbir_desktop.engine.search.relevance import RELEVANT_FROM, STRONG_FROM, relevance_band
from cbir_desktop.engine.storage.held_names import HeldNames
from cbir_desktop.engine.types import Filters

LISBON = (38.71667, -9.13333)
GRAY = (47.44575, 5.59215)  # Gray, Haute-Saône: a town named like the tiny model's class "grey"
KELSTERBACH = (50.06135, 8.52916)  # a town no word vector knows
BERLIN = (52.52437, 13.41053)
SANTA_MONICA = (34.0094, -118.4973)
X100V = ("FUJIFILM", "X100V")
EOS_6D = ("Canon", "Canon EOS 6D")


@pytest.fixture
def library(tmp_path: Path, tiny_models: Path) -> Library:
    photos = tmp_path / "photos"
    photo(photos / "lisbon_red.jpg", "red", "2019:07:14 18:00:00", LISBON, X100V)
    photo(photos / "lisbon_blue.jpg", "blue", "2019:07:15 09:00:00", LISBON, X100V)
    photo(photos / "lisbon_green.jpg", "green", "2018:03:01 12:00:00", LISBON, EOS_6D, "EF24-105mm f/4L IS USM")
    photo(photos / "gray_town_red.jpg", "red", "2020:01:02 10:00:00", GRAY, EOS_6D)
    photo(photos / "gray_town_blue.jpg", "blue", "2020:01:03 10:00:00", GRAY, EOS_6D)
    photo(photos / "kelsterbach.jpg", "yellow", "2017:05:05 10:00:00", KELSTERBACH, EOS_6D)
    photo(photos / "berlin.jpg", "purple", "2016:05:05 10:00:00", BERLIN, ("Apple", "iPhone SE"))
    photo(photos / "santa_monica.jpg", "green", "2015:05:05 10:00:00", SANTA_MONICA, ("Apple", "iPhone SE"))
    for n in range(3):  # what the words look like, from nowhere in particular
        photo(photos / f"home_red_{n}.jpg", "red", f"2021:0{n + 1}:01 10:00:00", camera=("Nikon", "NIKON D300"))
        photo(photos / f"home_grey_{n}.jpg", "grey", f"2021:0{n + 1}:02 10:00:00", camera=("Nikon", "NIKON D300"))
    lib = open_library(tmp_path / "library")
    report = lib.index([photos])
    assert report.added == 14 and not report.failed
    return lib


def _names(hits) -> list[str]:
    return [Path(hit.path).name for hit in hits]


def test_a_place_name_finds_the_photos_taken_there_first_newest_first_then_the_look_alikes(library: Library) -> None:
    hits = library.search_text("lisbon", k=14)
    assert _names(hits)[:3] == ["lisbon_blue.jpg", "lisbon_red.jpg", "lisbon_green.jpg"]  # newest taken first
    assert [hit.matched for hit in hits[:3]] == ["taken in Lisbon"] * 3
    assert all(relevance_band(hit.relevance) == "strong" for hit in hits[:3])  # the cut-off keeps them
    rest = hits[3:]
    assert rest and not any(hit.matched for hit in rest)  # then the ordinary results, each once
    assert len({hit.path for hit in hits}) == len(hits)
    assert [hit.score for hit in rest] == sorted((hit.score for hit in rest), reverse=True)
    # Case and a capital do not matter; a search for the place in a sentence finds it too.
    assert _names(library.search_text("Lisbon", k=3)) == _names(hits[:3])


def test_a_place_with_content_ranks_that_place_s_photos_by_the_content_then_the_look_alikes(library: Library) -> None:
    hits = library.search_text("red lisbon", k=14)
    assert set(_names(hits[:3])) == {"lisbon_red.jpg", "lisbon_blue.jpg", "lisbon_green.jpg"}
    assert _names(hits)[0] == "lisbon_red.jpg"  # the Lisbon photo that is red first
    assert [hit.score for hit in hits[:3]] == sorted((hit.score for hit in hits[:3]), reverse=True)
    assert all(hit.relevance >= STRONG_FROM and hit.matched == "taken in Lisbon" for hit in hits[:3])
    look_alikes = _names(hits[3:])
    assert set(look_alikes[:4]) == {
        "gray_town_red.jpg", "home_red_0.jpg", "home_red_1.jpg", "home_red_2.jpg"}  # the other red photos
    assert _names(library.search_text("lisbon red", k=3))[0] == "lisbon_red.jpg"  # in any order
    beach = library.search_text("beach lisbon", k=14)
    assert {hit.matched for hit in beach[:3]} == {"taken in Lisbon"} and not any(h.matched for h in beach[3:])
    # Words no word vector knows are left out, as in any search: the place's photos by date.
    assert _names(library.search_text("qzxv lisbon", k=3)) == ["lisbon_blue.jpg", "lisbon_red.jpg", "lisbon_green.jpg"]


def test_a_camera_maker_or_model_by_part_of_its_name_finds_its_photos_first(library: Library) -> None:
    for query in ("fuji", "fujifilm", "x100", "X100V", "fujifilm x100v"):
        hits = library.search_text(query, k=14)
        assert _names(hits[:2]) == ["lisbon_blue.jpg", "lisbon_red.jpg"], query
        assert [hit.matched for hit in hits[:2]] == ["Fujifilm X100V"] * 2
        assert not any(hit.matched for hit in hits[2:])
    canon = library.search_text("canon", k=14)
    assert set(_names(canon[:4])) == {"lisbon_green.jpg", "gray_town_red.jpg", "gray_town_blue.jpg", "kelsterbach.jpg"}
    assert {hit.matched for hit in canon[:4]} == {"Canon EOS 6D"}
    iphone = library.search_text("iphone", k=2)
    assert set(_names(iphone)) == {"berlin.jpg", "santa_monica.jpg"} and iphone[0].matched == "Apple iPhone SE"
    lens = library.search_text("24-105", k=2)
    assert _names(lens)[0] == "lisbon_green.jpg" and lens[0].matched == "with EF24-105mm f/4L IS USM"


def test_a_name_with_many_photos_lists_the_same_newest_from_the_capture_time_index(
        library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    few = {query: library.search_text(query, k=3) for query in ("canon", "lisbon", "fuji")}
    monkeypatch.setattr(metadata_words, "FEW", 0)  # as if each name held thousands of photos
    for query, hits in few.items():
        assert library.search_text(query, k=3) == hits, query
    assert _names(few["canon"]) == ["gray_town_blue.jpg", "gray_town_red.jpg", "lisbon_green.jpg"]


def test_two_names_of_different_things_mean_both_and_filters_still_apply(library: Library) -> None:
    both = library.search_text("canon lisbon", k=14)
    assert _names(both)[0] == "lisbon_green.jpg" and both[0].matched == "Canon EOS 6D, taken in Lisbon"
    assert not any(hit.matched for hit in both[1:])
    narrowed = library.search_text("lisbon", k=14, filters=Filters(since="2019-01-01T00:00:00"))
    assert _names(narrowed)[:2] == ["lisbon_blue.jpg", "lisbon_red.jpg"]
    assert "lisbon_green.jpg" not in _names(narrowed)  # taken in 2018
    assert library.search_text("lisbon", k=14, filters=Filters(places=("Berlin",)))[0].matched == ""


def test_a_word_naming_a_place_and_what_photos_show_alternates_the_two_readings(library: Library) -> None:
    """Gray is a town the library holds, and grey is what three photos show: both readings are real,
    so they alternate from the top; Lisbon is only a place here, so its photos come first."""
    ordinary = library.search_text("grey", k=3)
    assert _names(ordinary)[0].startswith("home_grey_") and ordinary[0].relevance >= RELEVANT_FROM
    hits = library.search_text("gray", k=14)
    kinds = ["town" if hit.matched else "grey" if "grey" in Path(hit.path).name else "other" for hit in hits[:4]]
    assert kinds == ["town", "grey", "town", "grey"]
    assert {hit.matched for hit in hits if hit.matched} == {"taken in Gray"}
    assert len({hit.path for hit in hits}) == len(hits)


def test_a_name_the_library_does_not_hold_and_a_common_word_are_ordinary_searches(library: Library) -> None:
    for query in ("paris", "red", "de", "us", "in", "can"):  # Berlin (DE) and the US are in it; Canon too
        hits = library.search_text(query, k=14)
        assert hits and not any(hit.matched for hit in hits), query
        assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True), query


def test_a_held_name_no_word_vector_knows_is_never_unknown_and_its_misspelling_is_suggested(library: Library) -> None:
    assert "kelsterbach" not in library.words()
    hits = library.search_text("Kelsterbach", k=1)
    assert _names(hits) == ["kelsterbach.jpg"] and hits[0].matched == "taken in Kelsterbach"
    with pytest.raises(UnknownWord) as wrong:
        library.search_text("kelsterbah")
    assert wrong.value.suggestions[0] == "kelsterbach" and wrong.value.best == "kelsterbach"
    with pytest.raises(UnknownWord) as unknown:  # a word that is neither stays unknown as before
        library.search_text("qzxv")
    assert "kelsterbach" not in unknown.value.suggestions


def test_completions_offer_the_library_s_places_and_cameras(library: Library) -> None:
    assert library.completions("kels", 5)[0] == "Kelsterbach"  # then the vocabulary's words
    assert "Lisbon" in library.completions("lis", 5)
    assert library.completions("fuj", 5)[0] == "Fujifilm"
    assert "Santa Monica" in library.completions("santa", 10)
    words = library.completions("re", 10)
    assert "red" in words or "read" in words  # the vocabulary's words are still offered


def test_the_names_follow_the_catalogue_when_photos_come_and_go(library: Library, tmp_path: Path) -> None:
    with pytest.raises(UnknownWord):  # no word vector knows the word without its accent
        library.search_text("tubingen", k=3)
    photo(tmp_path / "more" / "tuebingen.jpg", "blue", "2022:01:01 10:00:00", (48.52266, 9.05222), X100V)
    library.index([tmp_path / "more"])
    hits = library.search_text("tubingen", k=3)
    assert _names(hits)[0] == "tuebingen.jpg" and hits[0].matched == "taken in Tübingen"
    assert library.remove_folder(tmp_path / "more") == 1
    with pytest.raises(UnknownWord):
        library.search_text("tubingen", k=3)


# -- the vocabulary's rules, on names as a library holds them -----------------------------------
def _vocabulary(common: tuple[str, ...] = ("us", "in", "de", "it", "can", "plus", "back")) -> NameVocabulary:
    held = HeldNames(
        places=(("PT", "Lisbon", "Lisbon"), ("ZA", "Western Cape", "Cape Town"),
                ("DE", "Baden-Wurttemberg", "Tübingen"), ("US", "California", "Santa Monica"),
                ("IN", "Kerala", "Kochi"), ("TR", "Ankara", "Ankara")),
        countries={"PT": "Portugal", "ZA": "South Africa", "DE": "Germany", "US": "United States", "IN": "India",
                   "TR": "Turkey"},
        cameras=(("Canon", "EOS 6D"), ("Canon", "EOS 600D"), ("Fujifilm", "X100V"), ("Apple", "iPhone 6 Plus")),
        lenses=("EF100mm f/2.8 Macro USM", "iPhone 6 Plus back camera 4.15mm f/2.2"))
    return NameVocabulary(held, common, common)


def test_names_are_matched_whole_words_longest_first_and_country_codes_only_when_not_words() -> None:
    vocabulary = _vocabulary()
    cape = vocabulary.find("sunset cape town")
    assert cape is not None and cape.spans == ("cape town",) and cape.rest == "sunset"
    assert vocabulary.find("Tubingen") is not None and vocabulary.find("tübingen,") is not None
    assert vocabulary.find("turkey") is not None  # a country: whether it is the clear reading is rank_named's
    za = vocabulary.find("za")
    assert za is not None and za.groups[0][0].label == "South Africa"
    for word in ("us", "in", "de", "it", "lisbo", "town"):  # common words, and no part of a place name
        assert vocabulary.find(word) is None, word


def test_cameras_match_by_a_whole_word_or_the_start_of_one_but_not_by_a_common_word() -> None:
    vocabulary = _vocabulary()
    canon = vocabulary.find("canon")
    assert canon is not None and [n.key for n in canon.groups[0]] == [("make", ("Canon",))]
    six = vocabulary.find("canon eos 6d")
    assert six is not None and len(six.groups) == 1 and [n.label for n in six.groups[0]] == ["Canon EOS 6D"]
    assert [n.label for n in vocabulary.find("fuji").groups[0]] == ["Fujifilm"]  # type: ignore[union-attr]
    assert [n.label for n in vocabulary.find("x100").groups[0]] == ["Fujifilm X100V"]  # type: ignore[union-attr]
    assert [n.label for n in vocabulary.find("macro").groups[0]] == ["EF100mm f/2.8 Macro USM"]  # type: ignore[union-attr]
    for word in ("can", "plus", "back", "6", "eo"):
        assert vocabulary.find(word) is None, word
    apple = vocabulary.find("apple")  # a maker's own name counts, common word or not
    assert apple is not None and apple.groups[0][0].key == ("make", ("Apple",))
