"""The Filter menu's content as plain data (`pickers.py`, no Qt): what each entry says and the
term it adds to the query."""

from __future__ import annotations

from cbir_desktop.engine.types import FacetCount, Facets
from cbir_desktop.ui.pickers import MOST_SHOWN, picker_sections, with_terms

FACETS = Facets(
    photos=7,
    years=(FacetCount("2019", 3, within=(FacetCount("2019-06", 1), FacetCount("2019-07", 2))),
           FacetCount("2018", 4, within=(FacetCount("2018-12", 4),))),
    places=(FacetCount("United States", 4, within=(FacetCount("New York City", 3), FacetCount("Seattle", 1))),
            FacetCount("PT", 1)),
    cameras=(FacetCount("Canon EOS 40D", 5), FacetCount("Fujifilm X100V", 2)),
    lenses=(FacetCount("EF50mm f/1.8", 5),),
    types=(FacetCount("jpeg", 6), FacetCount("raw", 1)),
    gps=(FacetCount("yes", 5), FacetCount("no", 2)),
    first_taken="2018-12-01", last_taken="2019-07-30",
)


def _flat(entries) -> list[tuple[str, str, int]]:
    out = []
    for e in entries:
        out.append((e.text, e.term, e.count))
        out += [("  " + text, term, count) for text, term, count in _flat(e.within)]
    return out


def test_sections_follow_the_facets_with_the_terms_they_add() -> None:
    sections = {s.title: s for s in picker_sections(FACETS)}
    assert list(sections) == ["Date", "Place", "Camera", "Lens", "Type", "Has GPS"]
    assert _flat(sections["Date"].entries) == [
        ("2019", "", 3), ("  All of 2019", "year:2019", 3), ("  June", "month:2019-06", 1),
        ("  July", "month:2019-07", 2),
        ("2018", "", 4), ("  All of 2018", "year:2018", 4), ("  December", "month:2018-12", 4)]
    assert (sections["Date"].first_day, sections["Date"].last_day) == ("2018-12-01", "2019-07-30")
    assert _flat(sections["Place"].entries) == [
        ("United States", "", 4), ("  All of United States", 'place:"United States"', 4),
        ("  New York City", 'place:"New York City"', 3), ("  Seattle", "place:Seattle", 1),
        ("PT", "place:PT", 1)]  # a country with no towns is one entry
    assert _flat(sections["Camera"].entries) == [("Canon EOS 40D", 'camera:"Canon EOS 40D"', 5),
                                                 ("Fujifilm X100V", 'camera:"Fujifilm X100V"', 2)]
    assert _flat(sections["Type"].entries) == [("JPEG", "type:jpeg", 6), ("RAW", "type:raw", 1)]
    assert _flat(sections["Has GPS"].entries) == [("With a position", "gps:yes", 5),
                                                  ("Without a position", "gps:no", 2)]


def test_chosen_filters_are_marked_and_long_lists_say_how_many_are_left_out() -> None:
    many = Facets(lenses=tuple(FacetCount(f"Lens {n}", 100 - n) for n in range(MOST_SHOWN + 7)))
    sections = {s.title: s for s in picker_sections(many, chosen=["lens:\"Lens 3\""])}
    lenses = sections["Lens"]
    assert len(lenses.entries) == MOST_SHOWN and lenses.more == 7
    assert [e.text for e in lenses.entries if e.chosen] == ["Lens 3"]
    assert sections["Date"].entries == () and sections["Date"].first_day is None


def test_a_choice_joins_the_query_a_date_replaces_a_date_and_nothing_repeats() -> None:
    assert with_terms("beach", "place:Lisbon") == "beach place:Lisbon"
    assert with_terms("beach place:Lisbon", "place:Porto") == "beach place:Lisbon place:Porto"
    assert with_terms("beach place:Lisbon", "place:Lisbon") == "beach place:Lisbon"
    assert with_terms("beach year:2018 type:raw", "month:2019-06") == "beach type:raw month:2019-06"
    assert with_terms("year:2018", "from:2019-06-10 to:2019-07-05") == "from:2019-06-10 to:2019-07-05"
    assert with_terms("dog", "from:2019-06-01 to:2019-06-30") == "dog month:2019-06"  # as its chip writes it
    assert with_terms("gps:yes dog", "gps:no") == "dog gps:no"
    assert with_terms("", 'camera:"Canon EOS 40D"') == 'camera:"Canon EOS 40D"'
