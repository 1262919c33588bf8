"""Calls and incidents in Redis: a call opens an incident once, or is linked to an open one."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from redis.asyncio import Redis

from cad.events import CallEvent
from cad.incident_record import new_incident_fields
from cad.keys import AreaKeys, GlobalKeys
from callhandling.duplicates import Candidate
from callhandling.lifecycle import is_open
from callhandling.refs import format_ref, london_day
from dispatch.scripts import DispatchScripts

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


def call_fields(event: CallEvent, hashed_cli: str | None) -> dict[str, str]:
    """The call record kept for the contact (caller data expires with the record)."""
    loc = event.location
    return {
        "call_id": event.call_id,
        "source": event.source.value,
        "received_ms": str(int(event.received_at.timestamp() * 1000)),
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
    day = london_day(now)
    key = GlobalKeys().ref_sequence(day.strftime("%Y%m%d"))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, _SEQUENCE_TTL_S)
        sequence, _ = await pipe.execute()
    return format_ref(int(sequence), day)


async def read_fence(redis: Redis, area: str, lon: float, lat: float) -> str:
    """The creation fence of the call's cell, read before searching for duplicates."""
    return str(await redis.get(AreaKeys(area).creation_fence(fence_cells(lon, lat)[0])) or "0")


async def create_incident(
    redis: Redis,
    scripts: DispatchScripts,
    event: CallEvent,
    *,
    area: str,
    now: datetime,
    actor: str,
    fence: str,
    hashed_cli: str | None,
) -> Recorded:
    """Open an incident for the call, unless it was recorded already or the fence moved."""
    keys = AreaKeys(area)
    ref = await next_ref(redis, now)
    incident = {**new_incident_fields(event, area=area), "cli_hashes": hashed_cli or ""}
    loc = event.location
    fences = [keys.creation_fence(c) for c in fence_cells(loc.lon, loc.lat)]
    # The directory entries go first so that no incident exists that a lookup cannot find.
    glob = GlobalKeys()
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset(glob.incident_area, ref, area)
        pipe.sadd(glob.areas, area)
        await pipe.execute()
    code, actual = await scripts.create_incident(
        keys=[
            keys.call(event.call_id), keys.incident(ref), keys.audit, keys.open_incidents,
            keys.incident_calls(ref), *fences,
        ],
        args=[
            ref, int(now.timestamp() * 1000), actor, fence, loc.lon, loc.lat,
            incident["received_ms"], len(incident), *_flatten(incident),
            *_flatten(call_fields(event, hashed_cli)),
        ],
    )  # fmt: skip
    if code != 1:
        # The ref allocated here names nothing: unlist it (it costs a gap in the sequence).
        await redis.hdel(GlobalKeys().incident_area, ref)
    outcome = {1: Outcome.CREATED, 0: Outcome.REPLAYED, 2: Outcome.RETRY}[int(code)]
    return Recorded(outcome, actual)


async def link_call(
    redis: Redis,
    scripts: DispatchScripts,
    event: CallEvent,
    *,
    area: str,
    candidate: Candidate,
    now: datetime,
    actor: str,
    hashed_cli: str | None,
) -> Recorded:
    """Link the call to an open incident; RETRY when that incident closed meanwhile."""
    keys = AreaKeys(area)
    fields = call_fields(event, hashed_cli)
    code, detail = await scripts.link_call(
        keys=[keys.call(event.call_id), keys.incident(candidate.ref),
              keys.incident_calls(candidate.ref), keys.audit],
        args=[
            candidate.ref, int(now.timestamp() * 1000), actor, candidate.score,
            "; ".join(candidate.reasons), fields["received_ms"], hashed_cli or "",
            *_flatten(fields),
        ],
    )  # fmt: skip
    outcome = {1: Outcome.LINKED, 0: Outcome.REPLAYED, -1: Outcome.RETRY}[int(code)]
    return Recorded(outcome, candidate.ref if outcome is Outcome.RETRY else detail)


async def recorded_ref(redis: Redis, area: str, call_id: str) -> str | None:
    """The incident a call id already belongs to, if it was recorded."""
    ref: str | None = await redis.hget(AreaKeys(area).call(call_id), "incident_ref")
    return ref


async def open_incidents_near(
    redis: Redis, *, area: str, lon: float, lat: float, radius_m: float
) -> list[dict[str, str]]:
    """The open incidents of the area within `radius_m`, as stored; closed ones are dropped."""
    keys = AreaKeys(area)
    refs = await redis.geosearch(
        keys.open_incidents, longitude=lon, latitude=lat, radius=radius_m, unit="m", sort="ASC",
        count=50,
    )  # fmt: skip
    if not refs:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for ref in refs:
            pipe.hgetall(keys.incident(ref))
        records = await pipe.execute()
    closed = [ref for ref, r in zip(refs, records, strict=True) if not is_open(r.get("status", ""))]
    if closed:
        # The open set is tidied lazily: a closed incident is dropped the first time it is seen.
        await redis.zrem(keys.open_incidents, *closed)
    return [r for r in records if is_open(r.get("status", ""))]


def _flatten(fields: dict[str, str]) -> list[str]:
    return [item for pair in fields.items() for item in pair]
