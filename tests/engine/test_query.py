"""Typed queries: content words and `key:value` filters, and filters written back as terms."""

from __future__ import annotations

import pytest

from cbir_desktop.engine.errors import EngineError
from cbir_desktop.engine.search.query import date_range, filter_terms, parse_query
from cbir_desktop.engine.types import Filters


def test_filters_come_out_of_the_words() -> None:
    query = parse_query('beach place:lisbon year:2019 camera:"EOS 40D" type:RAW gps:yes at sunset')
    assert query.text == "beach at sunset"
    assert query.filters == Filters(since="2019-01-01T00:00:00", before="2020-01-01T00:00:00",
                                    places=("lisbon",), cameras=("EOS 40D",), types=("raw",), has_gps=True)


def test_a_colon_that_is_no_filter_stays_content() -> None:
    assert parse_query("meeting 12:30 http://example.org").text == "meeting 12:30 http://example.org"
    assert parse_query("meeting 12:30").filters.empty


def test_several_values_of_one_filter_are_alternatives_and_ranges_combine() -> None:
    filters = parse_query("place:lisbon place:porto from:2019-06 to:2019-09").filters
    assert filters.places == ("lisbon", "porto")
    assert (filters.since, filters.before) == ("2019-06-01T00:00:00", "2019-10-01T00:00:00")  # to: includes September


@pytest.mark.parametrize(("value", "expected"), [
    ("2019", ("2019-01-01T00:00:00", "2020-01-01T00:00:00")),
    ("2019-12", ("2019-12-01T00:00:00", "2020-01-01T00:00:00")),
    ("2020-02-29", ("2020-02-29T00:00:00", "2020-03-01T00:00:00")),
    ("2019-12-31", ("2019-12-31T00:00:00", "2020-01-01T00:00:00")),
])
def test_a_year_month_or_day_is_a_range(value: str, expected: tuple[str, str]) -> None:
    assert date_range(value) == expected


@pytest.mark.parametrize("typed", ["year:soon", "month:2019-13", "date:2019-02-30", "type:pdf", "gps:maybe", "place:"])
def test_a_filter_it_cannot_use_is_a_sentence_naming_it(typed: str) -> None:
    with pytest.raises(EngineError) as info:
        parse_query(typed)
    assert typed.split(":")[0] in str(info.value)


def test_filters_write_back_as_the_terms_they_came_from() -> None:
    for typed in ["year:2019", "month:2019-06", "date:2019-06-15", "from:2019-06-01 to:2019-09-30",
                  'place:lisbon camera:"EOS 40D" folder:Garden tag:beach type:heic gps:no']:
        assert " ".join(filter_terms(parse_query(typed).filters)) == typed
