"""Ranking of the name index: exact > prefix > word prefix > substring > fuzzy, then by kind,
then the shorter name; on made-up places first, then on the real built-in index."""

from __future__ import annotations

import pytest

from geo import load_places
from geo.place_index import PlaceIndex
from geo.places import PlaceHit


def place(name: str, kind: str = "street") -> PlaceHit:
    return PlaceHit(name, kind, -0.13, 51.5, "test")


@pytest.fixture(scope="module")
def small() -> PlaceIndex:
    return PlaceIndex(
        "test",
        [
            place("Old Market Street"),  # word prefix of "market"
            place("Supermarket Road"),  # substring
            place("Market"),  # exact
            place("Market Street"),  # prefix
            place("Market", "borough"),  # exact, a preferred kind
            place("Market Lane"),  # prefix, shorter
            place("Marked Row"),  # one letter off "market": fuzzy
        ],
    )


def names(index: PlaceIndex, query: str, limit: int = 20) -> list[tuple[str, str, str]]:
    return [(m, p.name, p.kind) for m, p in index.search_matches(query, limit)]


def test_ranking_by_match_then_kind_then_length(small: PlaceIndex) -> None:
    assert names(small, "market") == [
        ("exact", "Market", "borough"),
        ("exact", "Market", "street"),
        ("prefix", "Market Lane", "street"),
        ("prefix", "Market Street", "street"),
        ("word_prefix", "Old Market Street", "street"),
        ("substring", "Supermarket Road", "street"),
        ("fuzzy", "Marked Row", "street"),
    ]


def test_the_limit_keeps_the_best(small: PlaceIndex) -> None:
    assert names(small, "MARKET", limit=3) == names(small, "market")[:3]
    assert small.search("market", 0) == []


def test_a_query_of_no_letters_finds_nothing(small: PlaceIndex) -> None:
    assert small.search("'", 10) == []
    assert small.search("zzzz", 10) == []


def test_short_queries_are_not_guessed_at(small: PlaceIndex) -> None:
    # "ar" is inside "Market" and "Marked", but two letters are no basis for a substring match.
    assert names(small, "ar") == []


def test_words_in_any_order_and_misspelt(small: PlaceIndex) -> None:
    assert names(small, "street old") == [("fuzzy", "Old Market Street", "street")]
    assert ("fuzzy", "Old Market Street", "street") in names(small, "markt str")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("st james's", "St. James's Street"),
        ("St James's", "St. James's Street"),
        ("st jamess st", "St. James's Street"),
        ("ST. JAMES’S STREET", "St. James's Street"),
        ("st james's square", "St James's Square"),
        ("darblay", "D'Arblay Street"),
        ("saint johns wood ro", "St John's Wood Road"),
    ],
)
def test_apostrophes_and_dots_do_not_matter(query: str, expected: str) -> None:
    found = [p.name for p in load_places().search(query, 10)]
    assert expected in found


def test_real_names_rank_as_a_caller_expects() -> None:
    index = load_places()
    assert [(m, p.name, p.kind) for m, p in index.search_matches("westminster", 3)] == [
        ("exact", "Westminster", "borough"),
        ("prefix", "Westminster Abbey", "landmark"),
        ("prefix", "Westminster Fire Station", "fire_station"),
    ]
    oxford = [(m, p.name) for m, p in index.search_matches("oxford", 3)]
    assert oxford == [
        ("prefix", "Oxford Circus"),
        ("prefix", "Oxford Square"),
        ("prefix", "Oxford Street"),
    ]
    assert index.search_matches("picadilly circus", 1)[0][1].name == "Piccadilly Circus"
    assert index.search_matches("strand", 1)[0] == ("exact", index.search("strand", 1)[0])
