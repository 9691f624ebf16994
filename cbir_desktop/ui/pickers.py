"""What the Filter menu offers, as plain data: sections of entries built from `Facets`, each
entry the `key:value` term it adds to the query. No Qt here, so the menu's content is tested
without a window; `filter_menu.py` only turns it into a QMenu.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..engine.api import filter_term, filter_terms, parse_query
from ..engine.types import FacetCount, Facets

__all__ = ["DATE_KEYS", "MOST_SHOWN", "PickerEntry", "PickerSection", "picker_sections", "with_terms"]

MOST_SHOWN = 25  # values per list; a library with more says how to type the rest
DATE_KEYS = ("year:", "month:", "date:", "from:", "to:")  # one date range at a time: a new one replaces these
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
TYPE_NAMES = {"jpeg": "JPEG", "heic": "HEIC / HEIF", "avif": "AVIF", "png": "PNG", "tiff": "TIFF", "webp": "WebP",
              "gif": "GIF", "bmp": "BMP", "raw": "RAW"}
GPS_NAMES = {"yes": "With a position", "no": "Without a position"}


@dataclass(frozen=True)
class PickerEntry:
    """One choice: `text` with its photo `count`; choosing it adds `term` to the query (or
    takes it away when `chosen`: it is in the query already). An entry with `within` opens
    them instead (a year's months, a country's towns), the whole year or country first."""

    text: str
    term: str = ""
    count: int = 0
    chosen: bool = False
    within: tuple[PickerEntry, ...] = ()


@dataclass(frozen=True)
class PickerSection:
    """One picker: Date, Place, Camera, Lens, Type or Has GPS."""

    title: str
    key: str  # the filter key its terms use ("place")
    entries: tuple[PickerEntry, ...]
    more: int = 0  # values left out past MOST_SHOWN
    first_day: str | None = None  # Date: the range the From/To edits offer ("2017-05-01")
    last_day: str | None = None


def picker_sections(facets: Facets, chosen: Sequence[str] = ()) -> list[PickerSection]:
    """The Filter menu for what the library holds (`facets`, counted for the current filters),
    marking the `chosen` terms (the query's filters, as `filter_terms` writes them)."""
    picked = set(chosen)

    def entry(text: str, term: str, count: int, within: tuple[PickerEntry, ...] = ()) -> PickerEntry:
        return PickerEntry(text, term, count, term in picked, within)

    def flat(key: str, values: tuple[FacetCount, ...], names: dict[str, str] | None = None) -> list[PickerEntry]:
        return [entry((names or {}).get(v.value, v.name), filter_term(key, v.value), v.count) for v in values]

    years = [entry(y.value, "", y.count, (entry(f"All of {y.value}", filter_term("year", y.value), y.count),
                                          *(entry(_month(m.value), filter_term("month", m.value), m.count)
                                            for m in y.within)))
             for y in facets.years]
    places = [entry(p.name, "", p.count, (entry(f"All of {p.name}", filter_term("place", p.value), p.count),
                                          *flat("place", p.within[:MOST_SHOWN])))
              if p.within else entry(p.name, filter_term("place", p.value), p.count)
              for p in facets.places]
    sections = [
        PickerSection("Date", "year", tuple(years), first_day=facets.first_taken, last_day=facets.last_taken),
        _section("Place", "place", places),
        _section("Camera", "camera", flat("camera", facets.cameras)),
        _section("Lens", "lens", flat("lens", facets.lenses)),
        _section("Type", "type", flat("type", facets.types, TYPE_NAMES)),
        _section("Has GPS", "gps", flat("gps", facets.gps, GPS_NAMES)),
    ]
    return sections


def _section(title: str, key: str, entries: list[PickerEntry]) -> PickerSection:
    return PickerSection(title, key, tuple(entries[:MOST_SHOWN]), more=max(0, len(entries) - MOST_SHOWN))


def _month(value: str) -> str:
    """"2019-06" -> "June"."""
    number = int(value[5:7]) if value[5:7].isdigit() else 0
    return MONTHS[number - 1] if 1 <= number <= 12 else value


def with_terms(query: str, added: str) -> str:
    """`query` with the filter term(s) `added` ("place:Lisbon", "from:2019-06-01 to:2019-06-30"):
    its words first, then its filters as chips write them, then the new ones. A date replaces
    the query's date, a GPS choice its GPS choice; a term already there is not repeated."""
    typed = parse_query(query)
    terms = filter_terms(typed.filters)
    new = filter_terms(parse_query(added).filters)
    if any(term.startswith(DATE_KEYS) for term in new):
        terms = [term for term in terms if not term.startswith(DATE_KEYS)]
    if any(term.startswith("gps:") for term in new):
        terms = [term for term in terms if not term.startswith("gps:")]
    terms += [term for term in new if term not in terms]
    return " ".join(part for part in (typed.text, *terms) if part)
