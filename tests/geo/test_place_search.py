"""The combined search: ranking across providers, every answer located."""

from __future__ import annotations

import pytest

from geo import PlaceHit, PlaceSearch, load_gazetteer, load_places
from geo.bench import typed_prefixes


class ListProvider:
    """A provider answering with its whole list, whatever the query: the search must rank."""

    name = "list"

    def __init__(self, hits: list[PlaceHit]) -> None:
        self.hits = hits

    def search(self, query: str, limit: int) -> list[PlaceHit]:
        return self.hits[:limit]


def hit(name: str, kind: str) -> PlaceHit:
    return PlaceHit(name, kind, -0.1281, 51.5080, "list", ref="1")


def test_hits_of_every_provider_are_ranked_together() -> None:
    other = ListProvider([hit("Trafalgar Square Flat 3", "address"), hit("UPRN 1", "address")])
    search = PlaceSearch([other, load_places()], load_gazetteer())
    found = search.search("trafalgar square", 4)
    assert [(f.hit.name, f.hit.kind, f.match) for f in found] == [
        ("Trafalgar Square", "landmark", "exact"),
        ("Trafalgar Square", "street", "exact"),
        ("Trafalgar Square Flat 3", "address", "prefix"),
        # A hit whose name does not match by our rules (the provider's own reasons): fuzzy, last.
        ("UPRN 1", "address", "fuzzy"),
    ]
    assert all(f.location.ward == "St James's" for f in found)


def test_nothing_for_nothing() -> None:
    search = PlaceSearch([load_places()], load_gazetteer())
    assert search.search("", 10) == []
    assert search.search("'.", 10) == []
    assert search.search("victoria", 0) == []
    with pytest.raises(ValueError, match="at least one provider"):
        PlaceSearch([], load_gazetteer())


def test_whatever_is_typed_of_a_real_name_finds_something() -> None:
    """Every prefix of 300 random place names as typed (from 2 letters), limit 10, located (how
    fast: `python -m geo.bench`, `place_search_*`)."""
    places = load_places()
    search = PlaceSearch([places], load_gazetteer())
    for query in typed_prefixes(places, 300, seed=19):
        assert search.search(query, 10), query
