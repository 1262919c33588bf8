"""The combined search: ranking across providers, every answer located, and its speed."""

from __future__ import annotations

import random
import statistics
import time

import pytest

from geo import PlaceHit, PlaceSearch, load_gazetteer, load_places


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


def test_typing_is_answered_well_under_a_millisecond() -> None:
    """Every prefix of 300 random place names as typed (from 2 letters), limit 10, located."""
    places = load_places()
    search = PlaceSearch([places], load_gazetteer())
    names = random.Random(19).sample([p.name for p in places.places], 300)
    queries = [name[:end] for name in names for end in range(2, len(name) + 1)]
    timings = []
    for query in queries:
        start = time.perf_counter()
        found = search.search(query, 10)
        timings.append(time.perf_counter() - start)
        assert found, query  # whatever is typed of a real name finds something
    p50 = statistics.median(timings)
    p99 = statistics.quantiles(timings, n=100)[98]
    print(f"{len(queries)} queries: p50 {p50 * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us")
    assert p50 < 0.5e-3
    assert p99 < 5e-3
