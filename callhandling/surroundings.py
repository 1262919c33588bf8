"""What a call finds before it is recorded, read in one round trip: the claim of its call id
across the force, its own record in its area, its map cell's creation fence, and the open
incidents near it (their scoring facts in a second round trip, only when there are any and the
call may be linked to one)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cad.keys import AreaKeys, GlobalKeys
from callhandling.call_claims import CallClaim
from callhandling.duplicates import OpenIncident
from callhandling.incidents import fence_cells, queue_next_ref
from callhandling.lua.open_incident_facts import queue_open_incident_facts
from callhandling.refs import london_day
from transport.redis_types import AsyncRedis
from transport.scripts import Batch

# The open incidents a call is scored against, nearest first: a storm's first few are enough.
_NEAR_AT_MOST = 50


@dataclass(frozen=True)
class Surroundings:
    """What a call found around it."""

    # The claim a copy of this call id made before (in any area); None: this one claimed it.
    first_claim: CallClaim | None
    # The call's incident, when the call is recorded in this area already (a replay).
    known_ref: str | None
    fence: str
    # The open incidents near it as duplicate scoring takes them (read when it may be linked).
    incidents: tuple[OpenIncident, ...]
    # With `reserve_ref`: the reference allocated for the call (a replay leaves it unused, a gap
    # in the sequence), and the refs of the open incidents near it, whose facts the creation
    # reads in its own round trip.
    reserved_ref: str | None = None
    near_refs: tuple[str, ...] = ()


async def look_around(
    redis: AsyncRedis,
    *,
    area: str,
    call_id: str,
    lon: float,
    lat: float,
    radius_m: float,
    claim: CallClaim,
    retention_s: int,
    reserve_ref: datetime | None = None,
) -> Surroundings:
    """Claim the call id for the force unless a copy claimed it before (that claim is answered),
    then read the call's incident if it was recorded already, else the fence (read before the
    search) and the open incidents of the area within `radius_m`: one round trip, two with
    incidents to score. With `reserve_ref`, for a call that opens an incident whatever it
    finds, the round trip also allocates that day's next reference, and the incidents' facts
    are left for the creation to read."""
    keys = AreaKeys(area)
    batch = Batch()
    # SET NX GET is atomic: of copies racing in any areas, on any replicas, one claims the id
    # and the others read its claim. It expires with the call record it stands for.
    first = batch.command(
        _claim_read, "SET", GlobalKeys().call_id(call_id), claim.encode(), "NX", "GET",
        "EX", retention_s, get=True,
    )  # fmt: skip
    known = batch.command(_text_or_none, "HGET", keys.call(call_id), "incident_ref")
    fence = batch.command(_fence_read, "GET", keys.creation_fence(fence_cells(lon, lat)[0]))
    near = batch.command(
        tuple, "GEOSEARCH", keys.open_incidents, "FROMLONLAT", lon, lat, "BYRADIUS", radius_m,
        "m", "ASC", "COUNT", _NEAR_AT_MOST,
    )  # fmt: skip
    ref = None if reserve_ref is None else queue_next_ref(batch, london_day(reserve_ref))
    answers = await batch.run(redis)
    found = Surroundings(
        first_claim=first.answer(answers),
        known_ref=known.answer(answers),
        fence=fence.answer(answers),
        incidents=(),
        reserved_ref=None if ref is None else ref.answer(answers),
    )
    refs: tuple[str, ...] = near.answer(answers)
    # Another call under this id, or this one located in another area: the area's own search
    # means nothing to it.
    differs = found.first_claim is not None and found.first_claim != claim
    if found.known_ref is not None or differs:
        return found
    if reserve_ref is not None or not refs:
        return replace(found, near_refs=refs)
    facts = Batch()
    incidents = queue_open_incident_facts(facts, area=area, refs=refs)
    return replace(found, incidents=incidents.answer(await facts.run(redis)))


def _claim_read(stored: Any) -> CallClaim | None:
    return None if stored is None else CallClaim.decode(stored)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _fence_read(value: Any) -> str:
    return str(value or "0")
