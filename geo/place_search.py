"""Place search over every provider at once: their hits ranked together, each one located."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from geo.gazetteer import Gazetteer
from geo.models import PointLocation
from geo.place_names import normalise
from geo.places import Match, PlaceHit, PlaceProvider, match_of, rank


@dataclass(frozen=True, slots=True)
class FoundPlace:
    """A hit, how its name matched the query, and where it lies (borough, ward, BCU)."""

    hit: PlaceHit
    match: Match
    location: PointLocation


class PlaceSearch:
    """Asks each provider for `limit` hits and keeps the best `limit` of them all."""

    def __init__(self, providers: Sequence[PlaceProvider], gazetteer: Gazetteer) -> None:
        if not providers:
            raise ValueError("place search needs at least one provider")
        self.providers = tuple(providers)
        self._gazetteer = gazetteer

    def search(self, query: str, limit: int) -> list[FoundPlace]:
        """The best `limit` places for a query as typed, best first (see geo.places.rank)."""
        text = normalise(query)
        if not text or limit < 1:
            return []
        ranked: list[tuple[tuple[int, int, int, str], int, Match, PlaceHit]] = []
        for provider in self.providers:
            for hit in provider.search(query, limit):
                # A provider's own matching may go beyond ours (a UPRN, a misspelling): fuzzy.
                match = match_of(text, hit.name) or "fuzzy"
                ranked.append((rank(match, hit.kind, hit.name), len(ranked), match, hit))
        return [
            FoundPlace(hit, match, self._gazetteer.locate(hit.lon, hit.lat))
            for _, _, match, hit in heapq.nsmallest(limit, ranked)
        ]
