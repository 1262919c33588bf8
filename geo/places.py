"""Place search's vocabulary: a hit, the provider interface a force's own gazetteer implements,
and how any name is ranked against a query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from geo.place_names import normalise

Match = Literal["exact", "prefix", "word_prefix", "substring", "fuzzy"]
MATCH_ORDER: tuple[Match, ...] = ("exact", "prefix", "word_prefix", "substring", "fuzzy")
# Between equally good matches: the places a caller names most, and the larger area, first.
KIND_ORDER = ("landmark", "borough", "ward", "street", "address", "fire_station")


@dataclass(frozen=True, slots=True)
class PlaceHit:
    """A named place a provider found: where it is (WGS84), what it is and its id in its source."""

    name: str
    kind: str  # one of KIND_ORDER, or a provider's own (ranked after them)
    lon: float
    lat: float
    source: str  # the provider's name
    ref: str | None = None  # its id in the source: a GSS code, a UPRN...
    detail: str | None = None  # e.g. a postcode


class PlaceProvider(Protocol):
    """A source of named places: the built-in index, or a force's own address gazetteer.

    `search` returns up to `limit` hits for a query as typed, best first in its own judgement;
    the search ranks every provider's hits together with `rank` (so a provider need not), and
    must not do I/O per call if it is to stay fast: load at start, answer from memory.
    """

    name: str

    def search(self, query: str, limit: int) -> list[PlaceHit]:
        """Up to `limit` places whose names match `query`, as typed by a person."""
        ...


def match_of(query: str, name: str) -> Match | None:
    """How a name matches a normalised query: None if it does not, by these rules."""
    if not query:
        return None
    text = normalise(name)
    if text == query:
        return "exact"
    if text.startswith(query):
        return "prefix"
    if f" {text}".find(f" {query}") >= 0:
        return "word_prefix"
    if query.replace(" ", "") in text.replace(" ", ""):
        return "substring"
    return None


def kind_rank(kind: str) -> int:
    """A kind's place in KIND_ORDER; unknown kinds after all of them."""
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def rank(match: Match, kind: str, name: str) -> tuple[int, int, int, str]:
    """Sort key: match first, then kind, then the shorter name, then the name itself."""
    return (MATCH_ORDER.index(match), kind_rank(kind), len(name), name)
