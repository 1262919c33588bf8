"""The open incidents a call being taken may be about, before it is recorded: the same search
and scoring as intake (`callhandling/surroundings.py`, `callhandling/duplicates.py`), read in
two round trips and writing nothing but the open set's housekeeping of closed incidents."""

from __future__ import annotations

from cad.keys import AreaKeys
from callhandling.duplicates import CallFacts, Candidate, rank_candidates
from callhandling.lua.open_incident_facts import queue_open_incident_facts
from transport.redis_types import AsyncRedis
from transport.scripts import Batch

# As intake: a storm's nearest few are enough to score.
_NEAR_AT_MOST = 50


async def preview_candidates(
    redis: AsyncRedis, *, area: str, facts: CallFacts, search_m: float, limit: int
) -> list[Candidate]:
    """The open incidents of `area` within `search_m` of the call, scored, best `limit` first."""
    near = Batch()
    found = near.command(
        tuple, "GEOSEARCH", AreaKeys(area).open_incidents, "FROMLONLAT", facts.lon, facts.lat,
        "BYRADIUS", search_m, "m", "ASC", "COUNT", _NEAR_AT_MOST,
    )  # fmt: skip
    refs: tuple[str, ...] = found.answer(await near.run(redis))
    if not refs:
        return []
    read = Batch()
    incidents = queue_open_incident_facts(read, area=area, refs=refs)
    return rank_candidates(facts, incidents.answer(await read.run(redis)), limit=limit)
