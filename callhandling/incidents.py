"""Calls and incidents in Redis: a call opens an incident once, or is linked to an open one."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from cad.events import CallEvent
from cad.incident_record import IncidentRecord, new_incident_fields, read_incident
from cad.keys import AreaKeys, GlobalKeys
from callhandling.call_claims import CallClaim
from callhandling.duplicates import Candidate, OpenIncident
from callhandling.refs import format_ref, london_day
from transport.scripts import Answers, Batch, Queued

# A day's sequence counter outlives the day by a margin, then goes.
_SEQUENCE_TTL_S = 3 * 24 * 3600
# Map cells for the creation fence: about 1.4 km by 1.5 km in London.
_CELL_LON, _CELL_LAT = 0.02, 0.0135


class Outcome(StrEnum):
    """What recording a call did."""

    CREATED = "created"
    LINKED = "linked"
    REPLAYED = "replayed"
    RETRY = "retry"


@dataclass(frozen=True)
class Recorded:
    """The incident a call now belongs to, and how it came to."""

    outcome: Outcome
    ref: str
    # The incident's hash as the script left it, when the script returned it (a new incident).
    fields: dict[str, str] | None = None
    # The answers of `create_incident`'s round trip, for what its `follow` queued.
    answers: Answers | None = None
    # The open incidents of `create_incident`'s `near_refs`, as they were just before it.
    nearby: tuple[OpenIncident, ...] = ()


def cli_hash(cli: str | None, salt: str) -> str | None:
    """A salted hash of the caller's number: enough to match repeat callers, not to dial them."""
    digits = "".join(c for c in cli or "" if c.isdigit())
    if not digits:
        return None
    return hashlib.sha256(f"{salt}:{digits[-10:]}".encode()).hexdigest()[:16]


def fence_cells(lon: float, lat: float) -> list[str]:
    """The call's map cell first, then its eight neighbours."""
    x, y = math.floor(lon / _CELL_LON), math.floor(lat / _CELL_LAT)
    return [f"{x + dx}:{y + dy}" for dx, dy in [(0, 0), *_AROUND]]


_AROUND = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]


def call_fields(event: CallEvent, hashed_cli: str | None, *, recorded_ms: int) -> dict[str, str]:
    """The call record kept for the contact (caller data expires with the record)."""
    loc = event.location
    return {
        "call_id": event.call_id,
        "source": event.source.value,
        # The client's clock, bounded at the edge (cad/clock_bounds.py): the call's clocks and
        # queue place run from it. Beside it, the service's own: when the call was recorded.
        "received_ms": str(int(event.received_at.timestamp() * 1000)),
        "recorded_ms": str(recorded_ms),
        "lon": repr(loc.lon),
        "lat": repr(loc.lat),
        "radius_m": "" if loc.radius_m is None else repr(loc.radius_m),
        "incident_type": event.incident_type or "",
        "cli": event.cli or "",
        "cli_hash": hashed_cli or "",
        "text": event.text or "",
    }


async def next_ref(redis: Redis, now: datetime) -> str:
    """Allocate the next incident reference of the London day."""
    batch = Batch()
    ref = queue_next_ref(batch, london_day(now))
    return ref.answer(await batch.run(redis))


def queue_next_ref(batch: Batch, day: date) -> Queued[str]:
    """Queue the allocation of the day's next reference: the day's INCR, and its counter's
    expiry."""
    key = GlobalKeys().ref_sequence(day.strftime("%Y%m%d"))
    sequence = batch.command(lambda n: format_ref(int(n), day), "INCR", key)
    # The day's counter goes with the day (plus a margin); NX: set once, by its first INCR.
    batch.command(bool, "EXPIRE", key, _SEQUENCE_TTL_S, "NX")
    return sequence


async def find_incident(redis: Redis, ref: str) -> IncidentRecord | None:
    """Look an incident up by its ref alone, through the ref directory."""
    area = await redis.hget(GlobalKeys().incident_area, ref)
    return None if area is None else await read_incident(redis, area, ref)


async def create_incident(
    redis: Redis,
    event: CallEvent,
    *,
    area: str,
    now: datetime,
    actor: str,
    fence: str,
    hashed_cli: str | None,
    retention_s: int,
    follow: Callable[[IncidentRecord, Batch], None] | None = None,
    ref: str | None = None,
    near_refs: Sequence[str] = (),
) -> Recorded:
    """Open an incident for the call, unless it was recorded already or the fence moved. In the
    same round trip, `follow` may queue more about the incident as it will be (the dispatch's
    opening claim), reading its answer from `Recorded.answers`, and the open incidents of
    `near_refs` are read, as they were before it, into `Recorded.nearby`. `ref` is one
    allocated already for this call (`look_around`'s), else the next of the day is taken."""
    from callhandling.lua.create_incident import queue_create_incident
    from callhandling.lua.open_incident_facts import queue_open_incident_facts

    ref = ref or await next_ref(redis, now)
    incident = {**new_incident_fields(event, area=area), "cli_hashes": hashed_cli or ""}
    now_ms = int(now.timestamp() * 1000)
    loc = event.location
    glob = GlobalKeys()
    batch = Batch()
    nearby = queue_open_incident_facts(batch, area=area, refs=near_refs) if near_refs else None
    # The directory entries go first so that no incident exists that a lookup cannot find.
    batch.command(int, "HSET", glob.incident_area, ref, area)
    batch.command(int, "SADD", glob.areas, area)
    creation = queue_create_incident(
        batch, area=area, ref=ref, call_id=event.call_id, incident=incident,
        call=call_fields(event, hashed_cli, recorded_ms=now_ms), lon=loc.lon, lat=loc.lat,
        received_ms=int(incident["received_ms"]), fence=fence,
        fence_cells=fence_cells(loc.lon, loc.lat), now_ms=now_ms, actor=actor,
        keep_call_s=retention_s,
    )  # fmt: skip
    if follow is not None:
        follow(IncidentRecord.from_hash({**incident, "ref": ref, "created_ms": str(now_ms)}), batch)
    answers = await batch.run(redis)
    created = creation.answer(answers)
    if created.outcome is not Outcome.CREATED:
        # The ref allocated here names nothing: unlist it (it costs a gap in the sequence). What
        # `follow` queued found no incident of that ref, so it did nothing.
        await redis.hdel(glob.incident_area, ref)
        return Recorded(created.outcome, created.ref)
    near = nearby.answer(answers) if nearby is not None and nearby.ran(answers) else ()
    return Recorded(Outcome.CREATED, created.ref, created.fields, answers, near)


async def link_call(
    redis: Redis,
    event: CallEvent,
    *,
    area: str,
    candidate: Candidate,
    now: datetime,
    actor: str,
    hashed_cli: str | None,
    retention_s: int,
) -> Recorded:
    """Link the call to an open incident; RETRY when that incident closed meanwhile."""
    from callhandling.lua.link_call import queue_link_call

    now_ms = int(now.timestamp() * 1000)
    fields = call_fields(event, hashed_cli, recorded_ms=now_ms)
    batch = Batch()
    linking = queue_link_call(
        batch, area=area, ref=candidate.ref, call_id=event.call_id, call=fields,
        score=candidate.score, reasons="; ".join(candidate.reasons),
        received_ms=int(fields["received_ms"]), cli_hash=hashed_cli, now_ms=now_ms, actor=actor,
        keep_call_s=retention_s,
    )  # fmt: skip
    linked = linking.answer(await batch.run(redis))
    return Recorded(linked.outcome, linked.ref)


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
    # in the sequence), and the refs of the open incidents near it, whose facts
    # `create_incident` reads (`near_refs`).
    reserved_ref: str | None = None
    near_refs: tuple[str, ...] = ()


async def look_around(
    redis: Redis,
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
    from callhandling.lua.open_incident_facts import queue_open_incident_facts

    facts = Batch()
    incidents = queue_open_incident_facts(facts, area=area, refs=refs)
    return replace(found, incidents=incidents.answer(await facts.run(redis)))


def _claim_read(stored: Any) -> CallClaim | None:
    return None if stored is None else CallClaim.decode(stored)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _fence_read(value: Any) -> str:
    return str(value or "0")
